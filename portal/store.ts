/**
 * Durable state in a data directory of append-only JSON-lines files:
 *
 *   runs.jsonl          a snapshot of a run each time it changes; the last one per id wins
 *   events/<id>.jsonl   the run's events, in order
 *   audit.jsonl         one entry per request that changes something (or tried to)
 *   portal.pid          the server that owns the directory
 *
 * Run snapshots and audit entries are synced to disk before the request that caused them is
 * answered; events are written (to the page cache) as they happen, which survives the process
 * dying, the case a restart recovers from.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { JsonlWriter, readJsonl } from "./jsonl";
import type { AuditEntry, RunRecord, StoredEvent } from "./types";

/** The data directory is in use by a live server. */
export class DataDirBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataDirBusyError";
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const RUN_ID = /^[0-9a-z-]{1,64}$/;

export class Store {
  private readonly runsWriter: JsonlWriter;
  private readonly auditWriter: JsonlWriter;
  private readonly eventWriters = new Map<string, JsonlWriter>();
  private readonly pidFile: string;

  /** Runs as last written, oldest first. */
  readonly runs: RunRecord[];

  constructor(readonly dir: string) {
    fs.mkdirSync(path.join(dir, "events"), { recursive: true });
    this.pidFile = path.join(dir, "portal.pid");
    this.claim();
    const latest = new Map<string, RunRecord>();
    for (const run of readJsonl<RunRecord>(path.join(dir, "runs.jsonl")).records) {
      if (typeof run?.id === "string") latest.set(run.id, run);
    }
    this.runs = [...latest.values()];
    // Compact: one line per run, written aside and renamed over the old file in one step.
    const runsFile = path.join(dir, "runs.jsonl");
    const tmp = `${runsFile}.tmp`;
    fs.writeFileSync(tmp, this.runs.map((r) => `${JSON.stringify(r)}\n`).join(""));
    fs.renameSync(tmp, runsFile);
    this.runsWriter = new JsonlWriter(runsFile, true);
    this.auditWriter = new JsonlWriter(path.join(dir, "audit.jsonl"), true);
  }

  /** Takes the directory, unless another live process holds it. */
  private claim(): void {
    try {
      const pid = Number(fs.readFileSync(this.pidFile, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new DataDirBusyError(
          `data directory ${this.dir} is in use by the portal server with pid ${pid}; ` +
            "stop it or set PORTAL_DATA_DIR to another directory",
        );
      }
    } catch (e) {
      if (e instanceof DataDirBusyError) throw e;
    }
    fs.writeFileSync(this.pidFile, `${process.pid}\n`);
  }

  saveRun(run: RunRecord): void {
    this.runsWriter.append(run);
  }

  private eventsFile(runId: string): string {
    if (!RUN_ID.test(runId)) throw new Error(`bad run id ${JSON.stringify(runId)}`);
    return path.join(this.dir, "events", `${runId}.jsonl`);
  }

  readEvents(runId: string): StoredEvent[] {
    return readJsonl<StoredEvent>(this.eventsFile(runId)).records.filter(
      (e) => typeof e?.id === "number",
    );
  }

  appendEvent(runId: string, event: StoredEvent): void {
    let writer = this.eventWriters.get(runId);
    if (writer === undefined) {
      writer = new JsonlWriter(this.eventsFile(runId));
      this.eventWriters.set(runId, writer);
    }
    writer.append(event);
  }

  /** The run will get no more events: sync and close its file. */
  closeEvents(runId: string): void {
    const writer = this.eventWriters.get(runId);
    if (writer === undefined) return;
    this.eventWriters.delete(runId);
    writer.close();
  }

  audit(entry: AuditEntry): void {
    this.auditWriter.append(entry);
  }

  readAudit(): AuditEntry[] {
    return readJsonl<AuditEntry>(path.join(this.dir, "audit.jsonl")).records;
  }

  close(): void {
    for (const id of [...this.eventWriters.keys()]) this.closeEvents(id);
    this.runsWriter.close();
    this.auditWriter.close();
    try {
      if (fs.readFileSync(this.pidFile, "utf8").trim() === String(process.pid)) {
        fs.rmSync(this.pidFile);
      }
    } catch {
      // Already gone: nothing to release.
    }
  }
}
