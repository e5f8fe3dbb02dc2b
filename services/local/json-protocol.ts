/**
 * The server side of the AWS JSON protocols, as the SDK v3 clients speak them: `POST /` with
 * `X-Amz-Target: <prefix>.<Operation>` and a JSON body of the operation's input; a 200 with the
 * output as JSON, or a 4xx/5xx whose body names the error in `__type`. SQS uses AWS JSON 1.0 with
 * the prefix `AmazonSQS`
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-json.html),
 * EventBridge AWS JSON 1.1 with `AWSEvents`
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html; both as the
 * clients' own protocol settings in @aws-sdk/client-sqs and @aws-sdk/client-eventbridge declare).
 * Signatures are not checked: this stands in for the service's behaviour, not its security.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    /** The awsQueryCompatible code (SQS's `x-amzn-query-error`). */
    readonly queryCode?: string,
  ) {
    super(message);
  }
}

export type Operation = (
  input: Record<string, unknown>,
  req: IncomingMessage,
) => Promise<unknown> | unknown;

export interface JsonProtocolServer {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  /** Every call received, in order: the operation names (what the code under test called). */
  readonly calls: string[];
  close(): Promise<void>;
}

export function startJsonProtocolServer(options: {
  prefix: string;
  contentType: string;
  errorNamespace: string;
  operations: Record<string, Operation>;
  port?: number;
}): Promise<JsonProtocolServer> {
  const calls: string[] = [];
  const reply = (res: ServerResponse, status: number, body: unknown, headers = {}) => {
    res.writeHead(status, { "content-type": options.contentType, ...headers });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const target = String(req.headers["x-amz-target"] ?? "");
        const [prefix, name] = target.split(".");
        const operation = prefix === options.prefix ? options.operations[name] : undefined;
        try {
          if (req.method !== "POST" || !operation) {
            throw new AwsError("UnknownOperationException", `unsupported operation "${target}"`);
          }
          calls.push(name);
          const text = Buffer.concat(chunks).toString("utf8");
          const input = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
          reply(res, 200, (await operation(input, req)) ?? {});
        } catch (e) {
          const err = e instanceof AwsError ? e : new AwsError("InternalFailure", String(e), 500);
          reply(
            res,
            err.status,
            { __type: `${options.errorNamespace}#${err.type}`, message: err.message },
            err.queryCode ? { "x-amzn-query-error": `${err.queryCode};Sender` } : {},
          );
        }
      })();
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        server,
        port,
        url: `http://127.0.0.1:${port}`,
        calls,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
