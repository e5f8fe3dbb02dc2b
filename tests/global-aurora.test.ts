/**
 * The Aurora global database of the global stack: present only when `platform:aurora.enabled`,
 * in the home region, encrypted, deletion-protected and protected, and exported in the contract.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseGlobalConfig, rawSettings } from "../lib/config/parse";
import { readProjectConfig, readStackFlatConfig } from "../lib/config/project";
import { globalSchema, type GlobalConfig } from "../lib/config/schema";
import { globalOutputsSchema } from "../lib/contract";
import type { StackEvaluation } from "../plan/evaluate";
import { globalProgram } from "../programs/global";
import { evaluateInRegion } from "./fixtures";
import { ofType, providerRegion } from "./global-helpers";

const ROOT = path.resolve(__dirname, "..");
const GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster";

/** The project's global stack file, with `platform:aurora` replaced when given. */
function globalConfig(aurora?: Record<string, unknown>): GlobalConfig {
  const flat = readStackFlatConfig(ROOT, "global", readProjectConfig(ROOT));
  if (aurora !== undefined) flat["platform:aurora"] = JSON.stringify(aurora);
  return parseGlobalConfig("global", rawSettings(flat));
}

function evaluateGlobal(config: GlobalConfig, preview = true): Promise<StackEvaluation> {
  return evaluateInRegion(config.region, () => globalProgram(config), { stack: "global", preview });
}

describe("platform:aurora in the global stack's settings", () => {
  it("defaults to no global database, on the regions' default engine version", () => {
    expect(globalConfig().aurora).toEqual({ enabled: false, engineVersion: "16.6" });
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    [
      "a version that is not major.minor",
      { enabled: true, engineVersion: "16" },
      "aurora.engineVersion",
      "not an Aurora PostgreSQL version (major.minor, for example 16.6)",
    ],
    [
      "a database name with a hyphen",
      { enabled: true, databaseName: "my-app" },
      "aurora.databaseName",
      "not a database name (a letter, then letters, digits and _, up to 63)",
    ],
  ])("rejects %s", (_what, aurora, key, message) => {
    const raw = rawSettings(readStackFlatConfig(ROOT, "global", readProjectConfig(ROOT)));
    const result = globalSchema.safeParse({ ...raw, aurora });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      [key, message],
    ]);
  });
});

describe("the global stack without Aurora (the default)", () => {
  it("creates no global database and exports an empty identifier", async () => {
    const ev = await evaluateGlobal(globalConfig());
    expect(ofType(ev.records, GLOBAL_CLUSTER)).toHaveLength(0);
    expect(ofType(ev.records, "platform:global:Database")).toHaveLength(0);
    expect(globalOutputsSchema.parse(ev.outputs).auroraGlobalClusterId).toBe("");
  });
});

describe.each([true, false])("the global stack with Aurora (preview: %s)", (preview) => {
  it("creates one protected, encrypted global cluster in the home region and exports it", async () => {
    const ev = await evaluateGlobal(
      globalConfig({ enabled: true, databaseName: "platform" }),
      preview,
    );
    const clusters = ofType(ev.records, GLOBAL_CLUSTER);
    expect(clusters).toHaveLength(1);
    const [cluster] = clusters;
    expect(cluster.name).toBe("platform-aurora");
    expect(cluster.inputs).toEqual({
      globalClusterIdentifier: "platform-aurora",
      engine: "aurora-postgresql",
      engineVersion: "16.6",
      databaseName: "platform",
      storageEncrypted: true,
      deletionProtection: true,
    });
    expect(cluster.protect).toBe(true);
    expect(providerRegion(ev.records, cluster)).toBe("us-east-1");

    const [component] = ofType(ev.records, "platform:global:Database");
    expect(cluster.parent).toBe(component.urn);
    expect(component.parent).toBe(ofType(ev.records, "platform:global:Fabric")[0].urn);

    expect(globalOutputsSchema.parse(ev.outputs).auroraGlobalClusterId).toBe("platform-aurora");
  });

  it("generates the master password once and keeps it in a secret replicated to every region", async () => {
    const ev = await evaluateGlobal(globalConfig({ enabled: true }), preview);
    const [password] = ofType(ev.records, "random:index/randomPassword:RandomPassword");
    expect(password.inputs).toMatchObject({ length: 40, special: false });
    expect(password.protect).toBe(true);
    const [secret] = ofType(ev.records, "aws:secretsmanager/secret:Secret");
    // The fabric's multi-region key (the audit stack has keys of its own).
    const fabricKey = ofType(ev.records, "aws:kms/key:Key").find((k) => k.inputs.multiRegion)!;
    const [replicaKey] = ofType(ev.records, "aws:kms/replicaKey:ReplicaKey");
    expect(providerRegion(ev.records, secret)).toBe("us-east-1");
    expect(secret.inputs.kmsKeyId).toBe(fabricKey.outputs.arn);
    expect(secret.inputs.replicas).toEqual([
      { region: "eu-central-1", kmsKeyId: replicaKey.outputs.arn },
    ]);
    const [version] = ofType(ev.records, "aws:secretsmanager/secretVersion:SecretVersion");
    const stored = JSON.parse(String(version.inputs.secretString)) as { password: string };
    // The region stacks create the primary with the exported password: the same value.
    const exported = globalOutputsSchema.parse(ev.outputs).auroraMasterPassword;
    expect(stored.password).toBe(password.outputs.result);
    expect(exported).toBe(password.outputs.result);
    expect(exported).toHaveLength(40);
  });
});
