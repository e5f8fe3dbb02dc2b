/**
 * JSON schemas of every request (validated by Fastify's Ajv before a handler runs) and of the
 * main responses; @fastify/swagger turns them into the OpenAPI document at `/openapi.json`.
 * Response schemas keep `additionalProperties: true` so that serialisation never drops a field.
 */
import { RUN_OPERATIONS } from "./auth";
import { RUN_STATUSES } from "./types";

const stackName = { type: "string", minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9._-]+$" };

export const errorSchema = {
  type: "object",
  description: "A refused request; `field` names the field or header at fault.",
  properties: {
    statusCode: { type: "integer" },
    error: { type: "string" },
    message: { type: "string" },
    field: { type: "string" },
  },
  required: ["statusCode", "error", "message"],
  additionalProperties: true,
} as const;

export const runRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["operation"],
  properties: {
    operation: { type: "string", enum: [...RUN_OPERATIONS] },
    stacks: {
      type: "array",
      items: stackName,
      minItems: 1,
      maxItems: 64,
      uniqueItems: true,
      description: "Stacks to operate on; default every stack (destroy requires the list).",
    },
    canary: { type: "integer", minimum: 0, maximum: 64, description: "Regions in the first wave." },
    maxParallel: { type: "integer", minimum: 1, maximum: 64 },
    confirm: {
      type: "array",
      items: stackName,
      maxItems: 64,
      uniqueItems: true,
      description: "For destroy: exactly the stacks it destroys.",
    },
  },
} as const;

const runStackSchema = {
  type: "object",
  additionalProperties: true,
  properties: {
    stack: { type: "string" },
    role: { type: "string", enum: ["global", "region"] },
    region: { type: "string" },
    wave: { type: "integer" },
    status: { type: "string" },
    changes: { type: "object", additionalProperties: { type: "integer" } },
    durationMs: { type: "number" },
    violations: { type: "integer" },
    error: { type: "string" },
  },
} as const;

export const runSchema = {
  type: "object",
  additionalProperties: true,
  properties: {
    id: { type: "string" },
    operation: { type: "string", enum: [...RUN_OPERATIONS] },
    status: { type: "string", enum: [...RUN_STATUSES] },
    stacks: { type: "array", items: { type: "string" } },
    waves: { type: "array", items: { type: "array", items: { type: "string" } } },
    canary: { type: "integer" },
    maxParallel: { type: "integer" },
    requestedBy: { type: "string" },
    createdAt: { type: "string", format: "date-time" },
    startedAt: { type: "string", format: "date-time" },
    finishedAt: { type: "string", format: "date-time" },
    results: { type: "array", items: runStackSchema },
    error: { type: "string" },
    cancelRequestedBy: { type: "string" },
    eventCount: { type: "integer" },
  },
} as const;

export const runIdParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", pattern: "^[0-9a-f-]{36}$" } },
} as const;

export const idempotencyHeaders = {
  type: "object",
  properties: {
    "idempotency-key": {
      type: "string",
      minLength: 1,
      maxLength: 255,
      pattern: "^[\\x21-\\x7e]+$",
      description: "Repeating a request with the same key returns the first run.",
    },
  },
} as const;

export const eventsHeaders = {
  type: "object",
  properties: {
    "last-event-id": {
      type: "string",
      pattern: "^[0-9]{1,15}$",
      description: "The id of the last event received; only later events are sent.",
    },
  },
} as const;

export const wavesQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    operation: { type: "string", enum: [...RUN_OPERATIONS], default: "up" },
    stacks: { type: "string", description: "Comma-separated stacks; default every stack." },
    canary: { type: "integer", minimum: 0, maximum: 64 },
    maxParallel: { type: "integer", minimum: 1, maximum: 64 },
  },
} as const;

export const previewDocumentSchema = {
  type: "object",
  description: "A `pulumi preview --json` document.",
  required: ["steps"],
  additionalProperties: true,
  properties: { steps: { type: "array", items: { type: "object" } } },
} as const;

export const policyReportSchema = {
  type: "object",
  description: "The policy report as `npm run policy -- check --json` prints it.",
  additionalProperties: true,
  properties: {
    violations: { type: "array", items: { type: "object", additionalProperties: true } },
    exemptions: { type: "array", items: { type: "object", additionalProperties: true } },
  },
} as const;
