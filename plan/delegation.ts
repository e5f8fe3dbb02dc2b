/**
 * The hosted zones a plan creates and the name servers their parent zone must delegate to: a new
 * Route 53 zone answers nothing until its parent has an NS record for it, so ACM DNS validation
 * and the health checks would wait forever
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/CreatingNewSubdomain.html).
 */
import { delegationLine } from "../automation/delegation";
import type { PlanResult } from "./plan";

export interface Delegation {
  readonly stack: string;
  readonly zone: string;
  readonly nameServers: readonly string[];
}

export function delegations(result: PlanResult): Delegation[] {
  return result.stacks.flatMap((s) =>
    s.records
      .filter((r) => r.type === "aws:route53/zone:Zone" && r.op === "create")
      .map((r) => ({
        stack: s.stack,
        zone: String(r.inputs.name ?? r.name).replace(/\.$/, ""),
        nameServers: (Array.isArray(r.outputs.nameServers) ? r.outputs.nameServers : []).map(
          String,
        ),
      })),
  );
}

/** What the plan prints: one line per zone, the step to take before the region stacks. */
export function delegationLines(result: PlanResult): string[] {
  return delegations(result).map((d) => delegationLine(d.stack, d.zone, d.nameServers));
}
