import { beforeAll, describe, expect, it } from "vitest";
import { DOMAIN_EVENT_PATTERN, MAX_RECEIVE_COUNT } from "../components/region/async";
import { transpileConsumer } from "../components/region/consumer-code";
import { consumerPolicy } from "../components/region/iam";
import { queuePolicy } from "../components/region/queue-policy";
import {
  createHandler,
  idempotencyKey,
  type DomainEvent,
  type PutItemClient,
} from "../functions/consumer/handler";
import type { StackEvaluation } from "../plan/evaluate";
import {
  FABRIC,
  KEY_ARN,
  doc,
  evaluatePlatform,
  ofType,
  one,
  regionConfig,
} from "./region-helpers";

/** A table that keeps items by key and honours `attribute_not_exists(pk)`, as DynamoDB does. */
class FakeTable implements PutItemClient {
  readonly items = new Map<string, Record<string, unknown>>();
  writes = 0;
  async putItem(input: Parameters<PutItemClient["putItem"]>[0]): Promise<unknown> {
    const item = input.Item as Record<string, { S?: string }>;
    const key = `${item.pk.S}|${item.sk.S}`;
    if (input.ConditionExpression !== "attribute_not_exists(pk)")
      throw new Error("unexpected condition");
    if (this.items.has(key)) {
      const err = new Error("The conditional request failed");
      err.name = "ConditionalCheckFailedException";
      throw err;
    }
    this.items.set(key, input.Item);
    this.writes++;
    return {};
  }
}

const event = (id: string): DomainEvent => ({
  id,
  source: "platform.svc-a",
  "detail-type": "OrderPlaced",
  region: "us-east-1",
  time: "2026-11-21T00:00:00Z",
  detail: { orderId: "o-1" },
});

describe("consumer handler", () => {
  const now = () => new Date("2026-11-21T00:00:00Z");

  it("processes an event once: the second delivery is acknowledged without a second write", async () => {
    const table = new FakeTable();
    const handle = createHandler({ client: table, tableName: "t", region: "eu-central-1", now });
    await expect(handle(event("e-1"))).resolves.toEqual({ status: "processed", eventId: "e-1" });
    await expect(handle(event("e-1"))).resolves.toEqual({ status: "duplicate", eventId: "e-1" });
    expect(table.writes).toBe(1);
    expect([...table.items.values()][0]).toEqual({
      pk: { S: "event#e-1" },
      sk: { S: "consumer#eu-central-1" },
      source: { S: "platform.svc-a" },
      detailType: { S: "OrderPlaced" },
      originRegion: { S: "us-east-1" },
      processedAt: { S: "2026-11-21T00:00:00.000Z" },
      expiresAt: { N: String(Date.parse("2026-11-21T00:00:00Z") / 1000 + 7 * 24 * 3600) },
    });
  });

  it("writes once per event and per consuming region", async () => {
    const table = new FakeTable();
    for (const region of ["eu-central-1", "us-east-1"]) {
      await createHandler({ client: table, tableName: "t", region, now })(event("e-2"));
    }
    await createHandler({ client: table, tableName: "t", region: "us-east-1", now })(event("e-3"));
    expect(table.writes).toBe(3);
    expect(idempotencyKey("e-2", "us-east-1")).toEqual({
      pk: "event#e-2",
      sk: "consumer#us-east-1",
    });
  });

  it("rethrows other failures so that Lambda retries and then dead-letters", async () => {
    const throttled: PutItemClient = {
      putItem: async () => {
        const err = new Error("Rate exceeded");
        err.name = "ProvisionedThroughputExceededException";
        throw err;
      },
    };
    await expect(
      createHandler({ client: throttled, tableName: "t", region: "r" })(event("e-4")),
    ).rejects.toThrow("Rate exceeded");
  });

  it("refuses an event without an id", async () => {
    const handle = createHandler({ client: new FakeTable(), tableName: "t", region: "r" });
    await expect(handle({ ...event("x"), id: "" })).rejects.toThrow(
      "event.id is missing: not an EventBridge event",
    );
  });

  it("ships as CommonJS with the index.handler entry point", () => {
    const js = transpileConsumer();
    expect(js).toContain("exports.handler = handler");
    expect(js).toContain("exports.createHandler = createHandler");
    expect(js).not.toMatch(/^import /m);
  });
});

