/**
 * Domain events on the region's bus, by the convention of docs/events.md: `source` from
 * EVENT_SOURCE (`platform.<service>`, which the region's rules route), `detail.originRegion` from
 * PLATFORM_REGION (which the global forwarding rules match to copy the event to every other
 * region exactly once).
 */
import { PutEventsCommand, type EventBridgeClient } from "@aws-sdk/client-eventbridge";

export interface Bus {
  readonly client: EventBridgeClient;
  readonly busName: string;
  readonly source: string;
  readonly region: string;
}

/**
 * The health probe's event: a source outside `platform.` (no regional rule routes it) and no
 * originRegion (no forwarding rule copies it), so it proves the bus takes events and goes nowhere.
 */
export const HEALTH_EVENT_SOURCE = "platform-health";

/** Puts one event; resolves to its EventBridge id. PutEvents reports failures per entry. */
export async function putEvent(
  client: EventBridgeClient,
  entry: { busName: string; source: string; detailType: string; detail: Record<string, unknown> },
  abortSignal?: AbortSignal,
): Promise<string> {
  const out = await client.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: entry.busName,
          Source: entry.source,
          DetailType: entry.detailType,
          Detail: JSON.stringify(entry.detail),
        },
      ],
    }),
    { abortSignal },
  );
  const result = out.Entries?.[0];
  if ((out.FailedEntryCount ?? 0) > 0 || !result?.EventId) {
    throw new Error(
      `PutEvents on ${entry.busName} failed: ${result?.ErrorCode ?? "no entry"} ${result?.ErrorMessage ?? ""}`.trim(),
    );
  }
  return result.EventId;
}

export function publish(
  bus: Bus,
  detailType: string,
  detail: Record<string, unknown>,
): Promise<string> {
  return putEvent(bus.client, {
    busName: bus.busName,
    source: bus.source,
    detailType,
    detail: { ...detail, originRegion: bus.region },
  });
}
