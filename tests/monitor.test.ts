/**
 * The recording mock monitor that the plan and the component tests share: what it records of a
 * register request, the outputs it answers with, and its refusal of invokes it does not know.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { evaluateStack, StackProgramError } from "../plan/evaluate";
import { RecordingMonitor } from "../plan/monitor";

const evaluate = (program: () => Promise<Record<string, unknown>>, preview = true) =>
  evaluateStack({
    monitor: new RecordingMonitor(new Map([["global", { zoneId: "Z123" }]])),
    stack: "eu-central-1",
    config: { "aws:region": "eu-central-1" },
    region: "eu-central-1",
    program,
    preview,
  });

describe("RecordingMonitor", () => {
  it.each([true, false])(
    "records parent, provider, dependencies and protect (preview %s)",
    async (preview) => {
      const ev = await evaluate(async () => {
        const provider = new aws.Provider("use1", { region: "us-east-1" });
        const key = new aws.kms.Key(
          "key",
          { multiRegion: true, enableKeyRotation: true },
          { protect: true },
        );
        const replica = new aws.kms.ReplicaKey(
          "replica",
          { primaryKeyArn: key.arn },
          { provider, retainOnDelete: true },
        );
        return { key: key.arn, replica: replica.arn };
      }, preview);
      expect(ev.records.map((r) => r.type)).toEqual([
        "pulumi:pulumi:Stack",
        "aws:kms/key:Key",
        "pulumi:providers:aws",
        "aws:kms/replicaKey:ReplicaKey",
      ]);
      const [stack, key, provider, replica] = ev.records;
      expect(key.parent).toBe(stack.urn);
      expect(key.protect).toBe(true);
      expect(replica.retainOnDelete).toBe(true);
      expect(replica.provider).toBe(`${provider.urn}::${provider.id}`);
      expect(replica.dependencies).toEqual([key.urn]);
      // The key lives in the default provider's region, the replica in its provider's region,
      // and both share the multi-region key id, as AWS does.
      expect(ev.outputs.key).toMatch(
        /^arn:aws:kms:eu-central-1:123456789012:key\/mrk-[0-9a-f]{32}$/,
      );
      expect(ev.outputs.replica).toBe(String(ev.outputs.key).replace("eu-central-1", "us-east-1"));
    },
  );

  it("answers a StackReference with the outputs of an evaluated stack", async () => {
    const ev = await evaluate(async () => {
      const ref = new pulumi.StackReference("global", { name: "organization/platform/global" });
      return { zoneId: ref.requireOutput("zoneId") };
    });
    expect(ev.outputs).toEqual({ zoneId: "Z123" });
    expect(ev.records.filter((r) => r.op === "read").map((r) => r.type)).toEqual([
      "pulumi:pulumi:StackReference",
    ]);
  });

  it("fails a StackReference to a stack not evaluated", async () => {
    await expect(
      evaluate(async () => {
        const ref = new pulumi.StackReference("other", { name: "organization/platform/us-east-1" });
        return { x: ref.requireOutput("x") };
      }),
    ).rejects.toThrow('stack "us-east-1" has not been evaluated in this plan (evaluated: global)');
  });

  it("fails loudly on an invoke it has no answer for", async () => {
    const failure = evaluate(async () => {
      const amis = await aws.ec2.getAmi({ owners: ["amazon"], mostRecent: true });
      return { id: amis.id };
    });
    await expect(failure).rejects.toThrow(StackProgramError);
    await expect(
      evaluate(async () => ({ id: (await aws.ec2.getAmi({ owners: ["amazon"] })).id })),
    ).rejects.toThrow(/the offline plan has no answer for the invoke aws:ec2\/getAmi:getAmi/);
  });

  it("answers the invokes the program uses with the stack's region", async () => {
    const ev = await evaluate(async () => {
      const [zones, partition, identity, region] = await Promise.all([
        aws.getAvailabilityZones(),
        aws.getPartition(),
        aws.getCallerIdentity(),
        aws.getRegion(),
      ]);
      return {
        zones: zones.names.slice(0, 3),
        partition: partition.partition,
        account: identity.accountId,
        region: region.region,
      };
    });
    expect(ev.outputs).toEqual({
      zones: ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
      partition: "aws",
      account: "123456789012",
      region: "eu-central-1",
    });
  });

  it("fails the stack, instead of waiting forever, when a resource others depend on fails", async () => {
    await expect(
      evaluate(async () => {
        const ref = new pulumi.StackReference("missing", { name: "organization/platform/nope" });
        const bucket = new aws.s3.Bucket("b", {}, { dependsOn: [ref] });
        return { arn: bucket.arn };
      }),
    ).rejects.toThrow('stack "nope" has not been evaluated in this plan (evaluated: global)');
  });
});