describe("async IAM and queue policies", () => {
  it("lets EventBridge send only on behalf of the named rules", () => {
    expect(queuePolicy("arn:q", ["arn:r1"]).Statement).toEqual([
      {
        Sid: "EventBridgeRules",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: ["sqs:SendMessage"],
        Resource: "arn:q",
        Condition: { ArnEquals: { "aws:SourceArn": ["arn:r1"] } },
      },
    ]);
    expect(() => queuePolicy("arn:q", [])).toThrow("queuePolicy: no rule may send to arn:q");
  });

  it("gives the consumer exactly the table, the DLQ and the key, and no write on *", () => {
    const p = consumerPolicy({
      tableArn: "arn:t",
      dlqArn: "arn:dlq",
      kmsKeyArn: "arn:k",
      logGroupArn: "arn:lg:*",
      ec2ArnPrefix: "arn:aws:ec2:r:1",
      subnetArns: ["arn:aws:ec2:r:1:subnet/s-1"],
      securityGroupArn: "arn:aws:ec2:r:1:security-group/sg-1",
      vpcArn: "arn:aws:ec2:r:1:vpc/vpc-1",
      region: "r",
    });
    const bySid = Object.fromEntries(p.Statement.map((s) => [s.Sid, [s.Action, s.Resource]]));
    expect(bySid.IdempotencyWrite).toEqual([["dynamodb:PutItem"], "arn:t"]);
    expect(bySid.OnFailureDestination).toEqual([["sqs:SendMessage"], "arn:dlq"]);
    expect(bySid.RegionKey).toEqual([["kms:Decrypt", "kms:GenerateDataKey"], "arn:k"]);
    const sid = (id: string) => p.Statement.find((s) => s.Sid === id)!;
    // The key only through the services the consumer uses, in its region.
    expect(sid("RegionKey").Condition).toEqual({
      StringEquals: {
        "kms:ViaService": [
          "dynamodb.r.amazonaws.com",
          "lambda.r.amazonaws.com",
          "sqs.r.amazonaws.com",
        ],
      },
    });
    // No network interface of the region outside the consumer's subnets and VPC.
    expect(sid("VpcEnis")).toEqual({
      Sid: "VpcEnis",
      Effect: "Allow",
      Action: [
        "ec2:AssignPrivateIpAddresses",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:UnassignPrivateIpAddresses",
      ],
      Resource: "arn:aws:ec2:r:1:network-interface/*",
      Condition: {
        ArnEquals: {
          "ec2:Subnet": ["arn:aws:ec2:r:1:subnet/s-1"],
          "ec2:Vpc": "arn:aws:ec2:r:1:vpc/vpc-1",
        },
      },
    });
    const onEnis = p.Statement.filter((s) =>
      [s.Resource].flat().some((r) => String(r).includes(":network-interface/")),
    );
    expect(onEnis.every((s) => s.Condition !== undefined)).toBe(true);
    const onStar = p.Statement.filter((s) => s.Resource === "*").flatMap((s) => s.Action);
    expect(onStar.sort()).toEqual([
      "ec2:DescribeNetworkInterfaces",
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]);
    expect(p.Statement.flatMap((s) => s.Action).some((a) => a === "*" || a.endsWith(":*"))).toBe(
      false,
    );
  });
});

