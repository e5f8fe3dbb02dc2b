/**
 * `npm run images`: the release images the deploy workflow builds, as one JSON line for its
 * matrix: `[{"service":"svc-a","tags":["1.4.2","1.5.0-rc.1"]},...]`, every service with each
 * imageTag and canaryImageTag that a stack of the project names. The repositories' tags are
 * immutable, so the workflow pushes a tag only when ECR does not have it yet: a version is built
 * from the first commit that names it, and is that image for good. Exit 2 on bad config (the
 * message names the stack and the key).
 */
import * as path from "node:path";
import { Command } from "commander";
import { ConfigError } from "../lib/config/errors";
import { loadProject } from "../lib/config/project";
import type { ServiceConfig } from "../lib/config/schema";

const PROJECT_DIR = path.resolve(__dirname, "..");

export interface ReleaseImage {
  readonly service: string;
  readonly tags: string[];
}

/**
 * Per service, in the order the services are first declared, its release tags without
 * duplicates (a stack file may override `platform:services`, so every stack's list counts).
 */
export function releaseImages(stacks: ReadonlyArray<readonly ServiceConfig[]>): ReleaseImage[] {
  const tags = new Map<string, Set<string>>();
  for (const services of stacks) {
    for (const service of services) {
      const of = tags.get(service.name) ?? new Set<string>();
      of.add(service.imageTag);
      if (service.canaryImageTag !== undefined) of.add(service.canaryImageTag);
      tags.set(service.name, of);
    }
  }
  return [...tags].map(([service, of]) => ({ service, tags: [...of] }));
}

function main(argv: string[]): number {
  const program = new Command()
    .name("images")
    .description("The release images (service, tags) the stacks run, as JSON.")
    .option(
      "--project-dir <dir>",
      "the project directory (Pulumi.yaml and the stack files)",
      PROJECT_DIR,
    )
    .exitOverride();
  try {
    program.parse(argv, { from: "user" });
  } catch (e) {
    return (e as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const { projectDir } = program.opts<{ projectDir: string }>();
  try {
    const project = loadProject(path.resolve(projectDir));
    const stacks = [project.global, ...project.regions].map((s) => s.config.services);
    process.stdout.write(`${JSON.stringify(releaseImages(stacks))}\n`);
    return 0;
  } catch (e) {
    const message = e instanceof ConfigError ? `bad config:\n${e.message}` : (e as Error).message;
    process.stderr.write(`images failed: ${message}\n`);
    return 2;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
