/**
 * The portal: the automation layer over HTTP (Fastify), with bearer-token roles, one run per
 * stack at a time, durable runs and events, Server-Sent Events and a page at `/`.
 */
import * as fs from "node:fs";
import { STATUS_CODES } from "node:http";
import * as path from "node:path";
import swagger from "@fastify/swagger";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from "fastify";
import {
  AutomationStackOperations,
  findAwsCredentials,
  findPulumiCli,
  targetsFromProject,
  type ProjectTargets,
} from "../automation";
import { loadProject } from "../lib/config/project";
import { evaluateResources } from "../policy/offline";
import { resourcesOfPreview } from "../tools/policy";
import {
  authenticate,
  bearerToken,
  mayRun,
  REQUIRED_ROLE,
  type Principal,
  type Role,
  type RunOperation,
  type TokenEntry,
} from "./auth";
import { automationExecutor, planExecutor, type Executor } from "./executors";
import { PortalError, RunManager, type RunRequest } from "./runs";
import {
  errorSchema,
  eventsHeaders,
  idempotencyHeaders,
  policyReportSchema,
  previewDocumentSchema,
  runIdParams,
  runRequestSchema,
  runSchema,
  wavesQuery,
} from "./schemas";
import { streamEvents } from "./sse";
import { Store } from "./store";
import type { AuditEntry } from "./types";

export interface PortalOptions {
  /** The directory holding Pulumi.yaml and the stack files. */
  readonly projectDir: string;
  /** Where runs, events and the audit log are kept. */
  readonly dataDir: string;
  /** Accepted tokens; `undefined` is insecure local mode, where every caller is `local` (admin). */
  readonly tokens?: readonly TokenEntry[];
  /** @default 65536 - a run request is a few hundred bytes */
  readonly bodyLimit?: number;
  /** @default 16 MiB - a preview document of a large stack */
  readonly policyBodyLimit?: number;
  /** @default plan: the offline plan in a child process; others: the Automation API */
  readonly executor?: (operation: RunOperation) => Executor;
  /** @default the Pulumi CLI and AWS credentials for every operation but `plan` */
  readonly missing?: (operation: RunOperation) => readonly string[];
  /** Check for AWS credentials before preview/up/destroy/refresh. @default true */
  readonly credentialCheck?: boolean;
  readonly logger?: boolean;
}

export interface Portal {
  readonly app: FastifyInstance;
  readonly runs: RunManager;
  readonly store: Store;
  /** Stops accepting requests, cancels runs in flight, closes the store. */
  close(): Promise<void>;
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
    auditWhat?: Record<string, unknown>;
    auditOutcome?: string;
  }
}

const HEADER_NAMES: Readonly<Record<string, string>> = {
  "idempotency-key": "Idempotency-Key",
  "last-event-id": "Last-Event-ID",
  authorization: "Authorization",
};

const LOCAL: Principal = { name: "local", role: "admin" };
const PAGE_DIR = path.join(__dirname, "page");

/** `headers/idempotency-key` -> `header Idempotency-Key`; `body/stacks/0` -> `stacks[0]`. */
function fieldOf(context: string | undefined, instancePath: string, params: unknown): string {
  const extra = params as { missingProperty?: string; additionalProperty?: string };
  const parts = instancePath.split("/").filter((p) => p.length > 0);
  if (extra.missingProperty !== undefined) parts.push(extra.missingProperty);
  if (extra.additionalProperty !== undefined) parts.push(extra.additionalProperty);
  if (context === "headers") {
    const name = parts[0] ?? "";
    return `header ${HEADER_NAMES[name] ?? name}`;
  }
  const field = parts.reduce(
    (acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc === "" ? p : `${acc}.${p}`),
    "",
  );
  const where = context === "querystring" ? "query" : context === "params" ? "path" : "body";
  return field === "" ? where : where === "body" ? field : `${where} parameter ${field}`;
}

function defaultMissing(credentialCheck: boolean) {
  return (operation: RunOperation): string[] => {
    if (operation === "plan") return [];
    const missing: string[] = [];
    if (findPulumiCli() === undefined) {
      missing.push(
        "the Pulumi CLI was not found (PATH, $PULUMI_HOME/bin, ~/.pulumi/bin): install it " +
          "(https://www.pulumi.com/docs/install/); the plan operation works without it",
      );
    }
    if (credentialCheck && findAwsCredentials() === undefined) {
      missing.push(
        "no AWS credentials (environment, web identity, container credentials, ~/.aws files); " +
          "on an instance or task role set PORTAL_CREDENTIAL_CHECK=0",
      );
    }
    return missing;
  };
}

