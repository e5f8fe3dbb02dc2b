import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-cli-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

function cli(...args: string[]) {
  const run = spawnSync("npx", ["tsx", "tools/policy.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const KEY = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const urn = (type: string, name: string) => `urn:pulumi:dev::platform::${type}::${name}`;
const step = (op: string, type: string, name: string, inputs: Record<string, unknown>) => ({
  op,
  urn: urn(type, name),
  newState: { type, urn: urn(type, name), inputs },
});

const good = write("good.json", {
  steps: [
    step("create", "aws:sqs/queue:Queue", "jobs", { kmsMasterKeyId: KEY }),
    step("same", "aws:kms/key:Key", "data", { enableKeyRotation: true }),
    // A deleted resource is not judged.
    step("delete", "aws:sns/topic:Topic", "old", {}),
    step("create", "aws:s3/bucket:Bucket", "use1-alb-logs", { bucket: "use1-alb-logs-1" }),
  ],
});
const bad = write("bad.json", {
  steps: [
    step("update", "aws:sns/topic:Topic", "alerts", {}),
    step("create", "aws:sqs/queue:Queue", "jobs", { kmsMasterKeyId: KEY }),
  ],
});
const EXEMPTION = {
  policy: "s3-bucket-cmk",
  urn: urn("aws:s3/bucket:Bucket", "use1-alb-logs"),
  reason:
    "ALB access-log delivery supports only SSE-S3 (AES256) on the destination bucket, not SSE-KMS",
};

describe("npm run policy -- check", () => {
  it("exits 0 and lists the exemption used on a clean document", () => {
    const run = cli("check", "--json", good);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ violations: [], exemptions: [EXEMPTION] });
  });

  it("exits 1 with the violation in the --json shape", () => {
    const run = cli("check", "--json", good, bad);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      violations: [
        {
          policy: "sns-topic-cmk",
          urn: urn("aws:sns/topic:Topic", "alerts"),
          enforcementLevel: "mandatory",
          message:
            "kmsMasterKeyId is not set. Set kmsMasterKeyId to a customer-managed key (not alias/aws/sns)",
        },
      ],
      exemptions: [EXEMPTION],
    });
  });

  it("prints policy, urn, level and message as text", () => {
    const run = cli("check", bad);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      [
        `MANDATORY sns-topic-cmk ${urn("aws:sns/topic:Topic", "alerts")}`,
        "  kmsMasterKeyId is not set. Set kmsMasterKeyId to a customer-managed key (not alias/aws/sns)",
        "1 violation(s), 1 mandatory, 0 exemption(s) used; 2 resource(s) in 1 file(s)",
        "",
      ].join("\n"),
    );
  });

  it("exits 0 when the only violations are advisory", () => {
    const config = write("advisory.yaml", "enforcement:\n  sns-topic-cmk: advisory\n");
    const run = cli("check", "--json", "--config", config, bad);
    expect(run.code).toBe(0);
    expect(
      JSON.parse(run.stdout).violations.map(
        (v: { enforcementLevel: string }) => v.enforcementLevel,
      ),
    ).toEqual(["advisory"]);
  });

  it.each([
    ["a missing file", path.join(dir, "missing.json"), "cannot read"],
    ["invalid JSON", write("broken.json", "{ steps: ["), "not valid JSON"],
    [
      "a document without steps",
      write("nosteps.json", { resources: [] }),
      'not a `pulumi preview --json` document (no "steps" array)',
    ],
  ])("exits 2 on %s, naming the file and printing no report", (_label, file, reason) => {
    const run = cli("check", "--json", good, file);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`policy check: ${file}: ${reason}`);
  });

  it("exits 2 on a config with an exemption without a reason", () => {
    const config = write(
      "noreason.yaml",
      "exemptions:\n  - policy: sns-topic-cmk\n    name: alerts\n",
    );
    const run = cli("check", "--config", config, bad);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(
      `${config}: invalid policy config:\n  exemptions.0.reason: an exemption needs a reason`,
    );
  });
});
