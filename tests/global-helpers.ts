/** Shared helpers of the global-stack tests: evaluate a program under the recording monitor. */
import type { StackEvaluation } from "../plan/evaluate";
import type { RecordedResource } from "../plan/record";
import { GlobalFabric, type GlobalFabricArgs } from "../components/global/fabric";
import { GlobalRouting, type GlobalRoutingArgs } from "../components/global/routing";
import { evaluateInRegion } from "./fixtures";

export { countByType, ofType } from "./fixtures";

export async function evaluateFabric(
  args: GlobalFabricArgs,
  preview = true,
): Promise<StackEvaluation> {
  return evaluateInRegion(
    args.homeRegion,
    async () => {
      const fabric = new GlobalFabric("platform", args);
      return { regional: fabric.regional };
    },
    { stack: "global", preview },
  );
}

export async function evaluateRouting(args: GlobalRoutingArgs): Promise<StackEvaluation> {
  return evaluateInRegion(
    args.homeRegion,
    async () => {
      const routing = new GlobalRouting("platform", args);
      return {
        zoneId: routing.zoneId,
        zoneName: routing.zoneName,
        nameServers: routing.nameServers,
        globalNameValidationFqdn: routing.globalNameValidationFqdn,
        acceleratorListenerArn: routing.acceleratorListenerArn,
        edgeDomainName: routing.edgeDomainName,
      };
    },
    { stack: "global" },
  );
}

/** The region of the explicit provider a resource was registered with. */
export function providerRegion(records: readonly RecordedResource[], r: RecordedResource): string {
  const urn = r.provider.slice(0, r.provider.lastIndexOf("::"));
  const provider = records.find((p) => p.urn === urn);
  if (!provider) throw new Error(`${r.name} has no explicit provider (${r.provider || "default"})`);
  return String(provider.inputs.region);
}
