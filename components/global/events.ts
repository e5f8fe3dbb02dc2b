/**
 * A custom EventBridge bus of the same name in every region, and the rules that forward what is
 * published in one region to every other region's bus, never twice and never back (see
 * forwarding-plan.ts for the argument). Failed deliveries land in an encrypted dead-letter queue in
 * the source region. Optional: a global endpoint that fails publishers over between two regions.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsRegion } from "../../lib/regions";
import { serviceTrustPolicy } from "../../lib/iam";
import { forwardingPlan, validateGlobalEndpoint } from "./forwarding-plan";
import { busName, perPair, perRegion } from "./naming";
import { deadLetterQueuePolicy, forwardingRolePolicy, type Account } from "./policies";
import { providerFor, type RegionalProviders } from "./providers";
import { destinationsOf } from "./replication-plan";

export interface EventFabricArgs {
  readonly homeRegion: AwsRegion;
  readonly regions: readonly AwsRegion[];
  readonly providers: RegionalProviders;
  readonly keyArns: Readonly<Record<AwsRegion, pulumi.Output<string>>>;
  readonly account: Account;
  /** @default false - an EventBridge global endpoint (two regions only) */
  readonly globalEndpoint?: boolean;
}

/** @default 14 days - the longest SQS keeps a message */
const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

export class EventFabric extends pulumi.ComponentResource {
  public readonly busName: pulumi.Output<string>;
  public readonly busArns: Readonly<Record<AwsRegion, pulumi.Output<string>>>;
  public readonly deadLetterQueueArns: Readonly<Record<AwsRegion, pulumi.Output<string>>>;
  /** The global endpoint's URL, "" when there is none. */
  public readonly globalEndpointUrl: pulumi.Output<string>;

  constructor(name: string, args: EventFabricArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("platform:global:Events", name, {}, opts);
    const { homeRegion, regions, providers, keyArns, account } = args;
    const globalEndpoint = args.globalEndpoint ?? false;
    validateGlobalEndpoint(globalEndpoint, regions);

    const buses = {} as Record<AwsRegion, aws.cloudwatch.EventBus>;
    const queues = {} as Record<AwsRegion, aws.sqs.Queue>;
    const roles = {} as Record<AwsRegion, aws.iam.Role>;
    const rolePolicies = {} as Record<AwsRegion, aws.iam.RolePolicy>;
    for (const region of regions) {
      const child = { parent: this, provider: providerFor(providers, region) };
      queues[region] = new aws.sqs.Queue(
        perRegion(name, "events-dlq", region),
        {
          kmsMasterKeyId: keyArns[region],
          kmsDataKeyReusePeriodSeconds: 300,
          messageRetentionSeconds: DLQ_RETENTION_SECONDS,
        },
        child,
      );
      buses[region] = new aws.cloudwatch.EventBus(
        perRegion(name, "bus", region),
        {
          name: busName(name),
          description: `${name} events; forwarded to the buses of the same name in the other regions`,
          kmsKeyIdentifier: keyArns[region],
          // Events the bus cannot encrypt or decrypt with the key go here rather than be dropped.
          deadLetterConfig: { arn: queues[region].arn },
        },
        child,
      );
    }

    for (const source of regions) {
      const child = { parent: this, provider: providerFor(providers, source) };
      roles[source] = new aws.iam.Role(
        perRegion(name, "forwarding", source),
        {
          description: `EventBridge forwarding from the ${source} bus to the other regions' buses`,
          assumeRolePolicy: pulumi.jsonStringify(
            serviceTrustPolicy("events.amazonaws.com", account.accountId),
          ),
        },
        child,
      );
      rolePolicies[source] = new aws.iam.RolePolicy(
        perRegion(name, "forwarding", source),
        {
          role: roles[source].id,
          policy: pulumi.jsonStringify(
            forwardingRolePolicy(destinationsOf(regions, source).map((d) => buses[d].arn)),
          ),
        },
        child,
      );
    }

    const rulesBySource = new Map<AwsRegion, aws.cloudwatch.EventRule[]>();
    for (const route of forwardingPlan(regions)) {
      const { source, destination } = route;
      const child = { parent: this, provider: providerFor(providers, source) };
      const rule = new aws.cloudwatch.EventRule(
        perPair(name, "forward", source, destination),
        {
          eventBusName: buses[source].name,
          description: `Forwards events first published in ${source} to the ${destination} bus`,
          eventPattern: JSON.stringify(route.pattern),
          state: "ENABLED",
        },
        child,
      );
      new aws.cloudwatch.EventTarget(
        perPair(name, "forward", source, destination),
        {
          rule: rule.name,
          eventBusName: buses[source].name,
          arn: buses[destination].arn,
          roleArn: roles[source].arn,
          deadLetterConfig: { arn: queues[source].arn },
          retryPolicy: { maximumEventAgeInSeconds: 24 * 3600, maximumRetryAttempts: 185 },
        },
        { ...child, dependsOn: [rolePolicies[source]] },
      );
      rulesBySource.set(source, [...(rulesBySource.get(source) ?? []), rule]);
    }

    for (const region of regions) {
      const queue = queues[region];
      const sources = [buses[region].arn, ...(rulesBySource.get(region) ?? []).map((r) => r.arn)];
      new aws.sqs.QueuePolicy(
        perRegion(name, "events-dlq", region),
        {
          queueUrl: queue.url,
          policy: pulumi.jsonStringify(deadLetterQueuePolicy(queue.arn, sources)),
        },
        { parent: this, provider: providerFor(providers, region) },
      );
    }

    this.globalEndpointUrl = globalEndpoint
      ? this.globalEndpoint(name, homeRegion, regions, providers, buses)
      : pulumi.output("");
    this.busName = buses[homeRegion].name;
    this.busArns = Object.fromEntries(regions.map((r) => [r, buses[r].arn])) as Record<
      AwsRegion,
      pulumi.Output<string>
    >;
    this.deadLetterQueueArns = Object.fromEntries(regions.map((r) => [r, queues[r].arn])) as Record<
      AwsRegion,
      pulumi.Output<string>
    >;
    this.registerOutputs({
      busName: this.busName,
      busArns: this.busArns,
      deadLetterQueueArns: this.deadLetterQueueArns,
      globalEndpointUrl: this.globalEndpointUrl,
    });
  }

