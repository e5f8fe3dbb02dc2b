/**
 * A throw-away copy of the project's stack files, for tests that change one setting and check
 * what the loader, the plan or the CLI make of it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";

export const PROJECT_DIR = path.resolve(__dirname, "..");

export function copyProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "platform-project-"));
  for (const f of fs.readdirSync(PROJECT_DIR).filter((f) => /^Pulumi(\..+)?\.yaml$/.test(f))) {
    fs.copyFileSync(path.join(PROJECT_DIR, f), path.join(dir, f));
  }
  return dir;
}

/** Rewrites one stack file's `config:` through `edit`. */
export function editStack(
  dir: string,
  stack: string,
  edit: (config: Record<string, unknown>) => void,
): void {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  const doc = parse(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  edit(doc.config);
  fs.writeFileSync(file, stringify(doc));
}
