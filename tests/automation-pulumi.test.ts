/**
 * The real implementation: engine events translated as the Automation API delivers them, the
 * preflight lookups, and — only where a Pulumi CLI is installed — a real run of the
 * orchestration through LocalWorkspaces on a throw-away project with a file backend.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { afterAll, describe, expect, it } from "vitest";
import { plainOutputs, translateEngineEvent } from "../automation/engine-events";
import { runWaves } from "../automation/orchestrator";
import {
  backendUrl,
  findAwsCredentials,
  findPulumiCli,
  LOCAL_STATE_DIR,
  MISSING_BACKEND_MESSAGE,
} from "../automation/preflight";
import { AutomationStackOperations, readableError } from "../automation/pulumi-operations";
import type { StackOperations } from "../automation/types";
import { planWaves } from "../automation/waves";

const base = { sequence: 1, timestamp: 1 };
const metadata = {
  op: "create" as const,
  urn: "urn:pulumi:global::platform::aws:s3/bucket:Bucket::fabric-bucket",
  type: "aws:s3/bucket:Bucket",
  provider: "",
};

describe("translateEngineEvent", () => {
  it.each<[string, EngineEvent, ReturnType<typeof translateEngineEvent>]>([
    [
      "resource pre",
      { ...base, resourcePreEvent: { metadata } },
      [
        {
          type: "resource-step",
          stack: "global",
          phase: "pre",
          op: "create",
          urn: metadata.urn,
          resourceType: metadata.type,
        },
      ],
    ],
    [
      "resource outputs",
      { ...base, resOutputsEvent: { metadata } },
      [
        {
          type: "resource-step",
          stack: "global",
          phase: "done",
          op: "create",
          urn: metadata.urn,
          resourceType: metadata.type,
        },
      ],
    ],
    [
      "resource failed",
      { ...base, resOpFailedEvent: { metadata, status: 1, steps: 1 } },
      [
        {
          type: "resource-step",
          stack: "global",
          phase: "failed",
          op: "create",
          urn: metadata.urn,
          resourceType: metadata.type,
        },
      ],
    ],
    [
      "policy violation",
      {
        ...base,
        policyEvent: {
          resourceUrn: metadata.urn,
          message: "use a customer-managed key\n",
          color: "never",
          policyName: "s3-kms-encryption",
          policyPackName: "platform",
          policyPackVersion: "0.1.0",
          policyPackVersionTag: "0.1.0",
          enforcementLevel: "mandatory",
        },
      },
      [
        {
          type: "policy-violation",
          stack: "global",
          policyPack: "platform",
          policy: "s3-kms-encryption",
          enforcement: "mandatory",
          message: "use a customer-managed key",
          urn: metadata.urn,
        },
      ],
    ],
    [
      "advisory violation (engine says warning)",
      {
        ...base,
        policyEvent: {
          message: "m",
          color: "never",
          policyName: "p",
          policyPackName: "pack",
          policyPackVersion: "1",
          policyPackVersionTag: "1",
          enforcementLevel: "warning",
        },
      },
      [
        {
          type: "policy-violation",
          stack: "global",
          policyPack: "pack",
          policy: "p",
          enforcement: "advisory",
          message: "m",
        },
      ],
    ],
    [
      "error diagnostic",
      {
        ...base,
        diagnosticEvent: { message: "access denied\n", color: "never", severity: "error" },
      },
      [{ type: "diagnostic", stack: "global", severity: "error", message: "access denied" }],
    ],
    [
      "info diagnostic is dropped",
      { ...base, diagnosticEvent: { message: "hello", color: "never", severity: "info" } },
      [],
    ],
    [
      "summary is dropped",
      {
        ...base,
        summaryEvent: {
          maybeCorrupt: false,
          durationSeconds: 1,
          resourceChanges: {},
          policyPacks: {},
        },
      },
      [],
    ],
  ])("%s", (_, event, expected) => {
    expect(translateEngineEvent("global", event)).toEqual(expected);
  });

  it("never lets a secret output out in clear text", () => {
    expect(
      plainOutputs({
        url: { value: "https://x", secret: false },
        key: { value: "s3cr3t", secret: true },
      }),
    ).toEqual({ url: "https://x", key: "[secret]" });
  });
});

describe("preflight", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "platform-preflight-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("finds pulumi on PATH, then in PULUMI_HOME/bin, else reports none", () => {
    const empty = { PATH: "", HOME: dir, PULUMI_HOME: path.join(dir, "home") };
    expect(findPulumiCli(empty)).toBeUndefined();
    const bin = path.join(dir, "home", "bin");
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, "pulumi"), "#!/bin/sh\n", { mode: 0o755 });
    expect(findPulumiCli(empty)).toEqual({
      command: path.join(bin, "pulumi"),
      root: path.join(dir, "home"),
    });
    expect(findPulumiCli({ PATH: bin, HOME: dir })).toEqual({
      command: path.join(bin, "pulumi"),
      root: path.join(dir, "home"),
    });
  });

  it.each<[string, Record<string, string>, string | undefined]>([
    ["nothing", {}, undefined],
    [
      "access keys",
      { AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b" },
      "environment (AWS_ACCESS_KEY_ID)",
    ],
    ["a key id alone", { AWS_ACCESS_KEY_ID: "a" }, undefined],
    [
      "web identity",
      { AWS_WEB_IDENTITY_TOKEN_FILE: "/t", AWS_ROLE_ARN: "arn" },
      "web identity (AWS_ROLE_ARN)",
    ],
    ["container", { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2" }, "container credentials"],
  ])("AWS credentials from %s", (_, env, expected) => {
    expect(findAwsCredentials({ HOME: dir, ...env })).toBe(expected);
  });

  it("AWS credentials from the shared file", () => {
    const file = path.join(dir, "credentials");
    fs.writeFileSync(file, "[default]\n");
    expect(findAwsCredentials({ HOME: dir, AWS_SHARED_CREDENTIALS_FILE: file })).toBe(
      `shared file ${file}`,
    );
  });

  it("uses PULUMI_BACKEND_URL, else refuses: never a file backend inside the project", () => {
    expect(backendUrl("/p", { PULUMI_BACKEND_URL: "s3://state/platform" })).toBe(
      "s3://state/platform",
    );
    expect(() => backendUrl("/p", { HOME: dir })).toThrow(MISSING_BACKEND_MESSAGE);
    expect(fs.existsSync(path.join("/p", LOCAL_STATE_DIR))).toBe(false);
  });

  it("keeps the engine's error block of a failed command, and the error object", () => {
    const e = Object.assign(new Error("code: 255\n stdout: lots\n stderr: ..."), {
      commandResult: {
        stdout: "",
        stderr: "noise\nerror: update failed\n  error: AccessDenied on s3:CreateBucket\n",
      },
    });
    expect(readableError(e)).toBe(e);
    expect(e.message).toBe("error: update failed\nerror: AccessDenied on s3:CreateBucket");
  });
});

describe("AutomationStackOperations", () => {
  it("implements StackOperations and attaches the project's policy pack by default", () => {
    const ops: StackOperations = new AutomationStackOperations({
      projectDir: "/p",
      backendUrl: "file:///tmp/x",
    });
    const real = ops as AutomationStackOperations;
    expect(real.policyPacks).toEqual([path.join("/p", "policy")]);
    expect(real.backendUrl).toBe("file:///tmp/x");
  });
});

const cli = findPulumiCli();
if (cli === undefined) {
  console.log(
    "[automation] real Automation API run skipped: no Pulumi CLI on PATH, in $PULUMI_HOME/bin or ~/.pulumi/bin",
  );
}

describe.skipIf(cli === undefined)("the real path (needs a Pulumi CLI; no cloud)", () => {
  it("runs up, outputs and destroy through LocalWorkspaces on a file backend", async () => {
    // A YAML program with outputs only: the yaml language host ships with the CLI, and no
    // provider or cloud account is needed.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "platform-real-"));
    try {
      fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        "name: automation-check\nruntime: yaml\noutputs:\n  stack: ${pulumi.stack}\n",
      );
      for (const s of ["global", "region-a", "region-b"])
        fs.writeFileSync(path.join(dir, `Pulumi.${s}.yaml`), "config: {}\n");
      const state = path.join(dir, "state");
      fs.mkdirSync(state);
      const ops = new AutomationStackOperations({
        projectDir: dir,
        backendUrl: pathToFileURL(state).href,
        policyPacks: [],
        pulumiRoot: cli?.root,
        env: { PULUMI_CONFIG_PASSPHRASE: "test-only" },
      });
      const targets = {
        global: { stack: "global", role: "global" as const, region: "us-east-1" },
        regions: [
          { stack: "region-a", role: "region" as const, region: "us-east-1" },
          { stack: "region-b", role: "region" as const, region: "eu-central-1" },
        ],
      };
      const up = await runWaves(ops, "up", planWaves(targets, "up", undefined, { canary: 0 }));
      expect(up.stacks.map((s) => [s.stack, s.status, s.error])).toEqual([
        ["global", "succeeded", undefined],
        ["region-a", "succeeded", undefined],
        ["region-b", "succeeded", undefined],
      ]);
      const outputs = await runWaves(ops, "outputs", planWaves(targets, "outputs"));
      expect(outputs.stacks.map((s) => s.outputs)).toEqual([
        { stack: "global" },
        { stack: "region-a" },
        { stack: "region-b" },
      ]);
      const down = await runWaves(ops, "destroy", planWaves(targets, "destroy"));
      expect(down.ok).toBe(true);
      expect(fs.readdirSync(state).length).toBeGreaterThan(0);
      expect(fs.existsSync(path.join(dir, LOCAL_STATE_DIR))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
