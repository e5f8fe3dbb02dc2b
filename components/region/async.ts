/**
 * The region's asynchronous layer: domain events on the region's bus (which the global stack
 * also feeds with the other regions' events) routed by two EventBridge rules, one to the work
 * queue (for the services), one to the Lambda consumer. Failures end in one dead-letter queue:
 * the queue's redrive, the Lambda's on-failure destination, and both rules' target DLQs.
 * Everything is encrypted with the region key.
 */
import { serviceTrustPolicy } from "../../lib/iam";
import { LAMBDA_NODE_RUNTIME } from "../../lib/support-dates";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { consumerArchive } from "./consumer-code";
import { consumerPolicy } from "./iam";
import { queuePolicy } from "./queue-policy";

/** Domain events: everything the platform's services publish (`source: platform.<service>`). */
export const DOMAIN_EVENT_PATTERN = { source: [{ prefix: "platform." }] } as const;

export const MAX_RECEIVE_COUNT = 5;
/** @default - the work queue's visibility timeout; svc-b renews it for messages in progress */
export const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 300;

export interface AsyncLayerArgs {
  kmsKeyArn: pulumi.Input<string>;
  busName: pulumi.Input<string>;
  tableName: pulumi.Input<string>;
  tableArn: pulumi.Input<string>;
  appSubnetIds: pulumi.Input<string[]>;
  /** The VPC of the app subnets: the consumer's network interfaces stay in it. */
  vpcId: pulumi.Input<string>;
  lambdaSecurityGroupId: pulumi.Input<string>;
  logRetentionDays: number;
  /** @default 10 - the consumer's reserved concurrency (also its ceiling) */
  reservedConcurrentExecutions?: number;
  /** @default 300 - must exceed the consumer's timeout six times, as AWS advises for SQS */
  visibilityTimeoutSeconds?: number;
}

export class AsyncLayer extends pulumi.ComponentResource {
  public readonly queueArn: pulumi.Output<string>;
  public readonly queueUrl: pulumi.Output<string>;
  public readonly queueName: pulumi.Output<string>;
  public readonly dlqArn: pulumi.Output<string>;
  public readonly dlqName: pulumi.Output<string>;
  public readonly functionName: pulumi.Output<string>;

  constructor(name: string, args: AsyncLayerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:region:Async", name, {}, opts);
    const reserved = args.reservedConcurrentExecutions ?? 10;
    if (!Number.isInteger(reserved) || reserved < 1) {
      throw new Error(`reservedConcurrentExecutions: ${reserved} is not a positive whole number`);
    }
    const parent = { parent: this };
    const partition = aws.getPartitionOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);
    const identity = aws.getCallerIdentityOutput({}, parent);

    const dlq = new aws.sqs.Queue(
      `${name}-dlq`,
      {
        kmsMasterKeyId: args.kmsKeyArn,
        kmsDataKeyReusePeriodSeconds: 300,
        messageRetentionSeconds: 1209600,
      },
      parent,
    );
    const queue = new aws.sqs.Queue(
      `${name}-work`,
      {
        kmsMasterKeyId: args.kmsKeyArn,
        kmsDataKeyReusePeriodSeconds: 300,
        visibilityTimeoutSeconds:
          args.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
        messageRetentionSeconds: 345600,
        redrivePolicy: pulumi.jsonStringify({
          deadLetterTargetArn: dlq.arn,
          maxReceiveCount: MAX_RECEIVE_COUNT,
        }),
      },
      parent,
    );
    new aws.sqs.RedriveAllowPolicy(
      `${name}-dlq`,
      {
        queueUrl: dlq.url,
        redriveAllowPolicy: pulumi.jsonStringify({
          redrivePermission: "byQueue",
          sourceQueueArns: [queue.arn],
        }),
      },
      parent,
    );

    const pattern = JSON.stringify(DOMAIN_EVENT_PATTERN);
    const toQueue = new aws.cloudwatch.EventRule(
      `${name}-to-queue`,
      {
        eventBusName: args.busName,
        eventPattern: pattern,
        description: "domain events to the work queue",
      },
      parent,
    );
    const toConsumer = new aws.cloudwatch.EventRule(
      `${name}-to-consumer`,
      {
        eventBusName: args.busName,
        eventPattern: pattern,
        description: "domain events to the Lambda consumer",
      },
      parent,
    );

