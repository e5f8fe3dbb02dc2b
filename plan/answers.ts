/**
 * The answers the offline plan gives in place of AWS and Kubernetes: the outputs a resource
 * would have once created, and the results of the invokes the program uses. An invoke without
 * an answer here fails the plan, loudly, rather than return something made up.
 */
import { ACCOUNT_ID, PARTITION, arn, availabilityZones, hex, physicalName, uuid } from "./fakes";
import { routeTableId, subnetLayout } from "./remote/vpc";

// Resource inputs arrive as untyped provider payloads; the answers read them loosely on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Payload = Record<string, any>;

export interface ResourceContext {
  readonly type: string;
  readonly name: string;
  readonly urnSeed: string;
  readonly region: string;
  readonly inputs: Payload;
}

type Outputs = Record<string, unknown>;
type Answer = (ctx: ResourceContext) => Outputs;

const kebab = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();

/** The name AWS ends up with: the one given, else an autonamed one. */
const nameOf = (ctx: ResourceContext, key = "name"): string =>
  typeof ctx.inputs[key] === "string" ? ctx.inputs[key] : physicalName(ctx.name, ctx.urnSeed);

function subnetIds(prefix: string, ctx: ResourceContext, count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `subnet-${hex(`${ctx.urnSeed}/${prefix}/${i}`, 17)}`,
  );
}

function vpc(ctx: ResourceContext): Outputs {
  const count = Number(
    ctx.inputs.numberOfAvailabilityZones ?? ctx.inputs.availabilityZoneNames?.length ?? 3,
  );
  const vpcId = `vpc-${hex(ctx.urnSeed, 17)}`;
  const publicSubnetIds = subnetIds("public", ctx, count);
  const privateSubnetIds = subnetIds("private", ctx, count);
  const isolatedSubnetIds = subnetIds("isolated", ctx, count);
  const azs = availabilityZones(ctx.region, count).names;
  // One route table per subnet, with the ids the engine view gives the VPC's children
  // (plan/remote/vpc.ts); a layout the plan does not model fails there, not here.
  let routeTables: Array<{ id: string; vpcId: string }> = [];
  try {
    routeTables = subnetLayout(ctx.name, ctx.inputs, azs).map((s) => ({
      id: routeTableId(ctx.urnSeed, s.resourceName),
      vpcId,
    }));
  } catch {
    routeTables = [];
  }
  return {
    vpcId,
    publicSubnetIds,
    privateSubnetIds,
    isolatedSubnetIds,
    natGateways: [],
    routeTables,
    subnetLayout: ctx.inputs.subnetStrategy ? (ctx.inputs.subnetSpecs ?? []) : [],
    vpc: {
      id: vpcId,
      cidrBlock: ctx.inputs.cidrBlock,
      arn: arn("ec2", ctx.region, `vpc/${vpcId}`),
    },
    availabilityZones: azs,
  };
}

function eksCluster(ctx: ResourceContext): Outputs {
  const name =
    typeof ctx.inputs.name === "string" ? ctx.inputs.name : physicalName(ctx.name, ctx.urnSeed);
  const oidcId = hex(ctx.urnSeed, 32).toUpperCase();
  const endpoint = `https://${oidcId}.gr7.${ctx.region}.eks.amazonaws.com`;
  const ca = Buffer.from(`offline-plan-ca-${name}`).toString("base64");
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server: endpoint, "certificate-authority-data": ca } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    users: [
      {
        name,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", name, "--region", ctx.region],
          },
        },
      },
    ],
  };
  const oidcIssuer = `oidc.eks.${ctx.region}.amazonaws.com/id/${oidcId}`;
  const clusterSg = `sg-${hex(`${ctx.urnSeed}/cluster`, 17)}`;
  const nodeSg = `sg-${hex(`${ctx.urnSeed}/node`, 17)}`;
  const clusterArn = arn("eks", ctx.region, `cluster/${name}`);
  return {
    kubeconfig,
    kubeconfigJson: JSON.stringify(kubeconfig),
    clusterSecurityGroupId: clusterSg,
    nodeSecurityGroupId: nodeSg,
    oidcIssuer,
    oidcProviderUrl: `https://${oidcIssuer}`,
    oidcProviderArn: `arn:${PARTITION}:iam::${ACCOUNT_ID}:oidc-provider/${oidcIssuer}`,
    eksCluster: {
      id: name,
      name,
      arn: clusterArn,
      endpoint,
      version: ctx.inputs.version,
      vpcConfig: { clusterSecurityGroupId: clusterSg },
      certificateAuthority: { data: ca },
    },
    core: {
      cluster: { name, arn: clusterArn, endpoint },
      endpoint,
      clusterSecurityGroupId: clusterSg,
    },
    instanceRoles: [],
    defaultNodeGroupAsgName: "",
    clusterIngressRuleId: "",
    fargateProfileId: "",
    fargateProfileStatus: "",
    autoModeNodeRoleName: "",
  };
}

