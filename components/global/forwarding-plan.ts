/**
 * Cross-region forwarding of events between the regional buses, and why it never loops.
 *
 * Every region has a bus of the same name. For every ordered pair (source, destination) there is
 * one rule on the source bus whose only target is the destination bus. A rule matches only events
 * whose `detail.originRegion` is the rule's own region, that is, events first put on that bus:
 *
 *   publisher in R --PutEvents(detail.originRegion = R)--> bus R
 *   bus R: rule "R to S" (pattern originRegion = [R]) --> bus S   (one copy per other region S)
 *   bus S: rule "S to T" (pattern originRegion = [S]) does not match (originRegion is R) -> stop.
 *
 * An event therefore crosses at most one region boundary, reaches each other region exactly once
 * (one rule per destination), and never comes back. The guarantee rests only on the event's
 * `detail`, which bus-to-bus delivery passes through unchanged; it does not rely on how EventBridge
 * fills the envelope's `region` field on cross-region delivery (not something its documentation
 * promises) nor on its best-effort loop detection (which the documentation says not to rely on).
 *
 * The price is a convention for publishers: stamp `detail.originRegion` with the region of the bus
 * the event is put on. An event without it is delivered locally and not forwarded (fails closed).
 * Publishers using the optional global endpoint stamp the endpoint's primary region: in normal
 * operation the event lands there and is forwarded; during a failover it stays in the secondary
 * region (the primary is unhealthy), and still never loops.
 */
import type { AwsRegion } from "../../lib/regions";
import { orderedPairs } from "./replication-plan";

/** The field of `detail` that names the region of the bus an event was first put on. */
export const ORIGIN_REGION_FIELD = "originRegion";

/** An EventBridge event pattern: field -> allowed values, or a nested pattern. */
export type EventPattern = { readonly [field: string]: readonly string[] | EventPattern };

/** The pattern of every forwarding rule on the bus of `region`: events that originated there. */
export function forwardingPattern(region: AwsRegion): EventPattern {
  return { detail: { [ORIGIN_REGION_FIELD]: [region] } };
}

export interface ForwardingRoute {
  /** The region of the bus that holds the rule. */
  readonly source: AwsRegion;
  /** The region of the bus the rule's one target is. */
  readonly destination: AwsRegion;
  readonly pattern: EventPattern;
}

/** One rule per ordered pair of regions: n regions give n(n-1) routes. */
export function forwardingPlan(regions: readonly AwsRegion[]): ForwardingRoute[] {
  return orderedPairs(regions).map(({ source, destination }) => ({
    source,
    destination,
    pattern: forwardingPattern(source),
  }));
}

/**
 * The optional EventBridge global endpoint fails publishers over between a primary and a secondary
 * region, so it is defined for exactly two regions.
 */
export function validateGlobalEndpoint(enabled: boolean, regions: readonly AwsRegion[]): void {
  if (enabled && regions.length !== 2) {
    throw new Error(
      `events.globalEndpoint needs exactly two regions (a primary and a secondary); got ${regions.length} (${regions.join(", ")})`,
    );
  }
}
