/**
 * The scripts the pipelines run, run here: the Pulumi CLI install against a local release server
 * (the archive's checksum must match the published checksums file, and the pinned digest when one
 * is set), and the wait for ECR replication against a recording `aws` and `pulumi` on PATH.
 */
import { spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");
const scripts = path.join(root, ".github", "scripts");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-scripts-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const VERSION = "3.248.0";
const ARCH = ["arm64", "aarch64"].includes(os.arch()) ? "arm64" : "x64";
const ARCHIVE = `pulumi-v${VERSION}-linux-${ARCH}.tar.gz`;

/** A release archive laid out as Pulumi's: pulumi/pulumi (+ plugins) at the top. */
function makeArchive(reportedVersion: string): Buffer {
  const dir = fs.mkdtempSync(path.join(scratch, "archive-"));
  fs.mkdirSync(path.join(dir, "pulumi"));
  fs.writeFileSync(
    path.join(dir, "pulumi", "pulumi"),
    `#!/bin/sh\n[ "$1" = version ] && echo v${reportedVersion}\n`,
    { mode: 0o755 },
  );
  const out = path.join(dir, "a.tar.gz");
  expect(spawnSync("tar", ["-czf", out, "-C", dir, "pulumi"]).status).toBe(0);
  return fs.readFileSync(out);
}

const sha256 = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

let server: http.Server;
let base = "";
const files = new Map<string, Buffer>();
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const body = files.get((req.url ?? "").replace(/^\/releases\//, ""));
    res.writeHead(body === undefined ? 404 : 200);
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/releases`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Runs a script without blocking this worker (the local server answers from it). */
function run(script: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn("bash", [path.join(scripts, script)], {
      env: { PATH: process.env.PATH, HOME: scratch, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("install-pulumi-cli.sh", () => {
  const install = (extra: Record<string, string> = {}) => {
    const dir = fs.mkdtempSync(path.join(scratch, "install-"));
    return run("install-pulumi-cli.sh", {
      PULUMI_VERSION: VERSION,
      PULUMI_RELEASES: base,
      INSTALL_DIR: dir,
      ...extra,
    }).then((r) => ({ ...r, dir }));
  };
  const publish = (archive: Buffer, listed: string) => {
    files.set(ARCHIVE, archive);
    files.set(`pulumi-${VERSION}-checksums.txt`, Buffer.from(`${listed}  ${ARCHIVE}\n`));
  };

  it("installs the pinned version when its checksum matches, printing the bin directory", async () => {
    const archive = makeArchive(VERSION);
    publish(archive, sha256(archive));
    const r = await install({ PULUMI_CLI_SHA256: sha256(archive) });
    expect([r.code, r.stdout]).toEqual([0, `${path.join(r.dir, "bin")}\n`]);
    expect(spawnSync(path.join(r.dir, "bin", "pulumi"), ["version"]).stdout.toString()).toBe(
      `v${VERSION}\n`,
    );
  });

  it("refuses an archive whose checksum is not the published one, installing nothing", async () => {
    const archive = makeArchive(VERSION);
    publish(archive, sha256(Buffer.from("another archive")));
    const r = await install();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${ARCHIVE}: SHA-256 ${sha256(archive)} does not match the published`,
    );
    expect(fs.existsSync(path.join(r.dir, "bin"))).toBe(false);
  });

  it("refuses when the pinned digest differs, even if the published list agrees", async () => {
    const archive = makeArchive(VERSION);
    publish(archive, sha256(archive));
    const r = await install({ PULUMI_CLI_SHA256: "0".repeat(64) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("does not match PULUMI_CLI_SHA256");
  });

  it("refuses a binary that reports another version", async () => {
    const archive = makeArchive("3.1.0");
    publish(archive, sha256(archive));
    const r = await install();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the installed CLI reports v3.1.0, expected v${VERSION}`);
    expect(fs.existsSync(path.join(r.dir, "bin"))).toBe(false);
  });

  it("refuses when the archive is not listed", async () => {
    const archive = makeArchive(VERSION);
    files.set(ARCHIVE, archive);
    files.set(`pulumi-${VERSION}-checksums.txt`, Buffer.from(`${sha256(archive)}  other.tgz\n`));
    const r = await install();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${ARCHIVE} is not listed in pulumi-${VERSION}-checksums.txt`);
  });
});

describe("wait-for-images.sh", () => {
  /** `pulumi stack output fabric` and an `aws` that finds an image after `misses` lookups. */
  function tools(misses: number) {
    const bin = fs.mkdtempSync(path.join(scratch, "bin-"));
    const fabric = {
      "eu-central-1": {
        ecrRepositoryUrls: {
          "svc-a": "123456789012.dkr.ecr.eu-central-1.amazonaws.com/platform/svc-a",
        },
      },
    };
    fs.writeFileSync(
      path.join(bin, "pulumi"),
      `#!/bin/sh\necho "$*" >> "${bin}/pulumi.log"\necho '${JSON.stringify(fabric)}'\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(
      path.join(bin, "aws"),
      [
        "#!/bin/sh",
        `echo "$*" >> "${bin}/aws.log"`,
        `n=$(wc -l < "${bin}/aws.log")`,
        `[ "$n" -gt ${misses} ] && exit 0`,
        'echo "An error occurred (ImageNotFoundException)" >&2',
        "exit 254",
      ].join("\n"),
      { mode: 0o755 },
    );
    const log = (name: string) =>
      fs.existsSync(path.join(bin, name))
        ? fs.readFileSync(path.join(bin, name), "utf8").trim().split("\n")
        : [];
    return { bin, log };
  }
  const env = (bin: string, extra: Record<string, string> = {}) => ({
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    REGION: "eu-central-1",
    GLOBAL_STACK: "global",
    IMAGES: JSON.stringify([{ service: "svc-a", tags: ["1.4.2"] }]),
    POLL_SECONDS: "0",
    ...extra,
  });

  it("waits until the replicated image is in the region, looking it up there", async () => {
    const { bin, log } = tools(2);
    const r = await run("wait-for-images.sh", env(bin));
    expect(r.code).toBe(0);
    expect(log("pulumi.log")).toEqual(["stack output fabric --stack global --json"]);
    expect(log("aws.log")).toEqual(
      Array(3).fill(
        "ecr describe-images --region eu-central-1 --repository-name platform/svc-a --image-ids imageTag=1.4.2",
      ),
    );
    expect(r.stdout).toContain("svc-a:1.4.2 is in eu-central-1");
  });

  it("gives up with an error when the image never arrives", async () => {
    const { bin } = tools(1_000_000);
    const r = await run("wait-for-images.sh", env(bin, { WAIT_SECONDS: "0" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("svc-a:1.4.2 has not reached eu-central-1 (replication) in time");
  });

  it("fails when the global stack has no repository for the service in that region", async () => {
    const { bin } = tools(0);
    const r = await run("wait-for-images.sh", env(bin, { REGION: "us-east-1" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no ECR repository for svc-a in us-east-1");
  });
});
