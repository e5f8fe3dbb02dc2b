/** The pure logic of the global fabric: pair plans, forwarding (and why it never loops), MRSC rules. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  forwardingPattern,
  forwardingPlan,
  validateGlobalEndpoint,
  type EventPattern,
  type ForwardingRoute,
} from "../components/global/forwarding-plan";
import { orderedPairs, replicationRules } from "../components/global/replication-plan";
import { validateTableConsistency } from "../components/global/table-consistency";
import { validateRegions, validateServices } from "../components/global/validate";
import { AWS_REGION_NAMES, type AwsRegion } from "../lib/regions";

describe("orderedPairs", () => {
  it.each([
    [["us-east-1", "eu-central-1"], 2],
    [["us-east-1", "eu-central-1", "ap-northeast-1"], 6],
    [["us-east-1", "eu-central-1", "ap-northeast-1", "us-west-2"], 12],
  ] as const)("%j gives %i ordered pairs", (regions, count) => {
    expect(orderedPairs(regions)).toHaveLength(count);
  });

  it("lists every (source, destination) pair once, never a region with itself", () => {
    expect(orderedPairs(["us-east-1", "eu-central-1", "ap-northeast-1"])).toEqual([
      { source: "us-east-1", destination: "eu-central-1" },
      { source: "us-east-1", destination: "ap-northeast-1" },
      { source: "eu-central-1", destination: "us-east-1" },
      { source: "eu-central-1", destination: "ap-northeast-1" },
      { source: "ap-northeast-1", destination: "us-east-1" },
      { source: "ap-northeast-1", destination: "eu-central-1" },
    ]);
  });
});

describe("replicationRules", () => {
  const destinations = [
    { region: "eu-central-1" as const, bucketArn: "arn:b:euc1", kmsKeyArn: "arn:k:euc1" },
    { region: "ap-northeast-1" as const, bucketArn: "arn:b:apne1", kmsKeyArn: "arn:k:apne1" },
  ];

  it("replicates everything, delete markers and replica changes, re-encrypted, with RTC", () => {
    expect(replicationRules(destinations, true)).toEqual([
      {
        id: "to-eu-central-1",
        priority: 1,
        status: "Enabled",
        filter: {},
        deleteMarkerReplication: { status: "Enabled" },
        sourceSelectionCriteria: {
          replicaModifications: { status: "Enabled" },
          sseKmsEncryptedObjects: { status: "Enabled" },
        },
        destination: {
          bucket: "arn:b:euc1",
          encryptionConfiguration: { replicaKmsKeyId: "arn:k:euc1" },
          replicationTime: { status: "Enabled", time: { minutes: 15 } },
          metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
        },
      },
      {
        id: "to-ap-northeast-1",
        priority: 2,
        status: "Enabled",
        filter: {},
        deleteMarkerReplication: { status: "Enabled" },
        sourceSelectionCriteria: {
          replicaModifications: { status: "Enabled" },
          sseKmsEncryptedObjects: { status: "Enabled" },
        },
        destination: {
          bucket: "arn:b:apne1",
          encryptionConfiguration: { replicaKmsKeyId: "arn:k:apne1" },
          replicationTime: { status: "Enabled", time: { minutes: 15 } },
          metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
        },
      },
    ]);
  });

  it("without RTC keeps the metrics and drops the replication time", () => {
    const [rule] = replicationRules(destinations.slice(0, 1), false);
    expect(rule.destination).toEqual({
      bucket: "arn:b:euc1",
      encryptionConfiguration: { replicaKmsKeyId: "arn:k:euc1" },
      metrics: { status: "Enabled" },
    });
  });
});

/** EventBridge exact matching: every field of the pattern must hold one of the listed values. */
function matches(pattern: EventPattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const value = event[field];
    if (Array.isArray(expected)) return expected.includes(value as string);
    return (
      typeof value === "object" &&
      value !== null &&
      matches(expected as EventPattern, value as Record<string, unknown>)
    );
  });
}

interface Envelope {
  readonly region: string;
  readonly detail: Record<string, unknown>;
}

/**
 * Publishes one event on the bus of `origin` and runs the forwarding rules until nothing matches,
 * the way EventBridge would. `regionOnDelivery` says what the envelope's `region` becomes when an
 * event reaches another region's bus; the plan must be loop-free under either answer. Returns the
 * number of times each bus received the event, or throws when the event keeps travelling.
 */
