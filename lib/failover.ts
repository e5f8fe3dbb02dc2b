/**
 * How long users keep being sent to a failed region: the one formula that both the region
 * stack's `failoverBudgetSeconds` output and the plan's figures use.
 *
 * Route 53 marks an endpoint unhealthy after `failureThreshold` consecutive failed checks, one
 * every `requestInterval` seconds; from then on the latency record with that health check is left
 * out of the answers, and resolvers that cached the old answer keep it for the record's TTL.
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html
 */

/**
 * The TTL resolvers see for an alias record to an Elastic Load Balancing load balancer: an alias
 * record has no TTL of its own, Route 53 answers with the target's, which is fixed at 60 seconds
 * for ELB ("use an alias record with a fixed TTL of 60 seconds", Route 53 FAQ, DNS failover).
 * https://aws.amazon.com/route53/faqs/
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-choosing-alias-non-alias.html
 */
export const ELB_ALIAS_TTL_SECONDS = 60;

export interface FailoverInput {
  /** Seconds between two checks from one checker (Route 53: 10 or 30). */
  readonly intervalSeconds: number;
  /** Consecutive failed checks before the endpoint is unhealthy (1-10). */
  readonly failureThreshold: number;
  /** How long resolvers may keep the old answer; 0 where no DNS answer is cached (anycast IPs). */
  readonly cacheSeconds: number;
}

export interface FailoverBudget extends FailoverInput {
  readonly detectionSeconds: number;
  readonly totalSeconds: number;
}

/** The time until users leave a failed region: detection, then the cached answers expiring. */
export function failoverBudget(input: FailoverInput): FailoverBudget {
  for (const [key, value] of Object.entries(input)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(`failover ${key} = ${value}: expected a number of seconds >= 0`);
    }
  }
  const detectionSeconds = input.intervalSeconds * input.failureThreshold;
  return { ...input, detectionSeconds, totalSeconds: detectionSeconds + input.cacheSeconds };
}
