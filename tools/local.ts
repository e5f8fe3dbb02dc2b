/**
 * `npm run local`: a region of the platform on the loopback, to try the services. It starts real
 * local servers for the data layer (dynalite, s3rver), wire-level stand-ins for SQS and
 * EventBridge, creates the table, bucket, queues, bus and rule with the names and key schema the
 * plan uses, starts svc-a, svc-b and svc-c and a router that maps the paths the ingress gateway
 * routes (and /healthz, as the regional health check's route does), and prints the URLs.
 * Ctrl-C stops everything it started. Exit 2 on bad options or configuration.
 */
import * as path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { busName, bucketName, tableName } from "../components/global/naming";
import { healthCheckService } from "../components/mesh/health";
import {
  DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
  DOMAIN_EVENT_PATTERN,
  MAX_RECEIVE_COUNT,
} from "../components/region/async";
import { ConfigError } from "../lib/config/errors";
import { loadProject } from "../lib/config/project";
import type { ServiceConfig } from "../lib/config/schema";
import { isAwsRegion } from "../lib/regions";
import { ACCOUNT_ID } from "../services/local/sqs";
import { startLocalRegion, type LocalRegionOptions } from "../services/local/region";

const PROJECT_DIR = path.resolve(__dirname, "..");
/** The fabric's component name in the global program: the prefix of every physical name. */
export const FABRIC_NAME = "platform";

/** The names and routes of `region` as the plan has them, for a local region. */
export function localRegionOptions(
  region: string,
  services: readonly ServiceConfig[],
): LocalRegionOptions {
  if (!isAwsRegion(region)) throw new Error(`region "${region}" is not an AWS region`);
  const routes: Record<string, string> = {};
  for (const s of services) for (const r of s.routes) routes[r] = s.name;
  return {
    region,
    names: {
      tableName: tableName(FABRIC_NAME),
      bucketName: bucketName(FABRIC_NAME, region, ACCOUNT_ID),
      busName: busName(FABRIC_NAME),
      // The queues are auto-named by Pulumi in AWS; the services are told the URL, not the name.
      workQueueName: `${FABRIC_NAME}-work`,
      dlqName: `${FABRIC_NAME}-dlq`,
      ruleName: `${FABRIC_NAME}-to-queue`,
      eventPattern: DOMAIN_EVENT_PATTERN,
      maxReceiveCount: MAX_RECEIVE_COUNT,
      visibilityTimeoutSeconds: DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
    },
    routes,
    healthService: healthCheckService(services)?.name,
  };
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError(`"${value}" is not a port (0-65535)`);
  }
  return n;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name("local")
    .description("Run a region of the platform on the loopback.")
    .option("--region <region>", "the region to play (one of the project's regions)")
    .option("--port <port>", "the router's port (0: any free port)", port, 8080)
    .option("--project-dir <dir>", "the project directory", PROJECT_DIR)
    .exitOverride();
  try {
    program.parse(argv, { from: "user" });
  } catch (e) {
    return (e as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const opts = program.opts<{ region?: string; port: number; projectDir: string }>();
  let options: LocalRegionOptions;
  try {
    const project = loadProject(path.resolve(opts.projectDir));
    const regions: string[] = project.regions.map((r) => r.config.region);
    const region = opts.region ?? project.global.config.region;
    if (!regions.includes(region)) {
      throw new Error(
        `--region "${region}" is not a region of the project (allowed: ${regions.join(", ")})`,
      );
    }
    const services = project.regions.find((r) => r.config.region === region)!.config.services;
    options = { ...localRegionOptions(region, services), routerPort: opts.port };
  } catch (e) {
    const message = e instanceof ConfigError ? `bad config:\n${e.message}` : (e as Error).message;
    process.stderr.write(`local failed: ${message}\n`);
    return 2;
  }
  const local = await startLocalRegion(options);
  const out = (line: string) => process.stderr.write(`${line}\n`);
  out(`local region ${local.region} is up:`);
  out(`  router (as the ingress gateway)  ${local.routerUrl}`);
  out(`    PUT/GET ${local.routerUrl}/a/items/{id}   GET ${local.routerUrl}/b/items/{id}`);
  out(`    GET ${local.routerUrl}/healthz`);
  out(
    `  svc-a ${local.services.a?.url}  svc-b ${local.services.b?.url}  svc-c ${local.services.c?.url}`,
  );
  out(
    `  DynamoDB ${local.dynamo.url}  S3 ${local.s3Url}  SQS ${local.sqs.url}  EventBridge ${local.events.url}`,
  );
  out("Ctrl-C stops everything.");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  out("stopping...");
  await local.stop();
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`local failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