  /**
   * The global endpoint: publishers put events on it, and it routes them to the home region's bus
   * while the Route 53 health check is healthy, to the other region's bus otherwise. The health
   * check follows an alarm on the home region's EventBridge ingestion-to-invocation latency.
   * Endpoint replication stays off: the forwarding rules already copy every event to the other
   * region, and replication would deliver it a second time.
   */
  private globalEndpoint(
    name: string,
    homeRegion: AwsRegion,
    regions: readonly AwsRegion[],
    providers: RegionalProviders,
    buses: Readonly<Record<AwsRegion, aws.cloudwatch.EventBus>>,
  ): pulumi.Output<string> {
    const [secondary] = destinationsOf(regions, homeRegion);
    const home = { parent: this, provider: providerFor(providers, homeRegion) };
    const alarm = new aws.cloudwatch.MetricAlarm(
      `${name}-events-endpoint-health`,
      {
        alarmDescription: `EventBridge in ${homeRegion} is slow to deliver: fail publishers over to ${secondary}`,
        namespace: "AWS/Events",
        metricName: "IngestionToInvocationStartLatency",
        statistic: "Average",
        period: 60,
        evaluationPeriods: 5,
        threshold: 30_000,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      },
      home,
    );
    const healthCheck = new aws.route53.HealthCheck(
      `${name}-events-endpoint-health`,
      {
        type: "CLOUDWATCH_METRIC",
        cloudwatchAlarmName: alarm.name,
        cloudwatchAlarmRegion: homeRegion,
        insufficientDataHealthStatus: "Healthy",
      },
      home,
    );
    const endpoint = new aws.cloudwatch.EventEndpoint(
      `${name}-events-endpoint`,
      {
        name: busName(name),
        description: `Publishers' failover between ${homeRegion} and ${secondary}`,
        eventBuses: [{ eventBusArn: buses[homeRegion].arn }, { eventBusArn: buses[secondary].arn }],
        routingConfig: {
          failoverConfig: {
            primary: { healthCheck: healthCheck.arn },
            secondary: { route: secondary },
          },
        },
        replicationConfig: { state: "DISABLED" },
      },
      home,
    );
    return endpoint.endpointUrl;
  }
}