    new aws.sqs.QueuePolicy(
      `${name}-work`,
      {
        queueUrl: queue.url,
        policy: pulumi.jsonStringify(
          pulumi.all([queue.arn, toQueue.arn]).apply(([q, rule]) => queuePolicy(q, [rule])),
        ),
      },
      parent,
    );
    new aws.sqs.QueuePolicy(
      `${name}-dlq`,
      {
        queueUrl: dlq.url,
        policy: pulumi.jsonStringify(
          pulumi
            .all([dlq.arn, toQueue.arn, toConsumer.arn])
            .apply(([q, a, b]) => queuePolicy(q, [a, b])),
        ),
      },
      parent,
    );

    // The consumer: in the app subnets, its log group created first (KMS, retention).
    const functionName = pulumi.interpolate`${name}-consumer-${region.region}`;
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-consumer`,
      {
        name: pulumi.interpolate`/aws/lambda/${functionName}`,
        kmsKeyId: args.kmsKeyArn,
        retentionInDays: args.logRetentionDays,
      },
      parent,
    );
    const role = new aws.iam.Role(
      `${name}-consumer`,
      { assumeRolePolicy: pulumi.jsonStringify(serviceTrustPolicy("lambda.amazonaws.com")) },
      parent,
    );
    const ec2ArnPrefix = pulumi.interpolate`arn:${partition.partition}:ec2:${region.region}:${identity.accountId}`;
    const subnetArns = pulumi
      .all([ec2ArnPrefix, args.appSubnetIds])
      .apply(([prefix, ids]) => ids.map((id) => `${prefix}:subnet/${id}`));
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-consumer`,
      {
        role: role.id,
        policy: pulumi.jsonStringify(
          pulumi
            .all([
              args.tableArn,
              dlq.arn,
              args.kmsKeyArn,
              logGroup.arn,
              ec2ArnPrefix,
              subnetArns,
              pulumi.interpolate`${ec2ArnPrefix}:security-group/${args.lambdaSecurityGroupId}`,
              pulumi.all([pulumi.interpolate`${ec2ArnPrefix}:vpc/${args.vpcId}`, region.region]),
            ])
            .apply(([tableArn, dlqArn, kmsKeyArn, logGroupArn, prefix, subnets, sg, [vpc, r]]) =>
              consumerPolicy({
                tableArn,
                dlqArn,
                kmsKeyArn,
                logGroupArn: `${logGroupArn}:*`,
                ec2ArnPrefix: prefix,
                subnetArns: subnets,
                securityGroupArn: sg,
                vpcArn: vpc,
                region: r,
              }),
            ),
        ),
      },
      parent,
    );

    const fn = new aws.lambda.Function(
      `${name}-consumer`,
      {
        name: functionName,
        runtime: LAMBDA_NODE_RUNTIME,
        architectures: ["arm64"],
        handler: "index.handler",
        code: consumerArchive(),
        role: role.arn,
        timeout: 30,
        memorySize: 256,
        reservedConcurrentExecutions: reserved,
        kmsKeyArn: args.kmsKeyArn,
        environment: { variables: { TABLE_NAME: args.tableName } },
        tracingConfig: { mode: "Active" },
        vpcConfig: { subnetIds: args.appSubnetIds, securityGroupIds: [args.lambdaSecurityGroupId] },
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
      },
      { ...parent, dependsOn: [rolePolicy, logGroup] },
    );
    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-consumer`,
      {
        functionName: fn.name,
        maximumRetryAttempts: 2,
        maximumEventAgeInSeconds: 3600,
        destinationConfig: { onFailure: { destination: dlq.arn } },
      },
      parent,
    );
    new aws.lambda.Permission(
      `${name}-consumer`,
      {
        function: fn.name,
        action: "lambda:InvokeFunction",
        principal: "events.amazonaws.com",
        sourceArn: toConsumer.arn,
      },
      parent,
    );

    const retryPolicy = { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 3600 };
    new aws.cloudwatch.EventTarget(
      `${name}-to-queue`,
      {
        eventBusName: args.busName,
        rule: toQueue.name,
        arn: queue.arn,
        retryPolicy,
        deadLetterConfig: { arn: dlq.arn },
      },
      parent,
    );
    new aws.cloudwatch.EventTarget(
      `${name}-to-consumer`,
      {
        eventBusName: args.busName,
        rule: toConsumer.name,
        arn: fn.arn,
        retryPolicy,
        deadLetterConfig: { arn: dlq.arn },
      },
      parent,
    );

    this.queueArn = queue.arn;
    this.queueUrl = queue.url;
    this.queueName = queue.name;
    this.dlqArn = dlq.arn;
    this.dlqName = dlq.name;
    this.functionName = fn.name;
    this.registerOutputs({
      queueArn: this.queueArn,
      queueUrl: this.queueUrl,
      queueName: this.queueName,
      dlqArn: this.dlqArn,
      dlqName: this.dlqName,
      functionName: this.functionName,
    });
  }
}
