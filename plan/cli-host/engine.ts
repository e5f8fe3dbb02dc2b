/**
 * A stand-in for the Pulumi engine at the wire: a gRPC server speaking the real `ResourceMonitor`
 * and `Engine` protocols (the service definitions shipped in `@pulumi/pulumi/proto`), so that a
 * program started by the SDK's own `cmd/run` (or a pack started by `cmd/run-policy-pack`) talks
 * to it exactly as it talks to `pulumi preview`.
 *
 * What it imitates:
 *  - `ResourceMonitor`: every call goes to the offline plan's `RecordingMonitor`, the SDK's
 *    `MockMonitor` (node_modules/@pulumi/pulumi/runtime/mocks.js), which takes and returns the
 *    same generated protobuf messages a gRPC server receives and sends. The features it claims
 *    are the ones `setMocks` turns on in the same file, so the program serializes its requests
 *    the way it does under the in-process mocks.
 *  - `Engine`: `Log` (what `pulumi.log` and the SDK's error reporting send; kept for the caller),
 *    `GetRootResource`/`SetRootResource` (the stack resource's URN, which the SDK stores and
 *    reads back: node_modules/@pulumi/pulumi/runtime/settings.js).
 *  - `SignalAndWaitForShutdown`: answered at once; the SDK calls it from its `beforeExit`
 *    handler (node_modules/@pulumi/pulumi/cmd/run/index.js) and the engine answers once every
 *    hook has run; there are none here.
 * Methods left out (`Call`, `StreamInvoke`, transforms, hooks) answer UNIMPLEMENTED, which the
 * SDK reports as an error if the program ever uses them.
 */
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import * as engineRpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import * as resourceRpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resourcePb from "@pulumi/pulumi/proto/resource_pb";
import type { RecordingMonitor } from "../monitor";

/** One `Engine.Log` message. Severity as in engine.proto: debug, info, warning, error. */
export interface EngineLog {
  readonly severity: "debug" | "info" | "warning" | "error";
  readonly message: string;
  readonly urn: string;
}

const SEVERITIES: Record<number, EngineLog["severity"]> = {
  [enginePb.LogSeverity.DEBUG]: "debug",
  [enginePb.LogSeverity.INFO]: "info",
  [enginePb.LogSeverity.WARNING]: "warning",
  [enginePb.LogSeverity.ERROR]: "error",
};

/**
 * The monitor features this engine claims: those `setMocks` turns on for the in-process mocks
 * (runtime/mocks.js), so a program sends the same requests over the wire as under the mocks.
 */
const FEATURES = new Set([
  "secrets",
  "resourceReferences",
  "deletedWith",
  "replaceWith",
  "aliasSpecs",
  "parameterization",
  "resourceHooks",
  "errorHooks",
]);

export interface WireEngine {
  /** `127.0.0.1:<port>`, for `--monitor` and `--engine`. */
  readonly address: string;
  /** Every `Engine.Log` message received, in order. */
  readonly logs: EngineLog[];
  /** Every monitor call that failed, with its message. */
  readonly failures: string[];
  /** When each resource registration arrived (process.hrtime.bigint()), with its type. */
  readonly registrations: Array<{ readonly type: string; readonly at: bigint }>;
  close(): Promise<void>;
}

type Callback = (err: grpc.ServiceError | null, response?: unknown) => void;
type MonitorMethod = (req: unknown, callback: (err: unknown, response: unknown) => void) => unknown;

/** A gRPC error the SDK can read: it takes the message from `details`. */
function asServiceError(err: unknown): grpc.ServiceError {
  const message = err instanceof Error ? err.message : String(err);
  return Object.assign(new Error(message), {
    code: grpc.status.UNKNOWN,
    details: message,
    metadata: new grpc.Metadata(),
  });
}

/** Starts the engine on a free loopback port, serving `monitor`. */
export async function startWireEngine(monitor: RecordingMonitor): Promise<WireEngine> {
  const logs: EngineLog[] = [];
  const failures: string[] = [];
  const registrations: WireEngine["registrations"] = [];
  let rootUrn = "";

  // Forwards one unary call to the recording monitor. The mock monitor answers some calls with
  // a plain object where the wire needs a message (registerResourceOutputs: `{}`).
  const forward =
    (name: string, toMessage?: (response: unknown) => unknown) =>
    (call: grpc.ServerUnaryCall<unknown, unknown>, callback: Callback) => {
      const method = (monitor as unknown as Record<string, MonitorMethod>)[name];
      Promise.resolve(
        method.call(monitor, call.request, (err, response) => {
          if (err) {
            const e = asServiceError(err);
            failures.push(`${name}: ${e.details}`);
            callback(e);
            return;
          }
          callback(null, toMessage ? toMessage(response) : response);
        }),
      ).catch((err: unknown) => callback(asServiceError(err)));
    };

  const registerResource = forward("registerResource");
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(resourceRpc.ResourceMonitorService, {
    supportsFeature: (
      call: grpc.ServerUnaryCall<resourcePb.SupportsFeatureRequest, unknown>,
      callback: Callback,
    ) => {
      const response = new resourcePb.SupportsFeatureResponse();
      response.setHassupport(FEATURES.has(call.request.getId()));
      callback(null, response);
    },
    registerResource: (
      call: grpc.ServerUnaryCall<resourcePb.RegisterResourceRequest, unknown>,
      callback: Callback,
    ) => {
      registrations.push({ type: call.request.getType(), at: process.hrtime.bigint() });
      registerResource(call, callback);
    },
    readResource: forward("readResource"),
    registerResourceOutputs: forward("registerResourceOutputs", () => new Empty()),
    invoke: forward("invoke"),
    registerPackage: forward("registerPackage"),
    signalAndWaitForShutdown: (_call: unknown, callback: Callback) => callback(null, new Empty()),
  });
  server.addService(engineRpc.EngineService, {
    log: (call: grpc.ServerUnaryCall<enginePb.LogRequest, unknown>, callback: Callback) => {
      const req = call.request;
      logs.push({
        severity: SEVERITIES[req.getSeverity()] ?? "info",
        message: req.getMessage(),
        urn: req.getUrn(),
      });
      callback(null, new Empty());
    },
    getRootResource: (_call: unknown, callback: Callback) => {
      const response = new enginePb.GetRootResourceResponse();
      response.setUrn(rootUrn);
      callback(null, response);
    },
    setRootResource: (
      call: grpc.ServerUnaryCall<enginePb.SetRootResourceRequest, unknown>,
      callback: Callback,
    ) => {
      rootUrn = call.request.getUrn();
      callback(null, new enginePb.SetRootResourceResponse());
    },
  });

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    logs,
    failures,
    registrations,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
