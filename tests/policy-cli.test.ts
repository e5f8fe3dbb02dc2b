import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KEY, step, urn } from "./preview-steps";

const ROOT = path.resolve(__dirname, "..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-cli-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

/** Runs the CLI without blocking the worker (the test runner's heartbeats keep going). */
function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "tools/policy.ts", ...args], {
      cwd: ROOT,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

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
  it("exits 0 and lists the exemption used on a clean document", async () => {
    const run = await cli("check", "--json", good);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      violations: [],
      exemptions: [EXEMPTION],
      unreadable: [],
    });
  });

  it("exits 1 with the violation in the --json shape", async () => {
    const run = await cli("check", "--json", good, bad);
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
      unreadable: [],
    });
  });

  it("prints policy, urn, level and message as text", async () => {
    const run = await cli("check", bad);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      [
        `MANDATORY sns-topic-cmk ${urn("aws:sns/topic:Topic", "alerts")}`,
        "  kmsMasterKeyId is not set. Set kmsMasterKeyId to a customer-managed key (not alias/aws/sns)",
        "1 violation(s), 1 mandatory, 0 exemption(s) used, 0 unreadable value(s); 2 resource(s) in 1 file(s)",
        "",
      ].join("\n"),
    );
  });

  it("exits 0 when the only violations are advisory", async () => {
    const config = write("advisory.yaml", "enforcement:\n  sns-topic-cmk: advisory\n");
    const run = await cli("check", "--json", "--config", config, bad);
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
  ])("exits 2 on %s, naming the file and printing no report", async (_label, file, reason) => {
    const run = await cli("check", "--json", good, file);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`policy check: ${file}: ${reason}`);
  });

  it("exits 2 on a config with an exemption without a reason", async () => {
    const config = write(
      "noreason.yaml",
      "exemptions:\n  - policy: sns-topic-cmk\n    name: alerts\n",
    );
    const run = await cli("check", "--config", config, bad);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(
      `${config}: invalid policy config:\n  exemptions.0.reason: an exemption needs a reason`,
    );
  });

  describe("secrets the document does not show", () => {
    // `pulumi preview --json` prints every secret as "[secret]".
    const masked = write("masked.json", {
      steps: [
        step("create", "aws:iam/rolePolicy:RolePolicy", "app", { role: "app", policy: "[secret]" }),
        step("create", "aws:sqs/queue:Queue", "jobs", { kmsMasterKeyId: KEY, tags: "[secret]" }),
      ],
    });
    const NEEDED = {
      urn: urn("aws:iam/rolePolicy:RolePolicy", "app"),
      property: "policy",
      why: 'shown as "[secret]"',
    };

    it("reports each value a policy needed by resource and property, as advisory by default", async () => {
      const run = await cli("check", "--json", masked);
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as {
        unreadable: Array<{ urn: string; property: string; why: string; policies: string[] }>;
        violations: Array<{ policy: string; urn: string; enforcementLevel: string }>;
      };
      // The queue's masked tags are read by no policy: not reported.
      expect(report.unreadable.map(({ policies: _p, ...u }) => u)).toEqual([NEEDED]);
      expect(report.unreadable[0].policies).toContain("iam-no-wildcard-action");
      expect(new Set(report.violations.map((v) => `${v.urn} ${v.enforcementLevel}`))).toEqual(
        new Set([`${NEEDED.urn} advisory`]),
      );
    });

    it("fails the check with --unreadable mandatory", async () => {
      const run = await cli("check", "--unreadable", "mandatory", masked);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`UNREADABLE ${NEEDED.urn} policy\n  shown as "[secret]"`);
      expect(run.stdout).toContain(
        `MANDATORY iam-no-wildcard-action ${NEEDED.urn}\n  cannot judge policy: the document does not show it`,
      );
    });

    it("judges a secret envelope that carries its value", async () => {
      const document = (value: Record<string, unknown>) =>
        write("envelope.json", {
          steps: [
            step("create", "aws:iam/rolePolicy:RolePolicy", "app", {
              role: "app",
              policy: {
                "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                ...value,
              },
            }),
          ],
        });
      const admin = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
      });
      const open = await cli("check", "--json", document({ value: admin }));
      expect(open.code).toBe(1);
      expect(JSON.parse(open.stdout).violations.map((v: { policy: string }) => v.policy)).toContain(
        "iam-no-wildcard-action",
      );
      const encrypted = await cli("check", "--json", document({ ciphertext: "AAABAK..." }));
      expect(JSON.parse(encrypted.stdout).unreadable.map((u: { why: string }) => u.why)).toEqual([
        "an encrypted secret",
      ]);
    });

    it("exits 2 on an unknown --unreadable level", async () => {
      const run = await cli("check", "--unreadable", "sometimes", masked);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("sometimes");
    });
  });
});
