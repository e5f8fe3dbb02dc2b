/**
 * Server-Sent Events for a run, as the HTML standard's "Server-sent events" section defines them
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html): each event carries `id:`
 * (the run's event number) and one `data:` line of JSON; a client reconnecting sends the last id
 * it saw in `Last-Event-ID` and gets only the later events. The response ends after the run's
 * last event (`run-ended`).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { RunManager } from "./runs";
import type { StoredEvent } from "./types";

/** Comment lines keep idle connections open through proxies that time them out. */
const HEARTBEAT_MS = 15_000;

/** One event as it goes on the wire: `{ id, time, type, ... }` on a single data line. */
export function formatEvent(e: StoredEvent): string {
  return `id: ${e.id}\ndata: ${JSON.stringify({ id: e.id, time: e.time, ...e.event })}\n\n`;
}

export function streamEvents(
  runs: RunManager,
  runId: string,
  afterId: number,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    Connection: "keep-alive",
    "X-Accel-Buffering": "no",
  });
  res.write("retry: 2000\n\n");
  let open = true;
  const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
  const end = () => {
    if (!open) return;
    open = false;
    clearInterval(heartbeat);
    stop();
    res.end();
  };
  let stop: () => void = () => undefined;
  stop = runs.subscribe(runId, afterId, (e) => {
    if (!open) return;
    if (e === undefined) end();
    else res.write(formatEvent(e));
  });
  if (!open) stop();
  request.raw.on("close", end);
}
