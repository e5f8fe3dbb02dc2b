/**
 * The plan prints, for each hosted zone it creates, the name servers its parent must delegate to.
 */
import { describe, expect, it } from "vitest";
import { delegationLines, delegations } from "../plan/delegation";
import { runPlan } from "../plan/plan";
import { runProgram } from "../programs";
import { one, PROJECT_DIR } from "./fixtures";

describe("the delegation step in the plan", () => {
  it("names the created zone and the name servers Route 53 assigned it", async () => {
    const result = await runPlan({ dir: PROJECT_DIR, program: runProgram, stack: "global" });
    const zone = one(result.stacks[0].records, "aws:route53/zone:Zone");
    const nameServers = zone.outputs.nameServers as string[];
    expect(nameServers).toHaveLength(4);
    expect(delegations(result)).toEqual([{ stack: "global", zone: zone.inputs.name, nameServers }]);
    expect(delegationLines(result)).toEqual([
      `delegate ${String(zone.inputs.name)} (stack global): NS in its parent zone -> ${nameServers.join(" ")}`,
    ]);
  });
});