/** Outputs that differ from "echo the inputs, add an id, an ARN and a name". */
const ANSWERS: Record<string, Answer> = {
  "awsx:ec2:Vpc": vpc,
  "eks:index:Cluster": eksCluster,
  "aws:kms/key:Key": (ctx) => {
    const keyId = `${ctx.inputs.multiRegion ? "mrk-" : ""}${hex(ctx.urnSeed, 32)}`;
    return { keyId, arn: arn("kms", ctx.region, `key/${keyId}`) };
  },
  "aws:kms/replicaKey:ReplicaKey": (ctx) => {
    const primary = String(ctx.inputs.primaryKeyArn ?? "");
    const keyId = primary.split("/").pop() || `mrk-${hex(ctx.urnSeed, 32)}`;
    return { keyId, arn: arn("kms", ctx.region, `key/${keyId}`) };
  },
  "aws:kms/alias:Alias": (ctx) => ({
    arn: arn("kms", ctx.region, String(ctx.inputs.name ?? "alias/x")),
  }),
  "aws:dynamodb/table:Table": (ctx) => {
    const name = nameOf(ctx);
    const tableArn = arn("dynamodb", ctx.region, `table/${name}`);
    return {
      name,
      arn: tableArn,
      streamArn: `${tableArn}/stream/2026-11-21T00:00:00.000`,
      streamLabel: "2026-11-21T00:00:00.000",
      // A global table's replicas: the same name, each with its own region's ARN and stream.
      replicas: (Array.isArray(ctx.inputs.replicas) ? ctx.inputs.replicas : []).map(
        (r: Record<string, unknown>) => {
          const replicaArn = arn("dynamodb", String(r.regionName), `table/${name}`);
          return {
            ...r,
            arn: replicaArn,
            streamArn: `${replicaArn}/stream/2026-11-21T00:00:00.000`,
            streamLabel: "2026-11-21T00:00:00.000",
          };
        },
      ),
    };
  },
  "aws:cloudwatch/eventEndpoint:EventEndpoint": (ctx) => {
    const name = nameOf(ctx);
    const id = hex(ctx.urnSeed, 10);
    return {
      name,
      arn: arn("events", ctx.region, `endpoint/${name}`),
      endpointUrl: `https://${id}.${hex(`${ctx.urnSeed}/veo`, 4)}.endpoint.events.amazonaws.com`,
    };
  },
  "aws:s3/bucket:Bucket": (ctx) => {
    const bucket = nameOf(ctx, "bucket");
    return {
      bucket,
      arn: `arn:${PARTITION}:s3:::${bucket}`,
      bucketDomainName: `${bucket}.s3.amazonaws.com`,
      bucketRegionalDomainName: `${bucket}.s3.${ctx.region}.amazonaws.com`,
      region: ctx.region,
    };
  },
  "aws:ecr/repository:Repository": (ctx) => {
    const name = nameOf(ctx);
    return {
      name,
      arn: arn("ecr", ctx.region, `repository/${name}`),
      repositoryUrl: `${ACCOUNT_ID}.dkr.ecr.${ctx.region}.amazonaws.com/${name}`,
      registryId: ACCOUNT_ID,
    };
  },
  "aws:route53/zone:Zone": (ctx) => ({
    zoneId: `Z${hex(ctx.urnSeed, 20).toUpperCase()}`,
    nameServers: [1, 2, 3, 4].map((i) => `ns-${i}${hex(`${ctx.urnSeed}${i}`, 2)}.awsdns-0${i}.org`),
    arn: `arn:${PARTITION}:route53:::hostedzone/Z${hex(ctx.urnSeed, 20).toUpperCase()}`,
  }),
  "aws:lb/loadBalancer:LoadBalancer": (ctx) => {
    const name = nameOf(ctx).slice(0, 32);
    const id = hex(ctx.urnSeed, 16);
    return {
      name,
      arn: arn("elasticloadbalancing", ctx.region, `loadbalancer/app/${name}/${id}`),
      arnSuffix: `app/${name}/${id}`,
      dnsName: `${name}-${hex(ctx.urnSeed, 9)}.${ctx.region}.elb.amazonaws.com`,
      zoneId: "Z35SXDOTRQ7X7K",
    };
  },
  "aws:lb/targetGroup:TargetGroup": (ctx) => {
    const name = nameOf(ctx).slice(0, 32);
    const id = hex(ctx.urnSeed, 16);
    return {
      name,
      arn: arn("elasticloadbalancing", ctx.region, `targetgroup/${name}/${id}`),
      arnSuffix: `targetgroup/${name}/${id}`,
    };
  },
  "aws:iam/role:Role": (ctx) => {
    const name = nameOf(ctx);
    return {
      name,
      arn: `arn:${PARTITION}:iam::${ACCOUNT_ID}:role/${name}`,
      uniqueId: `AROA${hex(ctx.urnSeed, 17).toUpperCase()}`,
    };
  },
  "aws:iam/policy:Policy": (ctx) => {
    const name = nameOf(ctx);
    return { name, arn: `arn:${PARTITION}:iam::${ACCOUNT_ID}:policy/${name}` };
  },
  "aws:sqs/queue:Queue": (ctx) => {
    const name = nameOf(ctx);
    return {
      name,
      arn: arn("sqs", ctx.region, name),
      url: `https://sqs.${ctx.region}.amazonaws.com/${ACCOUNT_ID}/${name}`,
    };
  },
  "aws:sns/topic:Topic": (ctx) => {
    const name = nameOf(ctx);
    return { name, arn: arn("sns", ctx.region, name) };
  },
  "aws:cloudwatch/logGroup:LogGroup": (ctx) => {
    const name = nameOf(ctx);
    return { name, arn: arn("logs", ctx.region, `log-group:${name}`) };
  },
  // CloudWatch names alarms arn:...:cloudwatch:<region>:<account>:alarm:<name>.
  "aws:cloudwatch/metricAlarm:MetricAlarm": (ctx) => {
    const name = nameOf(ctx);
    return { name, arn: arn("cloudwatch", ctx.region, `alarm:${name}`) };
  },
  "aws:cloudwatch/eventBus:EventBus": (ctx) => {
    const name = nameOf(ctx);
    return { name, arn: arn("events", ctx.region, `event-bus/${name}`) };
  },
  "aws:cloudwatch/eventRule:EventRule": (ctx) => {
    const name = nameOf(ctx);
    const bus = String(ctx.inputs.eventBusName ?? "default")
      .split("/")
      .pop();
    return { name, arn: arn("events", ctx.region, `rule/${bus}/${name}`) };
  },
  "aws:lambda/function:Function": (ctx) => {
    const name = nameOf(ctx);
    const fnArn = arn("lambda", ctx.region, `function:${name}`);
    return {
      name,
      arn: fnArn,
      qualifiedArn: `${fnArn}:$LATEST`,
      invokeArn: `arn:${PARTITION}:apigateway:${ctx.region}:lambda:path/2015-03-31/functions/${fnArn}/invocations`,
      version: "$LATEST",
    };
  },
  "aws:acm/certificate:Certificate": (ctx) => ({
    arn: arn("acm", ctx.region, `certificate/${uuid(ctx.urnSeed)}`),
    domainValidationOptions: [
      ctx.inputs.domainName,
      ...(ctx.inputs.subjectAlternativeNames ?? []),
    ].map((d: string) => ({
      domainName: d,
      // ACM gives every certificate of one account the same validation CNAME for a name, in
      // every region (https://github.com/hashicorp/terraform-provider-aws/issues/13653): the
      // record depends on the account and the name only.
      resourceRecordName: `_${hex(`${ACCOUNT_ID}${d}`, 32)}.${d}.`,
      resourceRecordType: "CNAME",
      resourceRecordValue: `_${hex(`${d}${ACCOUNT_ID}`, 32)}.acm-validations.aws.`,
    })),
  }),
  "aws:ec2/launchTemplate:LaunchTemplate": () => ({ latestVersion: 1, defaultVersion: 1 }),
  "aws:route53/record:Record": (ctx) => ({
    fqdn: String(ctx.inputs.name ?? ctx.name).replace(/\.$/, ""),
  }),
  // A KSK on an ECC_NIST_P256 key: algorithm 13, SHA-256 digest (type 2); the DS record is what
  // the parent zone publishes. https://docs.aws.amazon.com/Route53/latest/APIReference/API_KeySigningKey.html
  "aws:route53/keySigningKey:KeySigningKey": (ctx) => {
    const keyTag = parseInt(hex(ctx.urnSeed, 4), 16);
    const digest = hex(`${ctx.urnSeed}/digest`, 64).toUpperCase();
    return {
      keyTag,
      signingAlgorithmMnemonic: "ECDSAP256SHA256",
      signingAlgorithmType: 13,
      digestAlgorithmMnemonic: "SHA-256",
      digestAlgorithmType: 2,
      digestValue: digest,
      flag: 257,
      dsRecord: `${keyTag} 13 2 ${digest}`,
      publicKey: Buffer.from(`offline-plan-ksk-${ctx.urnSeed}`).toString("base64"),
    };
  },
  "aws:route53/healthCheck:HealthCheck": (ctx) => ({
    id: uuid(ctx.urnSeed),
    arn: `arn:${PARTITION}:route53:::healthcheck/${uuid(ctx.urnSeed)}`,
  }),
  "aws:ec2/securityGroup:SecurityGroup": (ctx) => ({
    id: `sg-${hex(ctx.urnSeed, 17)}`,
    name: nameOf(ctx),
    arn: arn("ec2", ctx.region, `security-group/sg-${hex(ctx.urnSeed, 17)}`),
  }),
  "aws:apigatewayv2/api:Api": (ctx) => {
    const id = hex(ctx.urnSeed, 10);
    return {
      apiEndpoint: `https://${id}.execute-api.${ctx.region}.amazonaws.com`,
      executionArn: arn("execute-api", ctx.region, id),
      arn: `arn:${PARTITION}:apigateway:${ctx.region}::/apis/${id}`,
    };
  },
  "aws:amp/workspace:Workspace": (ctx) => {
    const id = `ws-${uuid(ctx.urnSeed)}`;
    return {
      arn: arn("aps", ctx.region, `workspace/${id}`),
      prometheusEndpoint: `https://aps-workspaces.${ctx.region}.amazonaws.com/workspaces/${id}/`,
    };
  },
  "aws:rds/globalCluster:GlobalCluster": (ctx) => {
    const identifier = String(ctx.inputs.globalClusterIdentifier ?? ctx.name);
    return {
      // The provider's id of a global cluster is its identifier.
      id: identifier,
      arn: `arn:${PARTITION}:rds::${ACCOUNT_ID}:global-cluster:${identifier}`,
      globalClusterResourceId: `cluster-${hex(ctx.urnSeed, 26)}`,
      globalClusterMembers: [],
    };
  },
  "aws:rds/cluster:Cluster": (ctx) => {
    const identifier = nameOf(ctx, "clusterIdentifier");
    const dns = `${hex(`${ctx.urnSeed}/dns`, 12)}.${ctx.region}.rds.amazonaws.com`;
    return {
      id: identifier,
      clusterIdentifier: identifier,
      arn: arn("rds", ctx.region, `cluster:${identifier}`),
      clusterResourceId: `cluster-${hex(ctx.urnSeed, 26).toUpperCase()}`,
      endpoint: `${identifier}.cluster-${dns}`,
      readerEndpoint: `${identifier}.cluster-ro-${dns}`,
      port: 5432,
      // With manageMasterUserPassword, RDS creates the secret and reports it here.
      masterUserSecrets: ctx.inputs.manageMasterUserPassword
        ? [
            {
              kmsKeyId: ctx.inputs.masterUserSecretKmsKeyId,
              secretArn: arn(
                "secretsmanager",
                ctx.region,
                `secret:rds!cluster-${uuid(ctx.urnSeed)}-${hex(`${ctx.urnSeed}/secret`, 6)}`,
              ),
              secretStatus: "active",
            },
          ]
        : [],
    };
  },
  // @pulumi/random generates the value once, at create, and keeps it in the state.
  "random:index/randomPassword:RandomPassword": (ctx) => ({
    result: hex(`${ctx.urnSeed}/password`, Number(ctx.inputs.length ?? 32)),
  }),
  "aws:globalaccelerator/accelerator:Accelerator": (ctx) => ({
    arn: `arn:${PARTITION}:globalaccelerator::${ACCOUNT_ID}:accelerator/${uuid(ctx.urnSeed)}`,
    dnsName: `a${hex(ctx.urnSeed, 16)}.awsglobalaccelerator.com`,
    hostedZoneId: "Z2BJ6XQ5FK7U4H",
  }),
  "aws:globalaccelerator/listener:Listener": (ctx) => ({
    arn: `arn:${PARTITION}:globalaccelerator::${ACCOUNT_ID}:accelerator/${uuid(ctx.urnSeed)}/listener/${hex(ctx.urnSeed, 8)}`,
  }),
  "aws:cloudfront/distribution:Distribution": (ctx) => ({
    domainName: `d${hex(ctx.urnSeed, 13)}.cloudfront.net`,
    hostedZoneId: "Z2FDTNDATAQYW2",
    arn: `arn:${PARTITION}:cloudfront::${ACCOUNT_ID}:distribution/E${hex(ctx.urnSeed, 13).toUpperCase()}`,
  }),
};