function simulate(
  routes: readonly ForwardingRoute[],
  origin: AwsRegion,
  detail: Record<string, unknown>,
  regionOnDelivery: "kept" | "destination",
): Map<string, number> {
  const received = new Map<string, number>();
  const inFlight: Array<{ bus: AwsRegion; event: Envelope }> = [
    { bus: origin, event: { region: origin, detail } },
  ];
  for (let steps = 0; inFlight.length > 0; steps++) {
    if (steps > 1000) throw new Error("the event loops");
    const { bus, event } = inFlight.shift()!;
    received.set(bus, (received.get(bus) ?? 0) + 1);
    for (const route of routes.filter((r) => r.source === bus)) {
      if (!matches(route.pattern, { ...event })) continue;
      const region = regionOnDelivery === "kept" ? event.region : route.destination;
      inFlight.push({ bus: route.destination, event: { region, detail: event.detail } });
    }
  }
  return received;
}

describe("forwardingPlan", () => {
  it("four regions give twelve forwarding paths, one per ordered pair", () => {
    const regions = ["us-east-1", "eu-central-1", "ap-northeast-1", "us-west-2"] as const;
    const plan = forwardingPlan(regions);
    expect(plan).toHaveLength(12);
    expect(plan.map((r) => [r.source, r.destination])).toEqual(
      orderedPairs(regions).map((p) => [p.source, p.destination]),
    );
  });

  it("a rule matches only events first put on its own bus", () => {
    expect(forwardingPattern("eu-central-1")).toEqual({
      detail: { originRegion: ["eu-central-1"] },
    });
  });

  it("an event that arrived from another region is never forwarded again", () => {
    const plan = forwardingPlan(["us-east-1", "eu-central-1", "ap-northeast-1"]);
    const arrived = { region: "eu-central-1", detail: { originRegion: "us-east-1" } };
    const onEuBus = plan.filter((r) => r.source === "eu-central-1");
    expect(onEuBus.filter((r) => matches(r.pattern, arrived))).toEqual([]);
  });

  it("an event without the origin stamp stays in its region", () => {
    const plan = forwardingPlan(["us-east-1", "eu-central-1"]);
    expect(simulate(plan, "us-east-1", { orderId: "1" }, "kept")).toEqual(
      new Map([["us-east-1", 1]]),
    );
  });

  it("delivers an event published anywhere to every other region exactly once, never looping", () => {
    const regionSet = fc.uniqueArray(fc.constantFrom(...AWS_REGION_NAMES), {
      minLength: 2,
      maxLength: 8,
    });
    fc.assert(
      fc.property(
        regionSet.chain((regions) => fc.tuple(fc.constant(regions), fc.constantFrom(...regions))),
        fc.constantFrom("kept" as const, "destination" as const),
        ([regions, origin], regionOnDelivery) => {
          const plan = forwardingPlan(regions);
          const received = simulate(plan, origin, { originRegion: origin }, regionOnDelivery);
          // Every region's bus holds the event once: the origin from the publisher, the others
          // from exactly one forwarding rule; nothing ever comes back.
          expect(new Map([...received].sort())).toEqual(
            new Map(regions.map((r) => [r, 1] as const).sort()),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("validateGlobalEndpoint", () => {
  it("accepts two regions, or no endpoint at all", () => {
    expect(() => validateGlobalEndpoint(true, ["us-east-1", "eu-central-1"])).not.toThrow();
    expect(() =>
      validateGlobalEndpoint(false, ["us-east-1", "eu-central-1", "us-west-2"]),
    ).not.toThrow();
  });

  it("rejects an endpoint over three regions", () => {
    expect(() => validateGlobalEndpoint(true, ["us-east-1", "eu-central-1", "us-west-2"])).toThrow(
      "events.globalEndpoint needs exactly two regions (a primary and a secondary); got 3 (us-east-1, eu-central-1, us-west-2)",
    );
  });
});

const SETS =
  "us: us-east-1, us-east-2, us-west-2; eu: eu-west-1, eu-west-2, eu-west-3, eu-central-1; ap: ap-northeast-1, ap-northeast-2, ap-northeast-3";

describe("validateTableConsistency", () => {
  describe.each([
    [
      "eventual",
      ["us-east-1", "eu-central-1", "ap-northeast-1", "us-west-2"],
      undefined,
      undefined,
      undefined,
    ],
    ["strong", ["us-east-1", "us-east-2", "us-west-2"], undefined, "STRONG", undefined],
    ["strong", ["eu-west-1", "eu-central-1"], "eu-west-2", "STRONG", "eu-west-2"],
    ["strong", ["ap-northeast-1", "ap-northeast-3"], "ap-northeast-2", "STRONG", "ap-northeast-2"],
  ] as const)("%s over %j (witness %s)", (consistency, regions, witnessRegion, mode, witness) => {
    it("is allowed", () => {
      expect(validateTableConsistency({ consistency, regions, witnessRegion })).toEqual({
        consistencyMode: mode,
        witnessRegion: witness,
      });
    });
  });

  describe.each([
    [
      "eventual",
      ["us-east-1", "us-east-2"],
      "us-west-2",
      'table.witnessRegion is us-west-2, but a witness is only used with table.consistency "strong"; remove it or set table.consistency to "strong"',
    ],
    [
      "strong",
      ["us-east-1", "us-east-2", "us-west-2", "eu-west-1"],
      undefined,
      'table.consistency "strong" needs three regions, or two plus table.witnessRegion; got 4 regions (us-east-1, us-east-2, us-west-2, eu-west-1)',
    ],
    [
      "strong",
      ["us-east-1", "us-east-2", "us-west-2"],
      "us-west-2",
      'table.consistency "strong" with three regions takes no witness; remove table.witnessRegion (us-west-2)',
    ],
    [
      "strong",
      ["us-east-1", "us-east-2"],
      undefined,
      `table.consistency "strong" with two regions (us-east-1, us-east-2) needs table.witnessRegion, a third region of the same region set (${SETS})`,
    ],
    [
      "strong",
      ["us-east-1", "us-east-2"],
      "us-east-2",
      "table.witnessRegion us-east-2 is one of the table's regions (us-east-1, us-east-2); the witness must be a different region",
    ],
    [
      "strong",
      ["us-east-1", "eu-central-1", "us-west-2"],
      undefined,
      `table.consistency "strong" needs all regions from one region set (${SETS}); got us-east-1, eu-central-1, us-west-2`,
    ],
    [
      "strong",
      ["eu-west-1", "eu-central-1"],
      "us-east-1",
      `table.consistency "strong" needs all regions and the witness from one region set (${SETS}); got eu-west-1, eu-central-1, us-east-1`,
    ],
    [
      "strong",
      ["us-east-1", "us-west-1"],
      "us-west-2",
      `table.consistency "strong" needs all regions and the witness from one region set (${SETS}); got us-east-1, us-west-1, us-west-2`,
    ],
  ] as const)("%s over %j (witness %s)", (consistency, regions, witnessRegion, message) => {
    it("fails with a message that names the setting and what is allowed", () => {
      expect(() => validateTableConsistency({ consistency, regions, witnessRegion })).toThrow(
        new Error(message),
      );
    });
  });
});

describe("validateRegions and validateServices", () => {
  it.each([
    [
      "us-east-1",
      ["us-east-1"],
      "regions must hold at least two regions for an active/active platform; got 1 (us-east-1)",
    ],
    [
      "us-east-1",
      ["us-east-1", "us-east-1"],
      "regions lists us-east-1 twice (us-east-1, us-east-1)",
    ],
    [
      "us-west-2",
      ["us-east-1", "eu-central-1"],
      "homeRegion us-west-2 is not one of regions (us-east-1, eu-central-1)",
    ],
    [
      "us-east-1",
      ["us-east-1", "mars-1"],
      "regions: mars-1 is not an AWS region (for example us-east-1)",
    ],
  ])("home %s, regions %j: %s", (home, regions, message) => {
    expect(() => validateRegions(home, regions)).toThrow(new Error(message));
  });

  it("rejects a service listed twice", () => {
    expect(() => validateServices(["svc-a", "svc-a"])).toThrow(
      new Error("services lists svc-a twice"),
    );
  });
});
