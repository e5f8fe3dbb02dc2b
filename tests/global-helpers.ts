/** Shared helpers of the global-stack tests: evaluate a program under the recording monitor. */
import { evaluateStack, type StackEvaluation } from "../plan/evaluate";
import { RecordingMonitor } from "../plan/monitor";
import type { RecordedResource } from "../plan/record";
import { GlobalFabric, type GlobalFabricArgs } from "../components/global/fabric";
import { GlobalRouting, type GlobalRoutingArgs } from "../components/global/routing";

export async function evaluateFabric(
  args: GlobalFabricArgs,
  preview = true,
): Promise<StackEvaluation> {
  const monitor = new RecordingMonitor();
  return evaluateStack({
    monitor,
    stack: "global",
    config: { "aws:region": args.homeRegion },
    region: args.homeRegion,
    preview,
    program: async () => {
      const fabric = new GlobalFabric("platform", args);
      return { regional: fabric.regional };
    },
  });
}

export async function evaluateRouting(args: GlobalRoutingArgs): Promise<StackEvaluation> {
  const monitor = new RecordingMonitor();
  return evaluateStack({
    monitor,
    stack: "global",
    config: { "aws:region": args.homeRegion },
    region: args.homeRegion,
    program: async () => {
      const routing = new GlobalRouting("platform", args);
      return {
        zoneId: routing.zoneId,
        zoneName: routing.zoneName,
        acceleratorListenerArn: routing.acceleratorListenerArn,
        edgeDomainName: routing.edgeDomainName,
      };
    },
  });
}

export const ofType = (records: readonly RecordedResource[], type: string) =>
  records.filter((r) => r.type === type);

/** type -> number of resources of that type. */
export function countByType(records: readonly RecordedResource[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** The region of the explicit provider a resource was registered with. */
export function providerRegion(records: readonly RecordedResource[], r: RecordedResource): string {
  const urn = r.provider.slice(0, r.provider.lastIndexOf("::"));
  const provider = records.find((p) => p.urn === urn);
  if (!provider) throw new Error(`${r.name} has no explicit provider (${r.provider || "default"})`);
  return String(provider.inputs.region);
}