/** The outputs of a resource as the engine would report them after `create`. */
export function resourceOutputs(ctx: ResourceContext): { id: string; state: Outputs } {
  const [pkg, mod = "", typeName = ""] = ctx.type.split(":");
  const special = ANSWERS[ctx.type]?.(ctx) ?? {};
  let generic: Outputs = {};
  if (pkg === "aws" && !(ctx.type in ANSWERS)) {
    const service = mod.split("/")[0];
    generic = { arn: arn(service, ctx.region, `${kebab(typeName)}/${nameOf(ctx)}`) };
    if (!("name" in ctx.inputs) && ctx.inputs.namePrefix === undefined) generic.name = nameOf(ctx);
  } else if (pkg === "kubernetes") {
    const meta = ctx.inputs.metadata ?? {};
    generic = {
      metadata: {
        ...meta,
        name: meta.name ?? physicalName(ctx.name, ctx.urnSeed),
        uid: uuid(ctx.urnSeed),
      },
    };
    if (mod === "helm.sh/v3")
      generic.status = { status: "deployed", revision: 1, namespace: ctx.inputs.namespace };
  }
  // `id` is not an output property: an answer may give it to set the resource's id.
  const { id: explicitId, ...answered } = special;
  const state = { ...ctx.inputs, ...generic, ...answered };
  const id = String(
    (explicitId ??
      special.keyId ??
      special.zoneId ??
      special.name ??
      special.bucket ??
      special.vpcId ??
      generic.name) ||
      (ctx.inputs.name as string | undefined) ||
      `${kebab(typeName || ctx.name)}-${hex(ctx.urnSeed, 12)}`,
  );
  return { id, state };
}