export async function buildPortal(options: PortalOptions): Promise<Portal> {
  const store = new Store(options.dataDir);
  const projectDir = options.projectDir;
  const targets = (): ProjectTargets => targetsFromProject(loadProject(projectDir));
  const executor =
    options.executor ??
    ((operation: RunOperation): Executor =>
      operation === "plan"
        ? planExecutor({ projectDir })
        : automationExecutor(
            () => new AutomationStackOperations({ projectDir, pulumiRoot: findPulumiCli()?.root }),
            // As the platform CLI: no up of regions whose zone is not delegated.
            { delegation: { projectDir } },
          ));
  const runs = new RunManager(store, {
    targets,
    executor,
    missing: options.missing ?? defaultMissing(options.credentialCheck ?? true),
  });

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 65_536,
    // Unknown fields are refused rather than silently dropped: a misspelt `confirm` must not
    // turn into a destroy without one.
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Platform portal",
        version: "1.0.0",
        description:
          "Plan, preview, deploy, refresh and destroy the platform's stacks, with live events.",
      },
      components: {
        securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      },
      security: [{ bearer: [] }],
    },
  });

  app.decorateRequest("principal", undefined);
  app.decorateRequest("auditWhat", undefined);
  app.decorateRequest("auditOutcome", undefined);

  app.addHook("onRequest", async (request, reply) => {
    if (!request.url.startsWith("/api/")) return;
    if (options.tokens === undefined) {
      request.principal = LOCAL;
      return;
    }
    const found = bearerToken(request.headers.authorization);
    const principal = "token" in found ? authenticate(options.tokens, found.token) : undefined;
    if (principal === undefined) {
      const message =
        "problem" in found ? found.problem : "header Authorization: the token is not valid";
      reply.header("WWW-Authenticate", 'Bearer realm="portal"');
      throw new PortalError(401, message, { field: "Authorization" });
    }
    request.principal = principal;
  });

  app.addHook("onSend", async (request, reply, payload) => {
    reply.header("X-Content-Type-Options", "nosniff");
    if (request.method === "GET" || request.method === "HEAD") return payload;
    const entry: AuditEntry = {
      time: new Date().toISOString(),
      who: request.principal?.name ?? "anonymous",
      ...(request.principal ? { role: request.principal.role } : {}),
      method: request.method,
      path: request.url.split("?")[0],
      ...(request.auditWhat ? { what: request.auditWhat } : {}),
      status: reply.statusCode,
      outcome: request.auditOutcome ?? (reply.statusCode < 400 ? "ok" : "refused"),
      ip: request.ip,
    };
    store.audit(entry);
    return payload;
  });

  app.setErrorHandler((error: FastifyError | PortalError, request, reply) => {
    let status = 500;
    let message = "internal error";
    let details: Record<string, unknown> = {};
    if (error instanceof PortalError) {
      status = error.statusCode;
      message = error.message;
      details = { ...error.details };
    } else if (error.validation !== undefined && error.validation.length > 0) {
      const v = error.validation[0];
      const field = fieldOf(error.validationContext, v.instancePath, v.params);
      const allowed = (v.params as { allowedValues?: unknown[] }).allowedValues;
      status = 400;
      message = `${field}: ${v.message ?? "is not valid"}${allowed ? ` (${allowed.join(", ")})` : ""}`;
      details = { field };
    } else if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      status = 413;
      message = `body: larger than the limit of ${request.routeOptions.bodyLimit ?? options.bodyLimit} bytes`;
      details = { field: "body", limit: request.routeOptions.bodyLimit };
    } else if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      status = 415;
      message = `header Content-Type: ${request.headers["content-type"] ?? "(none)"} is not supported; send application/json`;
      details = { field: "Content-Type" };
    } else if (
      typeof error.statusCode === "number" &&
      error.statusCode >= 400 &&
      error.statusCode < 500
    ) {
      status = error.statusCode;
      message = `body: ${error.message}`;
      details = { field: "body" };
    } else {
      request.log.error(error);
    }
    request.auditOutcome = message;
    void reply.status(status).send({
      statusCode: status,
      error: STATUS_CODES[status] ?? "Error",
      message,
      ...details,
    });
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      statusCode: 404,
      error: "Not Found",
      message: `path ${request.method} ${request.url.split("?")[0]}: no such resource; see /openapi.json`,
      field: "path",
    });
  });

  const requireRole = (request: FastifyRequest, role: Role, what: string) => {
    const who = request.principal as Principal;
    const order: readonly Role[] = ["viewer", "operator", "admin"];
    if (order.indexOf(who.role) < order.indexOf(role)) {
      throw new PortalError(403, `${what} needs the ${role} role; "${who.name}" is ${who.role}`, {
        field: "Authorization",
        role: who.role,
        required: role,
      });
    }
  };

  // --- the page -------------------------------------------------------------------------------
  const pageFiles: Record<string, string> = {
    "/": "index.html",
    "/app.js": "app.js",
    "/app.css": "app.css",
  };
  const types: Record<string, string> = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
  };
  for (const [url, file] of Object.entries(pageFiles)) {
    const body = fs.readFileSync(path.join(PAGE_DIR, file));
    app.get(url, { schema: { hide: true } }, async (_request, reply) =>
      reply
        .type(types[path.extname(file)])
        .header("Cache-Control", "no-cache")
        .header(
          "Content-Security-Policy",
          "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        )
        .send(body),
    );
  }

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  // --- resources --------------------------------------------------------------------------------
  app.get(
    "/api/whoami",
    {
      schema: {
        summary: "The caller's name and role",
        response: {
          200: {
            type: "object",
            properties: { name: { type: "string" }, role: { type: "string" } },
          },
        },
      },
    },
    async (request) => request.principal,
  );

  app.get(
    "/api/stacks",
    {
      schema: {
        summary: "Every stack of the project, with the last run that touched it",
        response: { 200: { type: "object", additionalProperties: true } },
      },
    },
    async () => {
      const t = targets();
      return {
        stacks: [t.global, ...t.regions].map((s) => {
          const last = runs.lastRunOf(s.stack);
          const mine = last?.results.find((r) => r.stack === s.stack);
          return {
            stack: s.stack,
            role: s.role,
            region: s.region,
            lockedBy: runs.holder(s.stack) ?? null,
            lastRun:
              last === undefined
                ? null
                : {
                    id: last.id,
                    operation: last.operation,
                    status: last.status,
                    stackStatus: mine?.status ?? null,
                    createdAt: last.createdAt,
                    finishedAt: last.finishedAt ?? null,
                  },
          };
        }),
      };
    },
  );

  app.get<{
    Querystring: {
      operation: RunOperation;
      stacks?: string;
      canary?: number;
      maxParallel?: number;
    };
  }>(
    "/api/waves",
    {
      schema: {
        summary: "The planned order of an operation: waves of stacks",
        querystring: wavesQuery,
        response: { 200: { type: "object", additionalProperties: true } },
      },
    },
    async (request) => {
      const q = request.query;
      const stacks = q.stacks
        ?.split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      const { waves } = runs.planOnly({
        operation: q.operation,
        stacks: stacks && stacks.length > 0 ? stacks : undefined,
        canary: q.canary,
        maxParallel: q.maxParallel,
      });
      return {
        operation: q.operation,
        waves: waves.map((w, index) => ({
          index,
          tier: w.tier,
          stacks: w.stacks.map((t) => ({ stack: t.stack, role: t.role, region: t.region })),
        })),
      };
    },
  );

  app.post<{ Body: RunRequest; Headers: { "idempotency-key"?: string } }>(
    "/api/runs",
    {
      schema: {
        summary: "Start a run; 202 with its id and Location",
        body: runRequestSchema,
        headers: idempotencyHeaders,
        response: {
          200: runSchema,
          202: runSchema,
          400: errorSchema,
          401: errorSchema,
          403: errorSchema,
          404: errorSchema,
          409: errorSchema,
          413: errorSchema,
          422: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const who = request.principal as Principal;
      request.auditWhat = {
        operation: body.operation,
        stacks: body.stacks ?? "all",
        ...(body.confirm ? { confirm: body.confirm } : {}),
      };
      if (!mayRun(who.role, body.operation)) {
        requireRole(request, REQUIRED_ROLE[body.operation], `operation ${body.operation}`);
      }
      if (body.operation === "destroy") {
        if (body.stacks === undefined) {
          throw new PortalError(400, "stacks: destroy needs the list of stacks it destroys", {
            field: "stacks",
          });
        }
        const confirm = [...(body.confirm ?? [])].sort();
        const wanted = [...body.stacks].sort();
        if (JSON.stringify(confirm) !== JSON.stringify(wanted)) {
          throw new PortalError(
            400,
            `confirm: must list exactly the stacks destroyed (${wanted.join(", ")}); ` +
              `got ${confirm.length > 0 ? confirm.join(", ") : "none"}`,
            { field: "confirm", expected: wanted },
          );
        }
      } else if (body.confirm !== undefined) {
        throw new PortalError(400, "confirm: only destroy takes a confirmation", {
          field: "confirm",
        });
      }
      const key = request.headers["idempotency-key"];
      const { run, replayed } = runs.start(body, who, key);
      request.auditWhat = { ...request.auditWhat, run: run.id };
      request.auditOutcome = replayed ? "replayed" : "accepted";
      if (replayed) reply.header("Idempotent-Replayed", "true");
      return reply.status(202).header("Location", `/api/runs/${run.id}`).send(run);
    },
  );

  app.get<{ Querystring: { status?: string; limit?: number } }>(
    "/api/runs",
    {
      schema: {
        summary: "Runs, newest first",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: {
          200: { type: "object", properties: { runs: { type: "array", items: runSchema } } },
        },
      },
    },
    async (request) => ({ runs: runs.list().slice(0, request.query.limit ?? 100) }),
  );

  const getRun = (id: string) => {
    const run = runs.get(id);
    if (run === undefined) {
      throw new PortalError(404, `path parameter id: no run ${id}`, { field: "id" });
    }
    return run;
  };

  app.get<{ Params: { id: string } }>(
    "/api/runs/:id",
    {
      schema: {
        summary: "A run: status, waves, per-stack results",
        params: runIdParams,
        response: { 200: runSchema, 404: errorSchema },
      },
    },
    async (request) => getRun(request.params.id),
  );

  app.post<{ Params: { id: string } }>(
    "/api/runs/:id/cancel",
    {
      schema: {
        summary: "Cancel a run: running stacks stop when safe, later waves are cancelled",
        params: runIdParams,
        response: { 202: runSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (request, reply) => {
      request.auditWhat = { run: request.params.id };
      const run = getRun(request.params.id);
      requireRole(request, REQUIRED_ROLE[run.operation], `cancelling a ${run.operation} run`);
      const cancelled = runs.cancel(run.id, request.principal as Principal);
      request.auditOutcome = "cancel requested";
      return reply.status(202).send(cancelled);
    },
  );

  app.get<{ Params: { id: string }; Headers: { "last-event-id"?: string } }>(
    "/api/runs/:id/events",
    {
      schema: {
        summary:
          "Server-Sent Events: every event of the run in order, each with an increasing id; " +
          "reconnect with Last-Event-ID to get the events missed; the stream ends with the run",
        params: runIdParams,
        headers: eventsHeaders,
        produces: ["text/event-stream"],
        response: { 404: errorSchema },
      },
    },
    async (request, reply) => {
      const run = getRun(request.params.id);
      const after = Number(request.headers["last-event-id"] ?? 0);
      streamEvents(runs, run.id, after, request, reply);
    },
  );

  app.post<{ Body: unknown }>(
    "/api/policy/check",
    {
      bodyLimit: options.policyBodyLimit ?? 16 * 1024 * 1024,
      schema: {
        summary: "The policy pack over a `pulumi preview --json` document",
        body: previewDocumentSchema,
        response: { 200: policyReportSchema, 400: errorSchema },
      },
    },
    async (request) => {
      request.auditWhat = { check: "policy" };
      let resources;
      try {
        resources = resourcesOfPreview(request.body, "body");
      } catch (e) {
        const message = (e as Error).message;
        const field = /^body: (steps\[\d+\][.\w]*)/.exec(message)?.[1] ?? "body";
        throw new PortalError(400, message, { field });
      }
      return evaluateResources(resources);
    },
  );

  app.get(
    "/api/audit",
    {
      schema: {
        summary: "The audit log (admin)",
        response: { 200: { type: "object", additionalProperties: true } },
      },
    },
    async (request) => {
      requireRole(request, "admin", "the audit log");
      return { entries: store.readAudit().reverse() };
    },
  );

  return {
    app,
    runs,
    store,
    async close() {
      await app.close();
      await runs.shutdown();
      store.close();
    },
  };
}
