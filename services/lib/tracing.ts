/**
 * OpenTelemetry traces over OTLP/HTTP to the region's collector. The platform sets
 * OTEL_EXPORTER_OTLP_ENDPOINT (the collector's OTLP/HTTP base URL, port 4318) and
 * OTEL_SERVICE_NAME; per the OTLP exporter specification the traces go to `<base>/v1/traces`
 * (https://opentelemetry.io/docs/specs/otel/protocol/exporter/). Without an endpoint spans are
 * not recorded. W3C trace context travels on the calls between services (the SDK's default
 * propagator once the provider is registered).
 */
import { context, propagation, trace, type Context, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import type { Env } from "./env";

export interface Tracing {
  readonly tracer: Tracer;
  /** Sends what is buffered; called on the way out. */
  shutdown(): Promise<void>;
}

export function otlpTracesUrl(env: Env): string | undefined {
  const signal = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (signal) return signal;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/+$/, "")}/v1/traces` : undefined;
}

export function startTracing(env: Env, service: string, region: string): Tracing {
  const url = otlpTracesUrl(env);
  if (!url) return { tracer: trace.getTracer(service), shutdown: async () => {} };
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      "service.name": env.OTEL_SERVICE_NAME ?? service,
      "cloud.region": region,
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  provider.register();
  return { tracer: provider.getTracer(service), shutdown: () => provider.shutdown() };
}

/** The caller's trace context, from the request's `traceparent` header. */
export function extractContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(context.active(), headers);
}

/** Headers carrying the active trace context to the next service. */
export function traceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}