type InvokeAnswer = (inputs: Payload, region: string) => Record<string, unknown>;

/** The invokes the program uses. Anything else is a failure of the plan. */
export const INVOKES: Record<string, InvokeAnswer> = {
  "aws:index/getAvailabilityZones:getAvailabilityZones": (_inputs, region) => {
    const zones = availabilityZones(region, 6);
    return {
      id: region,
      names: zones.names,
      zoneIds: zones.zoneIds,
      groupNames: [region],
      state: "available",
    };
  },
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    id: ACCOUNT_ID,
    accountId: ACCOUNT_ID,
    arn: `arn:${PARTITION}:iam::${ACCOUNT_ID}:user/platform-deployer`,
    userId: "AIDAOFFLINEPLANUSER",
  }),
  "aws:index/getPartition:getPartition": () => ({
    id: PARTITION,
    partition: PARTITION,
    dnsSuffix: "amazonaws.com",
    reverseDnsPrefix: "com.amazonaws",
  }),
  "aws:index/getRegion:getRegion": (_inputs, region) => ({
    id: region,
    name: region,
    region,
    endpoint: `ec2.${region}.amazonaws.com`,
    description: region,
  }),
  "aws:route53/getZone:getZone": (inputs) => ({
    id: inputs.zoneId ?? `Z${hex(String(inputs.name), 20).toUpperCase()}`,
    zoneId: inputs.zoneId ?? `Z${hex(String(inputs.name), 20).toUpperCase()}`,
    name: inputs.name ?? "example.com",
    arn: `arn:${PARTITION}:route53:::hostedzone/${inputs.zoneId}`,
    nameServers: ["ns-1.awsdns-01.org", "ns-2.awsdns-02.net"],
    privateZone: false,
  }),
};
