/**
 * The recording fake `pulumi` (./bin/pulumi) for tests: a state directory per test, seeded
 * stacks, and what the fake recorded.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Installation root of the fake (holding `bin/pulumi`), as `PulumiCommand.get({ root })` wants. */
export const FAKE_PULUMI_ROOT = __dirname;
export const FAKE_PULUMI_BIN = path.join(__dirname, "bin");

export interface Call {
  readonly args: readonly string[];
  readonly backend: string | null;
  readonly pid: number;
}
export interface Signal {
  readonly pid: number;
  readonly signal: string;
  readonly command: string | null;
}

export class FakePulumi {
  readonly state = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));

  /** A stack that exists in the fake backend, with its protected resources. */
  stack(name: string, record: { protected?: string[]; outputs?: Record<string, unknown> } = {}) {
    fs.mkdirSync(path.join(this.state, "stacks"), { recursive: true });
    fs.writeFileSync(
      path.join(this.state, "stacks", `${name}.json`),
      JSON.stringify({ protected: [], outputs: {}, ...record }),
    );
    return this;
  }

  exists(name: string): boolean {
    return fs.existsSync(path.join(this.state, "stacks", `${name}.json`));
  }

  lock(name: string) {
    fs.mkdirSync(path.join(this.state, "locked"), { recursive: true });
    fs.writeFileSync(path.join(this.state, "locked", name), "");
    return this;
  }

  locked(name: string): boolean {
    return fs.existsSync(path.join(this.state, "locked", name));
  }

  /** Switches on one of the fake's modes (`hold`, `slow-cancel`, `slow-select`). */
  mode(name: "hold" | "slow-cancel" | "slow-select") {
    fs.writeFileSync(path.join(this.state, name), "");
    return this;
  }

  started(name: string): boolean {
    return fs.existsSync(path.join(this.state, "started", name));
  }

  private lines<T>(file: string): T[] {
    const f = path.join(this.state, file);
    if (!fs.existsSync(f)) return [];
    return fs
      .readFileSync(f, "utf8")
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as T);
  }

  calls(): Call[] {
    return this.lines<Call>("calls.jsonl");
  }

  /** Each call as `pulumi <args>` without the flags the SDK adds to every command. */
  commands(): string[] {
    return this.calls().map((c) =>
      c.args
        .filter((a, i, all) => !/^--(non-interactive)$/.test(a) && all[i - 1] !== "--event-log")
        .filter((a) => a !== "--event-log")
        .join(" "),
    );
  }

  signals(): Signal[] {
    return this.lines<Signal>("signals.jsonl");
  }

  selections(): Array<{ stack: string; event: "begin" | "end" }> {
    return this.lines("selections.jsonl");
  }

  env(): Record<string, string> {
    return { FAKE_PULUMI_STATE: this.state };
  }

  remove(): void {
    fs.rmSync(this.state, { recursive: true, force: true });
  }
}

/** Resolves once `check` holds, polling (a wait, not a timed assertion). */
export async function until(check: () => boolean, what: string, limitMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
