/**
 * From the engine's event stream (Automation API `onEvent`) to this layer's `StackEvent`s.
 * Pure, so it is tested with engine events written by hand.
 */
import type { EngineEvent, OutputMap } from "@pulumi/pulumi/automation";
import type { StackEvent } from "./types";

export function translateEngineEvent(stack: string, event: EngineEvent): StackEvent[] {
  const step = (
    phase: "pre" | "done" | "failed",
    m: { op: string; urn: string; type: string },
  ): StackEvent => ({
    type: "resource-step",
    stack,
    phase,
    op: m.op,
    urn: m.urn,
    resourceType: m.type,
  });
  if (event.resourcePreEvent) return [step("pre", event.resourcePreEvent.metadata)];
  if (event.resOutputsEvent) return [step("done", event.resOutputsEvent.metadata)];
  if (event.resOpFailedEvent) return [step("failed", event.resOpFailedEvent.metadata)];
  if (event.policyEvent) {
    const p = event.policyEvent;
    return [
      {
        type: "policy-violation",
        stack,
        policyPack: p.policyPackName,
        policy: p.policyName,
        enforcement: p.enforcementLevel === "mandatory" ? "mandatory" : "advisory",
        message: p.message.trim(),
        ...(p.resourceUrn !== undefined ? { urn: p.resourceUrn } : {}),
      },
    ];
  }
  const d = event.diagnosticEvent;
  // Info diagnostics are the program's console output; only warnings and errors are events.
  if (d && (d.severity === "warning" || d.severity === "error") && d.ephemeral !== true) {
    return [
      {
        type: "diagnostic",
        stack,
        severity: d.severity,
        message: d.message.trim(),
        ...(d.urn !== undefined ? { urn: d.urn } : {}),
      },
    ];
  }
  return [];
}

/** Stack outputs as plain values; secrets never leave the engine in clear text. */
export function plainOutputs(outputs: OutputMap): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(outputs).map(([key, o]) => [key, o.secret ? "[secret]" : o.value]),
  );
}
