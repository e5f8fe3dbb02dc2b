/**
 * Append-only JSON-lines files: one JSON document per line, written with one `write(2)` per
 * record. A process killed in the middle of a write can leave a torn last line; reading skips a
 * line that does not parse, and the next append starts on a fresh line so that no later record
 * is glued to the torn one.
 */
import * as fs from "node:fs";

export interface JsonlReadResult<T> {
  readonly records: T[];
  /** Lines that did not parse (a torn write), by 1-based line number. */
  readonly skipped: number[];
}

export function readJsonl<T>(file: string): JsonlReadResult<T> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { records: [], skipped: [] };
    throw e;
  }
  const records: T[] = [];
  const skipped: number[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      skipped.push(i + 1);
    }
  });
  return { records, skipped };
}

/** An open append-only file. `sync` makes each append durable (fdatasync) before returning. */
export class JsonlWriter {
  private readonly fd: number;

  constructor(
    readonly file: string,
    private readonly sync = false,
  ) {
    this.fd = fs.openSync(file, "a");
    const size = fs.fstatSync(this.fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      const rd = fs.openSync(file, "r");
      try {
        fs.readSync(rd, last, 0, 1, size - 1);
      } finally {
        fs.closeSync(rd);
      }
      if (last.toString() !== "\n") fs.writeSync(this.fd, "\n");
    }
  }

  append(record: unknown): void {
    fs.writeSync(this.fd, `${JSON.stringify(record)}\n`);
    if (this.sync) fs.fdatasyncSync(this.fd);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
