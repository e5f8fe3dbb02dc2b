/**
 * The contract between the global stack and the region stacks: what the global stack exports
 * and each region stack reads through its StackReference. One schema, one type, used on both
 * sides, so a broken contract is a compile error, and a stale global stack a clear run-time one.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** What the global fabric holds in one region, for that region's stack. */
export const regionalFabricSchema = z.object({
  /** The region's key of the multi-region KMS key (primary or replica). */
  kmsKeyArn: z.string(),
  tableName: z.string(),
  /** The table's ARN in this region (the replica's ARN outside the home region). */
  tableArn: z.string(),
  tableStreamArn: z.string(),
  bucketName: z.string(),
  bucketArn: z.string(),
  busName: z.string(),
  busArn: z.string(),
  /** Service name -> repository URL in this region (replicated from the home region). */
  ecrRepositoryUrls: z.record(z.string(), z.string()),
});
export type RegionalFabric = z.infer<typeof regionalFabricSchema>;

export const globalOutputsSchema = z.object({
  homeRegion: z.string(),
  regions: z.array(z.string()),
  zoneId: z.string(),
  zoneName: z.string(),
  /** The hosted zone's name servers, which the parent zone must delegate the domain to. */
  nameServers: z.array(z.string()),
  /** The latency-routed name every region serves (a region's platform:dns.globalName). */
  globalName: z.string(),
  /** The global name's ACM validation record, shared by every region's certificate. */
  globalNameValidationFqdn: z.string(),
  /** Region name -> what the fabric holds there. */
  fabric: z.record(z.string(), regionalFabricSchema),
  /** The Global Accelerator listener, when `platform:edge` is globalAccelerator; else "". */
  acceleratorListenerArn: z.string(),
  /**
   * The Aurora global database's identifier, when `platform:aurora.enabled` in the global stack;
   * else "". The home region's cluster joins it as the primary, every other region's as a
   * secondary.
   */
  auroraGlobalClusterId: z.string(),
  /** The global database's engine version, which every member cluster runs; "" when off. */
  auroraEngineVersion: z.string(),
  /**
   * The global database's master password (a secret output), which the home region's primary is
   * created with; "" when off. Kept in Secrets Manager too, replicated to every region.
   */
  auroraMasterPassword: z.string(),
});
export type GlobalOutputs = z.infer<typeof globalOutputsSchema>;

export const GLOBAL_OUTPUT_KEYS = Object.keys(globalOutputsSchema.shape) as Array<
  keyof GlobalOutputs
>;

/** The global program's stack outputs: every contract key, each an Output of its type. */
export type GlobalStackExports = { [K in keyof GlobalOutputs]: pulumi.Output<GlobalOutputs[K]> };

/** What a region stack reads: the global values, and its own region's slice of the fabric. */
export interface GlobalView {
  readonly zoneId: pulumi.Output<string>;
  readonly zoneName: pulumi.Output<string>;
  readonly globalName: pulumi.Output<string>;
  readonly globalNameValidationFqdn: pulumi.Output<string>;
  readonly homeRegion: pulumi.Output<string>;
  readonly fabric: pulumi.Output<RegionalFabric>;
  readonly acceleratorListenerArn: pulumi.Output<string>;
  /** "" when the global stack has no Aurora global database. */
  readonly auroraGlobalClusterId: pulumi.Output<string>;
  readonly auroraEngineVersion: pulumi.Output<string>;
  readonly auroraMasterPassword: pulumi.Output<string>;
}

/** Validates what a StackReference returned against the contract, naming what is wrong. */
export function checkGlobalOutputs(
  globalStack: string,
  region: string,
  values: unknown,
): GlobalOutputs {
  const parsed = globalOutputsSchema.safeParse(values);
  if (!parsed.success) {
    const where = parsed.error.issues
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    throw new Error(
      `the outputs of stack "${globalStack}" do not match the global contract (${where}); run \`pulumi up\` on the global stack first`,
    );
  }
  if (!parsed.data.regions.includes(region) || !(region in parsed.data.fabric)) {
    throw new Error(
      `region ${region} is not part of the global stack "${globalStack}" (its regions: ${parsed.data.regions.join(", ")}); add it to platform:regions and run \`pulumi up\` on the global stack first`,
    );
  }
  return parsed.data;
}

/**
 * Reads the global contract through a StackReference (`requireOutput` for every key) and returns
 * this region's view of it. No region stack ever references another region stack.
 */
export function readGlobalOutputs(
  ref: pulumi.StackReference,
  globalStack: string,
  region: string,
): GlobalView {
  // Validated as plain values, so that one secret output (the Aurora master password) does not
  // make every value read from the contract a secret; the password alone is secret again below.
  const all = pulumi
    .all(
      Object.fromEntries(GLOBAL_OUTPUT_KEYS.map((k) => [k, pulumi.unsecret(ref.requireOutput(k))])),
    )
    .apply((values) => checkGlobalOutputs(globalStack, region, values));
  return {
    zoneId: all.zoneId,
    zoneName: all.zoneName,
    globalName: all.globalName,
    globalNameValidationFqdn: all.globalNameValidationFqdn,
    homeRegion: all.homeRegion,
    fabric: all.apply((g) => g.fabric[region]),
    acceleratorListenerArn: all.acceleratorListenerArn,
    auroraGlobalClusterId: all.auroraGlobalClusterId,
    auroraEngineVersion: all.auroraEngineVersion,
    auroraMasterPassword: pulumi.secret(all.auroraMasterPassword),
  };
}
