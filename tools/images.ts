/**
 * `npm run images`: the release images the deploy workflow builds, as one JSON line for its
 * matrix: `[{"service":"svc-a","tags":["1.4.2","1.5.0-rc.1"]},...]`, every service with each
 * imageTag and canaryImageTag that a stack of the project names. The repositories' tags are
 * immutable, so the workflow pushes a tag only when ECR does not have it yet: a version is built
 * from the first commit that names it, and is that image for good. Exit 2 on bad config (the
 * message names the stack and the key).
 *
 * `npm run images -- --bundle [--service <name>]` writes each service's bundle,
 * `services/<name>/dist/main.js` (esbuild: the service and its npm dependencies in one file for
 * Node.js 22), which its Dockerfile copies: `docker build services/<name>` then builds the image
 * from that directory alone. `--build` also runs that `docker build` for every release tag
 * (`--repository <prefix>` names the images `<prefix>/<service>:<tag>`).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { buildSync } from "esbuild";
import { ConfigError } from "../lib/config/errors";
import { loadProject } from "../lib/config/project";
import type { ServiceConfig } from "../lib/config/schema";

const PROJECT_DIR = path.resolve(__dirname, "..");

/** The directory an image is built from, and the entry point of its code. */
export const serviceDir = (projectDir: string, service: string): string =>
  path.join(projectDir, "services", service);
export const serviceEntry = (projectDir: string, service: string): string =>
  path.join(serviceDir(projectDir, service), "src", "main.ts");
/** What the Dockerfile copies (relative to the service's directory). */
export const BUNDLE = "dist/main.js";

/** Bundles a service into `services/<name>/dist/main.js`; returns the file. */
export function bundleService(projectDir: string, service: string): string {
  const entry = serviceEntry(projectDir, service);
  if (!existsSync(entry)) {
    throw new Error(
      `service "${service}" has no code: ${path.relative(projectDir, entry)} is missing`,
    );
  }
  const outfile = path.join(serviceDir(projectDir, service), BUNDLE);
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    outfile,
    // The licences of the bundled packages travel with the image.
    legalComments: "eof",
    logLevel: "error",
  });
  return outfile;
}

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

export function main(argv: string[]): number {
  const program = new Command()
    .name("images")
    .description("The release images (service, tags) the stacks run, as JSON.")
    .option(
      "--project-dir <dir>",
      "the project directory (Pulumi.yaml and the stack files)",
      PROJECT_DIR,
    )
    .option("--bundle", "write services/<name>/dist/main.js for each service (or --service)")
    .option("--build", "bundle, then docker build every release tag")
    .option("--service <name>", "only this service")
    .option("--repository <prefix>", "image names: <prefix>/<service>:<tag>")
    .exitOverride();
  try {
    program.parse(argv, { from: "user" });
  } catch (e) {
    return (e as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const opts = program.opts<{
    projectDir: string;
    bundle?: boolean;
    build?: boolean;
    service?: string;
    repository?: string;
  }>();
  const projectDir = path.resolve(opts.projectDir);
  try {
    const project = loadProject(projectDir);
    const stacks = [project.global, ...project.regions].map((s) => s.config.services);
    const images = releaseImages(stacks);
    if (!opts.bundle && !opts.build) {
      process.stdout.write(`${JSON.stringify(images)}\n`);
      return 0;
    }
    const names = images.map((i) => i.service);
    if (opts.service !== undefined && !names.includes(opts.service)) {
      process.stderr.write(
        `images failed: --service "${opts.service}" is not a service of platform:services (allowed: ${names.join(", ")})\n`,
      );
      return 2;
    }
    const chosen = images.filter((i) => opts.service === undefined || i.service === opts.service);
    for (const image of chosen) {
      const file = bundleService(projectDir, image.service);
      process.stderr.write(`bundled ${image.service}: ${path.relative(projectDir, file)}\n`);
      if (!opts.build) continue;
      for (const tag of image.tags) {
        const name = `${opts.repository ? `${opts.repository}/` : ""}${image.service}:${tag}`;
        const run = spawnSync(
          "docker",
          ["build", "-t", name, serviceDir(projectDir, image.service)],
          {
            stdio: "inherit",
          },
        );
        if (run.error || run.status !== 0) {
          process.stderr.write(
            `images failed: docker build of ${name} ${run.error ? `could not run (${run.error.message})` : `exited ${run.status}`}\n`,
          );
          return 1;
        }
      }
    }
    return 0;
  } catch (e) {
    const message = e instanceof ConfigError ? `bad config:\n${e.message}` : (e as Error).message;
    process.stderr.write(`images failed: ${message}\n`);
    return 2;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