describe("AsyncLayer under the mock monitor", () => {
  let ev: StackEvaluation;
  beforeAll(async () => {
    ev = await evaluatePlatform(regionConfig());
  });

  it("declares the work queue and its DLQ, both with the region key", () => {
    const dlq = one(ev.records, "aws:sqs/queue:Queue", "platform-async-dlq");
    const queue = one(ev.records, "aws:sqs/queue:Queue", "platform-async-work");
    for (const q of [dlq, queue]) expect(q.inputs.kmsMasterKeyId).toBe(KEY_ARN);
    expect(doc(queue.inputs.redrivePolicy)).toEqual({
      deadLetterTargetArn: dlq.outputs.arn,
      maxReceiveCount: MAX_RECEIVE_COUNT,
    });
    expect(MAX_RECEIVE_COUNT).toBe(5);
    expect(ofType(ev.records, "aws:sqs/queue:Queue")).toHaveLength(2);
  });

  it("routes domain events on the region's bus to the queue and to the consumer", () => {
    const rules = ofType(ev.records, "aws:cloudwatch/eventRule:EventRule");
    expect(
      rules
        .map((r) => [r.name, r.inputs.eventBusName, JSON.parse(String(r.inputs.eventPattern))])
        .sort(),
    ).toEqual([
      ["platform-async-to-consumer", FABRIC.busName, DOMAIN_EVENT_PATTERN],
      ["platform-async-to-queue", FABRIC.busName, DOMAIN_EVENT_PATTERN],
    ]);
    const dlq = one(ev.records, "aws:sqs/queue:Queue", "platform-async-dlq");
    const queue = one(ev.records, "aws:sqs/queue:Queue", "platform-async-work");
    const fn = one(ev.records, "aws:lambda/function:Function");
    const targets = ofType(ev.records, "aws:cloudwatch/eventTarget:EventTarget").map((t) => [
      t.name,
      t.inputs.arn,
      t.inputs.deadLetterConfig,
    ]);
    expect(targets.sort()).toEqual([
      ["platform-async-to-consumer", fn.outputs.arn, { arn: dlq.outputs.arn }],
      ["platform-async-to-queue", queue.outputs.arn, { arn: dlq.outputs.arn }],
    ]);
    const toQueue = one(
      ev.records,
      "aws:cloudwatch/eventRule:EventRule",
      "platform-async-to-queue",
    );
    const policy = doc(
      one(ev.records, "aws:sqs/queuePolicy:QueuePolicy", "platform-async-work").inputs.policy,
    );
    expect(policy.Statement[0].Condition).toEqual({
      ArnEquals: { "aws:SourceArn": [toQueue.outputs.arn] },
    });
  });

  it("runs the consumer on a supported Node runtime in the app subnets, traced, encrypted, with reserved concurrency", () => {
    const fn = one(ev.records, "aws:lambda/function:Function");
    const vpcOut = one(ev.records, "awsx:ec2:Vpc").outputs as { privateSubnetIds: string[] };
    const sg = one(ev.records, "aws:ec2/securityGroup:SecurityGroup", "platform-network-lambda");
    expect(fn.inputs).toMatchObject({
      runtime: "nodejs24.x",
      handler: "index.handler",
      kmsKeyArn: KEY_ARN,
      tracingConfig: { mode: "Active" },
      reservedConcurrentExecutions: 10,
      environment: { variables: { TABLE_NAME: FABRIC.tableName } },
      vpcConfig: { subnetIds: vpcOut.privateSubnetIds, securityGroupIds: [sg.id] },
    });
    const dlq = one(ev.records, "aws:sqs/queue:Queue", "platform-async-dlq");
    expect(
      one(ev.records, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs
        .destinationConfig,
    ).toEqual({
      onFailure: { destination: dlq.outputs.arn },
    });
    expect(one(ev.records, "aws:lambda/permission:Permission").inputs).toMatchObject({
      principal: "events.amazonaws.com",
      sourceArn: one(ev.records, "aws:cloudwatch/eventRule:EventRule", "platform-async-to-consumer")
        .outputs.arn,
    });
    const policy = doc(
      one(ev.records, "aws:iam/rolePolicy:RolePolicy", "platform-async-consumer").inputs.policy,
    );
    expect(policy.Statement[0]).toEqual({
      Sid: "IdempotencyWrite",
      Effect: "Allow",
      Action: ["dynamodb:PutItem"],
      Resource: FABRIC.tableArn,
    });
    const logs = one(ev.records, "aws:cloudwatch/logGroup:LogGroup", "platform-async-consumer");
    expect(logs.inputs).toMatchObject({
      name: "/aws/lambda/platform-async-consumer-eu-central-1",
      kmsKeyId: KEY_ARN,
    });
  });
});
