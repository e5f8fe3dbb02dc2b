/**
 * The HTTP side every service shares, on node:http: routing, request ids, JSON bodies, a span
 * per request, the probes, and the drain on SIGTERM.
 *
 * Probes (paths in components/mesh/workload.ts): /livez (liveness: the process answers), /ready
 * (readiness: false from the moment the drain starts), /healthz (deep: the region's data path,
 * see health.ts). Drain, as Kubernetes terminates a pod
 * (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination): SIGTERM
 * arrives while endpoints are still being removed, so the service first fails readiness and keeps
 * serving for `drainDelayMs`, then stops accepting connections, lets the requests in flight end,
 * stops its background work and exits 0 before the grace period (30 s) runs out.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SpanKind, SpanStatusCode, context, trace } from "@opentelemetry/api";
import type { BaseConfig } from "./env";
import type { DeepHealth } from "./health";
import { createLogger, errorFields, type Logger } from "./log";
import { extractContext, type Tracing } from "./tracing";

export const LIVENESS_PATH = "/livez";
export const READINESS_PATH = "/ready";
export const HEALTH_PATH = "/healthz";
/** Largest request body accepted (413 past it). */
export const MAX_BODY_BYTES = 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  /** Raw bytes instead of JSON. */
  readonly raw?: Buffer;
  readonly headers?: Record<string, string>;
}

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly params: string[];
  readonly requestId: string;
  readonly log: Logger;
  body(): Promise<Buffer>;
  json(): Promise<unknown>;
}

export interface Route {
  readonly method: string;
  /** Matched against the path; capture groups become `params` (URI-decoded). */
  readonly path: RegExp;
  readonly handler: (ctx: RequestContext) => Promise<Reply>;
}

export interface ServiceOptions {
  readonly config: BaseConfig;
  readonly routes: readonly Route[];
  readonly health: DeepHealth;
  readonly tracing: Tracing;
  /** Background work to stop once the requests have drained (svc-b's queue worker). */
  readonly onDrain?: () => Promise<void>;
  readonly logger?: Logger;
}

export interface RunningService {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  readonly log: Logger;
  /** The drain SIGTERM starts; resolves when everything has stopped. */
  drain(): Promise<void>;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return { status, body, headers };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, reply: Reply, requestId: string, closing: boolean) {
  const headers: Record<string, string> = { "x-request-id": requestId, ...reply.headers };
  // While draining, tell keep-alive clients to go elsewhere for their next request.
  if (closing) headers.connection = "close";
  if (reply.raw) {
    res.writeHead(reply.status, { "content-type": "application/octet-stream", ...headers });
    res.end(reply.raw);
    return;
  }
  res.writeHead(reply.status, { "content-type": "application/json", ...headers });
  res.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
}

export function startService(options: ServiceOptions): Promise<RunningService> {
  const { config, routes, health, tracing } = options;
  const log = options.logger ?? createLogger({ service: config.service, region: config.region });
  let ready = true;
  let draining: Promise<void> | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    const header = req.headers["x-request-id"];
    const requestId = typeof header === "string" && header.length <= 128 ? header : randomUUID();
    const url = new URL(req.url ?? "/", "http://service");
    const path = url.pathname;
    const method = req.method ?? "GET";
    const probe = path === LIVENESS_PATH || path === READINESS_PATH;

    const span = tracing.tracer.startSpan(
      `${method} ${path}`,
      { kind: SpanKind.SERVER, attributes: { "http.request.method": method, "url.path": path } },
      extractContext(req.headers),
    );
    const traceId = span.spanContext().traceId;
    const reqLog = log.child({ requestId, traceId });
    let reply: Reply;
    try {
      reply = await context.with(trace.setSpan(context.active(), span), () =>
        dispatch(method, path, req, requestId, reqLog),
      );
    } catch (e) {
      if (e instanceof HttpError) {
        reply = json(e.status, { error: e.message, ...e.extra });
      } else {
        reqLog.log("error", "request failed", errorFields(e));
        reply = json(500, { error: "internal error", requestId });
      }
    }
    span.setAttribute("http.response.status_code", reply.status);
    if (reply.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    send(res, reply, requestId, draining !== undefined);
    if (!probe) {
      reqLog.log(reply.status >= 500 ? "error" : "info", "request", {
        method,
        path,
        status: reply.status,
        ms: Date.now() - started,
      });
    }
  };

  const dispatch = async (
    method: string,
    path: string,
    req: IncomingMessage,
    requestId: string,
    reqLog: Logger,
  ): Promise<Reply> => {
    if (path === LIVENESS_PATH) return json(200, { status: "alive" });
    if (path === READINESS_PATH) return json(ready ? 200 : 503, { ready });
    if (path === HEALTH_PATH) {
      const report = await health.check();
      return json(report.status === "ok" ? 200 : 503, { region: config.region, ...report });
    }
    let pathMatched = false;
    for (const route of routes) {
      const match = route.path.exec(path);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      let bodyPromise: Promise<Buffer> | undefined;
      const body = () => (bodyPromise ??= readBody(req));
      return route.handler({
        req,
        params: match.slice(1).map((p) => decodeURIComponent(p)),
        requestId,
        log: reqLog,
        body,
        json: async () => {
          const raw = await body();
          try {
            return JSON.parse(raw.toString("utf8")) as unknown;
          } catch {
            throw new HttpError(400, "body is not JSON");
          }
        },
      });
    }
    return pathMatched
      ? json(405, { error: `method ${method} not allowed on ${path}` })
      : json(404, { error: `no route for ${path}` });
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  const drain = (): Promise<void> =>
    (draining ??= (async () => {
      ready = false;
      log.log("info", "draining", { delayMs: config.drainDelayMs });
      const hard = setTimeout(() => {
        log.log("error", "drain timed out: exiting with requests open", {
          timeoutMs: config.drainTimeoutMs,
        });
        process.exit(1);
      }, config.drainTimeoutMs);
      hard.unref();
      await new Promise((r) => setTimeout(r, config.drainDelayMs));
      // close() stops accepting and resolves once every in-flight request has been answered;
      // idle keep-alive sockets would hold it open, so they are closed now and as they go idle.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      await closed;
      clearInterval(idle);
      await options.onDrain?.();
      await tracing.shutdown();
      clearTimeout(hard);
      log.log("info", "drained");
    })());

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      const port = (server.address() as AddressInfo).port;
      log.log("info", "listening", { port });
      resolve({ server, port, url: `http://127.0.0.1:${port}`, log, drain });
    });
  });
}

/** The process entry point's part: drain on SIGTERM (and Ctrl-C), then exit 0. */
export function exitOnSignals(service: RunningService): void {
  const stop = () => {
    service.drain().then(
      () => process.exit(0),
      (e: unknown) => {
        service.log.log("error", "drain failed", errorFields(e));
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
