/**
 * The SDK's mock monitor, extended to record what its `newResource` callback is not given:
 * parent, dependencies, provider, protect and retainOnDelete, from the register request itself.
 * One monitor serves every stack of a plan, one after another; the tests use it too.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { INVOKES, resourceOutputs } from "./answers";
import { plainValue, type RecordedResource } from "./record";

type Callback = (err: unknown, response: unknown) => void;

/** A register or read request, as the SDK's generated protobuf class exposes it. */
interface ResourceRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getCustom?(): boolean;
  getRemote?(): boolean;
  getProtect?(): boolean;
  getRetainondelete?(): boolean;
  getDependenciesList?(): string[];
  getObject?(): { toJavaScript(): Record<string, unknown> };
  getProperties?(): { toJavaScript(): Record<string, unknown> };
}

interface OutputsRequest {
  getUrn(): string;
  getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
}

/**
 * The SDK reads a failed RPC's message from `details`, as gRPC errors carry it; a plain Error
 * from the mocks would otherwise surface with an empty message.
 */
function withDetails(callback: Callback): Callback {
  return (err, response) => {
    if (err instanceof Error && !("details" in err)) Object.assign(err, { details: err.message });
    callback(err, response);
  };
}

/** Outputs of the stacks evaluated so far, by stack name: what a StackReference reads. */
export type StackOutputs = ReadonlyMap<string, Record<string, unknown>>;

export class RecordingMonitor extends MockMonitor {
  /** Every resource of the stack being evaluated, in registration order. */
  records: RecordedResource[] = [];
  readonly invokes: Array<{ token: string; inputs: Record<string, unknown> }> = [];
  private region = "us-east-1";
  private readonly providerRegions = new Map<string, string>();

  constructor(private readonly stackOutputs: StackOutputs = new Map()) {
    super({
      newResource: (args) => {
        if (args.type === "pulumi:pulumi:StackReference") {
          return {
            id: args.inputs.name,
            state: this.answerStackReference(String(args.inputs.name)),
          };
        }
        const region =
          (args.type === "pulumi:providers:aws" ? args.inputs.region : undefined) ??
          this.regionOf(args.provider);
        return resourceOutputs({
          type: args.type,
          name: args.name,
          urnSeed: `${pulumi.getStack()}/${args.type}/${args.name}`,
          region,
          inputs: args.inputs,
        });
      },
      call: (args) => {
        const answer = INVOKES[args.token];
        if (!answer) {
          throw new Error(
            `the offline plan has no answer for the invoke ${args.token}; add one to plan/answers.ts`,
          );
        }
        this.invokes.push({ token: args.token, inputs: args.inputs });
        return answer(args.inputs ?? {}, args.inputs?.region ?? this.regionOf(args.provider));
      },
    });
  }

  private abort: (reason: unknown) => void = () => undefined;

  /**
   * Starts a new stack: clears the records and sets the default provider's region. The promise
   * it returns rejects on the first failed registration: the engine ends the whole update then,
   * whereas the SDK would leave whatever depends on the failed resource waiting forever.
   */
  beginStack(region: string): Promise<never> {
    this.records = [];
    this.invokes.length = 0;
    this.region = region;
    return new Promise<never>((_, reject) => {
      this.abort = reject;
    });
  }

  private regionOf(providerRef: string | undefined): string {
    if (!providerRef) return this.region;
    const urn = providerRef.slice(0, providerRef.lastIndexOf("::"));
    return this.providerRegions.get(urn) ?? this.region;
  }

  private answerStackReference(name: string): Record<string, unknown> {
    const stack = name.split("/").pop() ?? name;
    const outputs = this.stackOutputs.get(stack);
    if (!outputs) {
      throw new Error(
        `StackReference "${name}": stack "${stack}" has not been evaluated in this plan (evaluated: ${[...this.stackOutputs.keys()].join(", ") || "none"})`,
      );
    }
    return { name, outputs, secretOutputNames: [] };
  }

  private record(op: RecordedResource["op"], req: ResourceRequest, callback: Callback): Callback {
    return (err, response) => {
      if (err) this.abort(err);
      if (!err && response) {
        const res = response as {
          getUrn(): string;
          getId?(): string;
          getObject?(): { toJavaScript(): unknown };
          getProperties?(): { toJavaScript(): unknown };
        };
        const urn = res.getUrn();
        const outputs = (res.getObject?.() ?? res.getProperties?.())?.toJavaScript() ?? {};
        const struct = req.getObject?.() ?? req.getProperties?.();
        const inputs = plainValue(struct?.toJavaScript() ?? {}) as Record<string, unknown>;
        const type = req.getType();
        if (type === "pulumi:providers:aws" && typeof inputs.region === "string") {
          this.providerRegions.set(urn, inputs.region);
        }
        this.records.push({
          op,
          urn,
          type,
          name: req.getName(),
          custom: op === "read" ? true : (req.getCustom?.() ?? false),
          remote: req.getRemote?.() ?? false,
          id: res.getId?.() ?? "",
          parent: req.getParent(),
          provider: req.getProvider(),
          dependencies: req.getDependenciesList?.() ?? [],
          protect: req.getProtect?.() ?? false,
          retainOnDelete: req.getRetainondelete?.() ?? false,
          inputs,
          outputs: plainValue(outputs) as Record<string, unknown>,
        });
      }
      callback(err, response);
    };
  }

  override async invoke(req: unknown, callback: Callback): Promise<void> {
    return super.invoke(req, withDetails(callback));
  }

  override async registerResource(req: ResourceRequest, callback: Callback): Promise<void> {
    return super.registerResource(req, this.record("create", req, withDetails(callback)));
  }

  override async readResource(req: ResourceRequest, callback: Callback): Promise<void> {
    return super.readResource(req, this.record("read", req, withDetails(callback)));
  }

  override registerResourceOutputs(req: OutputsRequest, callback: Callback): void {
    const urn: string = req.getUrn();
    const rec = this.records.find((r) => r.urn === urn);
    if (rec)
      rec.outputs = plainValue(req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>;
    super.registerResourceOutputs(req, callback);
  }
}
