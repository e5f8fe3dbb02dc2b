/**
 * Human-readable progress for the CLI. Two modes over the same events:
 * - live (a terminal): one status line per stack, redrawn in place, with violations, errors
 *   and finished stacks printed above it as they happen;
 * - log (a pipe, a CI log): one line per notable event, nothing redrawn.
 */
import { delegationLine } from "./delegation";
import type { ChangeSummary, PlatformEvent, RunResult, StackResult } from "./types";

const SYMBOLS: Readonly<Record<string, string>> = {
  create: "+",
  update: "~",
  delete: "-",
  replace: "+-",
  "create-replacement": "++",
  "delete-replaced": "--",
  refresh: "r",
  read: ">",
  import: "=>",
};

/** `2 create, 1 update` (steps that change nothing are left out). */
export function formatChanges(changes: ChangeSummary): string {
  const parts = Object.entries(changes)
    .filter(([op, n]) => op !== "same" && n > 0)
    .map(([op, n]) => `${n} ${op}`);
  const same = changes.same ?? 0;
  if (parts.length === 0) return same > 0 ? `no changes (${same} unchanged)` : "no changes";
  return same > 0 ? `${parts.join(", ")}, ${same} unchanged` : parts.join(", ");
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

function resourceName(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

export function formatResult(r: StackResult): string {
  const head = `[${r.stack}] ${r.status}`;
  switch (r.status) {
    case "succeeded": {
      const outputs = Object.keys(r.outputs).length;
      const tail = r.operation === "outputs" ? `${outputs} outputs` : formatChanges(r.changes);
      return `${head} in ${seconds(r.durationMs)}: ${tail}`;
    }
    case "failed":
    case "cancelled":
    case "skipped":
      return `${head}${r.durationMs > 0 ? ` after ${seconds(r.durationMs)}` : ""}: ${r.error ?? ""}`;
    default: {
      const never: never = r.status;
      return String(never);
    }
  }
}

export function formatSummary(result: RunResult): string[] {
  const width = Math.max(5, ...result.stacks.map((s) => s.stack.length));
  const lines = [
    `${result.operation} ${result.ok ? "succeeded" : "did not succeed"} in ${seconds(result.durationMs)}`,
    ...result.stacks.flatMap((s) => {
      // Every line of an error: the engine explains a refusal (a protected resource, a lock)
      // on the lines after its first.
      const [first, ...more] = (s.error ?? "").split("\n");
      const row =
        `  ${s.stack.padEnd(width)}  ${s.status.padEnd(9)}  ${seconds(s.durationMs).padStart(7)}  ` +
        (s.status === "succeeded" ? formatChanges(s.changes) : first);
      return s.status === "succeeded" ? [row] : [row, ...more.map((l) => `      ${l}`)];
    }),
  ];
  if (result.operation === "outputs" || result.operation === "up") {
    for (const s of result.stacks.filter((x) => Object.keys(x.outputs).length > 0)) {
      lines.push(`outputs of ${s.stack}:`);
      for (const [k, v] of Object.entries(s.outputs)) lines.push(`  ${k}: ${JSON.stringify(v)}`);
    }
  }
  if (result.operation === "up") {
    // The global stack's zone answers nothing until its parent delegates to it (README: "First
    // deploy"): say so after the up that created it, as the plan does before.
    for (const s of result.stacks.filter((x) => x.status === "succeeded")) {
      const { zoneName, nameServers } = s.outputs;
      if (typeof zoneName !== "string" || !Array.isArray(nameServers)) continue;
      if (nameServers.length === 0) continue;
      lines.push(delegationLine(s.stack, zoneName, nameServers.map(String)));
    }
  }
  return lines;
}

interface Row {
  status: string;
  steps: number;
  current: string;
  started?: number;
  finished?: number;
}

export class ProgressReporter {
  private readonly rows = new Map<string, Row>();
  private drawn = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly write: (text: string) => void,
    private readonly live: boolean,
    private readonly now: () => number = () => performance.now(),
  ) {}

  handle(event: PlatformEvent): void {
    const messages = this.messages(event);
    if (!this.live) {
      for (const m of messages) this.write(`${m}\n`);
      return;
    }
    const done = event.type === "run-finished";
    if (done) this.stop();
    this.redraw(messages, !done);
    if (event.type === "run-started") this.timer = setInterval(() => this.redraw([], true), 250);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private row(stack: string): Row {
    let row = this.rows.get(stack);
    if (row === undefined) {
      row = { status: "waiting", steps: 0, current: "" };
      this.rows.set(stack, row);
    }
    return row;
  }

  /** Updates the rows and returns the lines worth keeping in the scrollback. */
  private messages(event: PlatformEvent): string[] {
    switch (event.type) {
      case "run-started":
        event.waves.flat().forEach((s) => this.row(s));
        return [`${event.operation}: ${event.waves.map((w) => `[${w.join(", ")}]`).join(" -> ")}`];
      case "wave-started":
        return this.live ? [] : [`wave ${event.wave}: ${event.stacks.join(", ")}`];
      case "stack-started": {
        Object.assign(this.row(event.stack), { status: "running", started: this.now() });
        return this.live ? [] : [`[${event.stack}] ${event.operation} started`];
      }
      case "resource-step": {
        const row = this.row(event.stack);
        const label = `${SYMBOLS[event.op] ?? event.op} ${event.resourceType} ${resourceName(event.urn)}`;
        if (event.phase === "pre") row.current = label;
        else row.steps += 1;
        const noisy = event.op === "same" || event.op === "read" || event.phase === "pre";
        if (event.phase === "failed") return [`[${event.stack}] failed: ${label}`];
        return this.live || noisy ? [] : [`[${event.stack}] ${label}`];
      }
      case "policy-violation":
        return [
          `[${event.stack}] policy ${event.enforcement} ${event.policyPack}/${event.policy}` +
            `${event.urn ? ` (${resourceName(event.urn)})` : ""}: ${event.message}`,
        ];
      case "diagnostic":
        return [`[${event.stack}] ${event.severity}: ${event.message}`];
      case "stack-finished": {
        Object.assign(this.row(event.stack), {
          status: event.result.status,
          current: "",
          finished: this.now(),
        });
        return [formatResult(event.result)];
      }
      case "run-finished":
        return ["", ...formatSummary(event.result)];
      default: {
        const never: never = event;
        return [String(never)];
      }
    }
  }

  /** Replaces the status block with `messages` followed by a fresh block (when `rows`). */
  private redraw(messages: readonly string[], withRows: boolean): void {
    const clear = this.drawn > 0 ? `\x1b[${this.drawn}A\x1b[0J` : "";
    const width = Math.max(5, ...[...this.rows.keys()].map((s) => s.length));
    const rows = !withRows
      ? []
      : [...this.rows.entries()].map(([stack, r]) => {
          const elapsed =
            r.started === undefined ? "" : seconds((r.finished ?? this.now()) - r.started);
          return `  ${stack.padEnd(width)}  ${r.status.padEnd(9)} ${elapsed.padStart(7)}  ${r.steps} steps  ${r.current}`;
        });
    const text = [...messages, ...rows].map((l) => `${l}\n`).join("");
    this.drawn = rows.length;
    this.write(clear + text);
  }
}
