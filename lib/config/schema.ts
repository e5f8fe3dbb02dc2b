/**
 * The configuration of every stack kind, as zod schemas. This file is the one place where
 * settings and their defaults are declared; everything else reads the parsed, typed result.
 *
 * Keys live in the project namespace (`platform:<key>` in `Pulumi.<stack>.yaml`), except the
 * stack's region, which is the AWS provider's own `aws:region` so that it is said once.
 */
import { z } from "zod";
import { isAwsRegion, type AwsRegion } from "../regions";
import { isPrivate, parseCidr } from "../cidr";
import { DEFAULT_EKS_VERSION, EKS_VERSIONS, istioKubernetesProblem } from "../support-dates";
import { DEPLOYER_NETWORKS, endpointAccessProblems } from "./endpoint-access";

export const PROJECT = "platform";

export const STACK_KINDS = ["global", "region"] as const;
export type StackKind = (typeof STACK_KINDS)[number];

export const awsRegion = z
  .string()
  .refine(isAwsRegion, { message: "not an AWS region (for example us-east-1, eu-central-1)" })
  .transform((r) => r as AwsRegion);

const dnsName = z.string().regex(/^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/, {
  message: "not a lower-case DNS name (labels of a-z, 0-9 and -, separated by dots)",
});

const privateVpcCidr = z.string().superRefine((text, ctx) => {
  try {
    const cidr = parseCidr(text);
    if (cidr.prefix < 16 || cidr.prefix > 24) {
      ctx.addIssue({ code: "custom", message: "a VPC block must be between /16 and /24" });
    } else if (!isPrivate(cidr)) {
      ctx.addIssue({
        code: "custom",
        message: "not a private range (allowed: inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)",
      });
    }
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
  }
});

const cidrList = z.array(
  z.string().superRefine((text, ctx) => {
    try {
      parseCidr(text);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
    }
  }),
);

/** The caller name in `allowFrom` that stands for the ingress gateway (the ALB's traffic). */
export const INGRESS_GATEWAY_CALLER = "istio-ingressgateway";
/** Namespaces the platform itself uses; a service (one namespace each) may not take them. */
const RESERVED_NAMESPACES = [
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "istio-system",
  "istio-ingress",
  INGRESS_GATEWAY_CALLER,
];

/** What a service may touch on the platform; its pod role is scoped to exactly this. */
export const serviceAccess = z
  .object({
    /** @default none - read: GetItem/Query; readwrite: also PutItem/UpdateItem/DeleteItem */
    table: z.enum(["none", "read", "readwrite"]).default("none"),
    /** @default none - objects in the region's bucket */
    bucket: z.enum(["none", "read", "readwrite"]).default("none"),
    /** @default false - PutEvents on the region's bus */
    publishEvents: z.boolean().default(false),
    /** @default false - SendMessage on the region's work queue */
    sendToQueue: z.boolean().default(false),
    /**
     * @default false - consume the region's work queue: ReceiveMessage, DeleteMessage and
     * ChangeMessageVisibility (the consumer extends the visibility of slow messages)
     */
    consumeQueue: z.boolean().default(false),
  })
  .strict();

/**
 * Tags a pipeline would move from image to image. The repositories' tags are IMMUTABLE
 * (components/global/registry.ts): such a tag could be pushed once and would then never change,
 * so a service names a release version instead, and the pipeline pushes each version once.
 */
export const MOVING_IMAGE_TAGS = ["latest", "stable", "canary"] as const;

/** An image tag as Docker and ECR take it, naming one release for good. */
const releaseTag = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? "required: the release version of the service's image, e.g. 1.4.2 (tags are immutable: each version is pushed once)"
        : undefined,
  })
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, {
    message:
      "not an image tag (letters, digits, _ . and -, up to 128 characters, not starting with . or -)",
  })
  .refine((tag) => !(MOVING_IMAGE_TAGS as readonly string[]).includes(tag.toLowerCase()), {
    message: `a moving tag (${MOVING_IMAGE_TAGS.join(", ")}) cannot be used: tags are immutable, so it would never move; name a release version, e.g. 1.4.2`,
  });

export const serviceSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/, {
      message: "not a service name (lower-case letters, digits and -, 2-32 characters)",
    }),
    port: z.number().int().min(1024).max(65535).default(8080),
    /**
     * Path prefixes routed to this service from the ingress gateway; needs
     * `istio-ingressgateway` in allowFrom.
     * @default [] - reached only from inside the mesh
     */
    routes: z
      .array(
        z.string().regex(/^\/[A-Za-z0-9._~\/-]*$/, {
          message: "not a path prefix (starts with /; letters, digits and . _ ~ / -)",
        }),
      )
      .default([]),
    /**
     * The release the stable subset runs, e.g. "1.4.2": required, no default, since a moving
     * default tag cannot exist in an immutable repository. The deploy workflow pushes it when ECR
     * does not have it yet; changing it here is the release.
     */
    imageTag: releaseTag,
    /** The release the canary subset runs, e.g. "1.5.0-rc.1"; needed with a canaryWeight. */
    canaryImageTag: releaseTag.optional(),
    minReplicas: z.number().int().min(1).default(2),
    maxReplicas: z.number().int().min(1).default(10),
    cpuTargetPercent: z.number().int().min(10).max(95).default(70),
    /**
     * Percentage of requests sent to the canary subset; stable gets 100 - canaryWeight, so the
     * two weights always sum to 100.
     * @default 0 - no canary Deployment
     */
    canaryWeight: z
      .number()
      .int()
      .min(0, { message: "the canary's share of 100 (stable gets the rest): allowed 0-100" })
      .max(100, { message: "the canary's share of 100 (stable gets the rest): allowed 0-100" })
      .default(0),
    /** Services allowed to call this one through the mesh (AuthorizationPolicy). */
    allowFrom: z.array(z.string()).default([]),
    access: serviceAccess.default({
      table: "none",
      bucket: "none",
      publishEvents: false,
      sendToQueue: false,
      consumeQueue: false,
    }),
  })
  .strict()
  .refine((s) => s.minReplicas <= s.maxReplicas, {
    message: "minReplicas must not exceed maxReplicas",
    path: ["minReplicas"],
  })
  .superRefine((s, ctx) => {
    if (RESERVED_NAMESPACES.includes(s.name)) {
      ctx.addIssue({
        code: "custom",
        message: `reserved (the service's namespace would clash with ${RESERVED_NAMESPACES.join(", ")})`,
        path: ["name"],
      });
    }
    if (s.canaryWeight > 0 && s.canaryImageTag === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "a canary weight needs canaryImageTag (the image the canary subset runs)",
        path: ["canaryWeight"],
      });
    }
    if (s.routes.length > 0 && !s.allowFrom.includes(INGRESS_GATEWAY_CALLER)) {
      ctx.addIssue({
        code: "custom",
        message: `routes need "${INGRESS_GATEWAY_CALLER}" in allowFrom (its AuthorizationPolicy would deny the gateway)`,
        path: ["routes"],
      });
    }
  });
export type ServiceConfig = z.infer<typeof serviceSchema>;

const uniqueNames = <T extends { name: string }>(items: T[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.name)) {
      ctx.addIssue({
        code: "custom",
        message: `duplicate service name "${item.name}"`,
        path: [i, "name"],
      });
    }
    seen.add(item.name);
  });
};

/** Every caller in allowFrom is a service of the list or the ingress gateway. */
const knownCallers = (services: ServiceConfig[], ctx: z.RefinementCtx) => {
  const allowed = [INGRESS_GATEWAY_CALLER, ...services.map((s) => s.name)];
  services.forEach((s, i) =>
    s.allowFrom.forEach((caller, j) => {
      if (!allowed.includes(caller)) {
        ctx.addIssue({
          code: "custom",
          message: `not a service of platform:services (allowed: ${allowed.join(", ")})`,
          path: [i, "allowFrom", j],
        });
      }
    }),
  );
};

/** No two services claim the same path prefix on the ingress gateway. */
const uniqueRoutes = (services: ServiceConfig[], ctx: z.RefinementCtx) => {
  const owner = new Map<string, string>();
  services.forEach((s, i) =>
    s.routes.forEach((route, j) => {
      const other = owner.get(route);
      if (other !== undefined) {
        ctx.addIssue({
          code: "custom",
          message: `already routed to ${other}`,
          path: [i, "routes", j],
        });
      }
      owner.set(route, s.name);
    }),
  );
};

/** Settings every stack shares, set once in Pulumi.yaml's project-level `config:`. */
export const projectSchema = {
  services: z
    .array(serviceSchema)
    .min(1)
    .superRefine(uniqueNames)
    .superRefine(knownCallers)
    .superRefine(uniqueRoutes),
} as const;

/**
 * The Aurora PostgreSQL version of the global database. Every cluster of a global database runs
 * the global cluster's version, so the global stack and each region stack must agree (checked
 * across stacks in lib/config/project.ts).
 */
export const AURORA_ENGINE_VERSION = "16.6";
const auroraEngineVersion = z
  .string()
  .regex(/^\d{2}\.\d{1,2}$/, {
    message: "not an Aurora PostgreSQL version (major.minor, for example 16.6)",
  })
  .default(AURORA_ENGINE_VERSION);

/**
 * The retention values CloudWatch Logs accepts (PutRetentionPolicy; the provider rejects any
 * other): https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
 */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;
const logRetentionDays = z
  .number()
  .int()
  .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
    message: `not a CloudWatch Logs retention value (allowed: ${LOG_RETENTION_DAYS.join(", ")})`,
  });

/**
 * AWS WAF in front of a public entry point (a regional ALB, or CloudFront): the AWS managed
 * common, known-bad-inputs and IP-reputation rule groups and a per-IP rate-based rule.
 * https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html
 */
export const wafSchema = z
  .object({
    /** @default false - a web ACL on the entry point */
    enabled: z.boolean().default(false),
    /**
     * @default 2000 - requests one client IP may send in the evaluation window before it is
     * blocked (AWS allows 10 to 2,000,000,000)
     */
    rateLimit: z.number().int().min(10).max(2_000_000_000).default(2000),
    /** @default 300 - the rate rule's evaluation window in seconds (AWS allows 60, 120, 300, 600) */
    rateWindowSeconds: z
      .union([z.literal(60), z.literal(120), z.literal(300), z.literal(600)])
      .default(300),
    /** @default block - count only reports what the managed rule groups would block (for tuning) */
    managedRulesAction: z.enum(["block", "count"]).default("block"),
    /** @default 90 - days the WAF logs are kept (a CloudWatch Logs retention value) */
    logRetentionDays: logRetentionDays.default(90),
  })
  .strict();
export type WafConfig = z.infer<typeof wafSchema>;
export const WAF_DEFAULTS: WafConfig = {
  enabled: false,
  rateLimit: 2000,
  rateWindowSeconds: 300,
  managedRulesAction: "block",
  logRetentionDays: 90,
};

/** The global stack's audit trail (CloudTrail) and the platform's notification topic. */
export const auditSchema = z
  .object({
    /** @default false - data events (S3 object-level, DynamoDB item-level) of the table and buckets */
    dataEvents: z.boolean().default(false),
    /** @default 365 - days a log file is kept in the trail bucket */
    retentionDays: z.number().int().min(1).max(36500).default(365),
    /** @default 90 - days before log files move to S3 Glacier Flexible Retrieval */
    archiveAfterDays: z.number().int().min(1).default(90),
    /** @default false - S3 Object Lock (governance mode) keeps every log file for retentionDays */
    objectLock: z.boolean().default(false),
    /** @default [] - who gets the notification topic (each confirms the subscription by e-mail) */
    notificationEmails: z.array(z.string().email()).default([]),
  })
  .strict()
  .refine((a) => a.archiveAfterDays < a.retentionDays, {
    message:
      "archiveAfterDays must be less than retentionDays (log files are archived, then expire)",
    path: ["archiveAfterDays"],
  });
export type AuditConfig = z.infer<typeof auditSchema>;

/** GuardDuty and Security Hub in every region of the platform. */
export const threatDetectionSchema = z
  .object({
    /** @default false - GuardDuty with EKS audit logs, EKS runtime monitoring and S3 protection */
    guardDuty: z.boolean().default(false),
    /** @default false - Security Hub with the AWS Foundational Security Best Practices standard */
    securityHub: z.boolean().default(false),
  })
  .strict();

/** DNSSEC signing and DNS query logging of the platform's hosted zone. */
export const dnsSecuritySchema = z
  .object({
    /** @default false - DNSSEC signing (a KSK on an ECC_NIST_P256 KMS key in us-east-1) */
    dnssec: z.boolean().default(false),
    /** @default false - public DNS query logging to CloudWatch Logs in us-east-1 */
    queryLogging: z.boolean().default(false),
    /** @default 30 - days the query logs are kept (a CloudWatch Logs retention value) */
    queryLogRetentionDays: logRetentionDays.default(30),
  })
  .strict();

export const globalSchema = z
  .object({
    kind: z.literal("global"),
    /** The home region: the DynamoDB table, the KMS primary key and ECR pushes live here. */
    region: awsRegion,
    regions: z
      .array(awsRegion)
      .min(2, { message: "an active/active platform needs at least two regions" }),
    domain: dnsName,
    /** @default create - create the public hosted zone; or name an existing zone by id */
    hostedZone: z
      .union([
        z.object({ create: z.literal(true) }).strict(),
        z.object({ existingZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/) }).strict(),
      ])
      .default({ create: true }),
    table: z
      .object({
        /** @default eventual - last writer wins; strong needs three regions or two plus a witness */
        consistency: z.enum(["eventual", "strong"]).default("eventual"),
        witnessRegion: awsRegion.optional(),
      })
      .strict()
      .default({ consistency: "eventual" }),
    replication: z
      .object({
        /** @default true - S3 Replication Time Control (15-minute SLA, with metrics) */
        replicationTimeControl: z.boolean().default(true),
      })
      .strict()
      .default({ replicationTimeControl: true }),
    events: z
      .object({
        /** @default false - an EventBridge global endpoint for publishers' failover */
        globalEndpoint: z.boolean().default(false),
      })
      .strict()
      .default({ globalEndpoint: false }),
    aurora: z
      .object({
        /** @default false - an Aurora PostgreSQL global database (aws.rds.GlobalCluster) */
        enabled: z.boolean().default(false),
        /** @default 16.6 - the version every regional cluster of the global database runs */
        engineVersion: auroraEngineVersion,
        /** @default none - the database the global cluster creates in its primary */
        databaseName: z
          .string()
          .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,62}$/, {
            message: "not a database name (a letter, then letters, digits and _, up to 63)",
          })
          .optional(),
      })
      .strict()
      .default({ enabled: false, engineVersion: AURORA_ENGINE_VERSION }),
    /** @default none - what sits in front of the latency-routed name */
    edge: z.enum(["none", "cloudfront", "globalAccelerator"]).default("none"),
    /** @default api.<domain> - the latency-routed name CloudFront uses as its origin */
    edgeOriginName: dnsName.optional(),
    /** @default trail with management events only, no Object Lock, kept 365 days */
    audit: auditSchema.default({
      dataEvents: false,
      retentionDays: 365,
      archiveAfterDays: 90,
      objectLock: false,
      notificationEmails: [],
    }),
    /** @default both off */
    threatDetection: threatDetectionSchema.default({ guardDuty: false, securityHub: false }),
    /** @default both off */
    dnsSecurity: dnsSecuritySchema.default({
      dnssec: false,
      queryLogging: false,
      queryLogRetentionDays: 30,
    }),
    /** @default off - a web ACL on the CloudFront distribution (with platform:edge cloudfront) */
    waf: wafSchema.default(WAF_DEFAULTS),
    ...projectSchema,
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.regions.forEach((r, i) => {
      if (seen.has(r))
        ctx.addIssue({ code: "custom", message: `duplicate region "${r}"`, path: ["regions", i] });
      seen.add(r);
    });
    if (!cfg.regions.includes(cfg.region)) {
      ctx.addIssue({
        code: "custom",
        message: `the home region ${cfg.region} (aws:region) is not in platform:regions`,
        path: ["regions"],
      });
    }
  });
export type GlobalConfig = z.infer<typeof globalSchema>;

/** Failover drills of a region: AWS FIS experiment templates and CloudWatch Synthetics canaries. */
export const drillsSchema = z
  .object({
    /** @default false - FIS templates: pod deletion, CPU stress, app-subnet disruption, replication pause */
    experiments: z.boolean().default(false),
    /** @default false - canaries calling the regional and the global names every minute */
    canaries: z.boolean().default(false),
    /** @default the first service with routes - whose pods the pod experiments hit */
    targetService: z.string().optional(),
    /** @default 10 - how long each fault lasts, in minutes (FIS allows up to 12 hours) */
    durationMinutes: z.number().int().min(1).max(720).default(10),
    /** @default 50 - share of the target service's pods the pod experiments hit */
    podPercent: z.number().int().min(1).max(100).default(50),
  })
  .strict();
export type DrillsConfig = z.infer<typeof drillsSchema>;
export const DRILLS_DEFAULTS: DrillsConfig = {
  experiments: false,
  canaries: false,
  durationMinutes: 10,
  podPercent: 50,
};

export const regionSchema = z
  .object({
    kind: z.literal("region"),
    region: awsRegion,
    /** Fully qualified name of the global stack, e.g. organization/platform/global. */
    globalStack: z.string().regex(/^([A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]+$/, {
      message: "not a stack name ([org/][project/]stack)",
    }),
    network: z
      .object({
        vpcCidr: privateVpcCidr,
        /** @default 3 */
        azCount: z.number().int().min(2).max(6).default(3),
        /** @default perAz - one NAT gateway per zone; single trades zone independence for cost */
        natGateways: z.enum(["perAz", "single"]).default("perAz"),
      })
      .strict(),
    cluster: z
      .object({
        /**
         * @default 1.35 - a version of lib/support-dates.ts (the plan flags one near or past
         * the end of its EKS standard support)
         */
        kubernetesVersion: z
          .string()
          .refine((v) => Object.hasOwn(EKS_VERSIONS, v), {
            message: `not an EKS version with a known end-of-support date (allowed: ${Object.keys(EKS_VERSIONS).join(", ")})`,
          })
          .default(DEFAULT_EKS_VERSION),
        instanceTypes: z.array(z.string().min(3)).min(1).default(["m7i.large"]),
        minSize: z.number().int().min(1).default(3),
        desiredSize: z.number().int().min(1).default(3),
        maxSize: z.number().int().min(1).default(12),
        /**
         * @default internet - where `pulumi up` of this stack runs: outside the VPC (GitHub-hosted
         * runners, a workstation; the public endpoint must admit it) or inside it (`vpc`)
         */
        deployerNetwork: z.enum(DEPLOYER_NETWORKS).default("internet"),
        /**
         * @default [] - no public endpoint (the private one is always on); the deployer's egress
         * CIDRs when deployerNetwork is internet
         */
        publicAccessCidrs: cidrList.default([]),
        /** @default false - true accepts 0.0.0.0/0 in publicAccessCidrs */
        allowPublicAccessFromAnywhere: z.boolean().default(false),
      })
      .strict()
      .refine((c) => c.minSize <= c.desiredSize && c.desiredSize <= c.maxSize, {
        message: "expected minSize <= desiredSize <= maxSize",
        path: ["desiredSize"],
      })
      .superRefine((c, ctx) =>
        endpointAccessProblems(c).forEach((p) =>
          ctx.addIssue({ code: "custom", message: p.message, path: [p.key] }),
        ),
      ),
    dns: z
      .object({
        /** The name latency routing serves from every region, e.g. api.example.com. */
        globalName: dnsName,
        /** The name that always points to this region, e.g. us-east-1.api.example.com. */
        regionalName: dnsName,
        /**
         * @default false - true takes this region out of the global name's latency routing on the
         * next `up` (the regional name keeps answering); `platform evacuate <region>` sets it
         */
        evacuate: z.boolean().default(false),
      })
      .strict(),
    ingress: z
      .object({
        /** @default false - an HTTP API in front of the ALB */
        apiGateway: z.boolean().default(false),
        healthCheckPath: z.string().startsWith("/").default("/healthz"),
        /** @default 10 - Route 53 allows 10 or 30 */
        healthCheckIntervalSeconds: z.union([z.literal(10), z.literal(30)]).default(10),
        /** @default 3 */
        healthCheckFailureThreshold: z.number().int().min(1).max(10).default(3),
        /** @default 8080 - the mesh ingress gateway's HTTP container port (the IP target group's port) */
        gatewayPort: z.number().int().min(1).max(65535).default(8080),
        /** @default 15021 - the gateway's status port, where the ALB checks target health */
        gatewayHealthPort: z.number().int().min(1).max(65535).default(15021),
        /** @default /healthz/ready - Istio's gateway readiness path */
        gatewayHealthPath: z.string().startsWith("/").default("/healthz/ready"),
        /** @default false - register the ALB with the global stack's Global Accelerator listener */
        globalAccelerator: z.boolean().default(false),
      })
      .strict()
      .default({
        apiGateway: false,
        healthCheckPath: "/healthz",
        healthCheckIntervalSeconds: 10,
        healthCheckFailureThreshold: 3,
        gatewayPort: 8080,
        gatewayHealthPort: 15021,
        gatewayHealthPath: "/healthz/ready",
        globalAccelerator: false,
      }),
    aurora: z
      .object({
        /**
         * @default false - this region's cluster of the global stack's Aurora global database
         * (the primary in the home region, a secondary elsewhere); needs platform:aurora.enabled
         * in the global stack
         */
        enabled: z.boolean().default(false),
        instanceClass: z.string().default("db.r7g.large"),
        /** @default 2 - instances of the cluster, in different zones */
        instances: z.number().int().min(1).max(15).default(2),
        /** @default platform - the master user; used by the home region's primary only */
        masterUsername: z
          .string()
          .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,62}$/, {
            message: "not a PostgreSQL user name (a letter, then letters, digits and _)",
          })
          .refine((u) => u.toLowerCase() !== "postgres", {
            message: "reserved by Aurora PostgreSQL",
          })
          .default("platform"),
        /** @default 7 - days of automated backups (1-35) */
        backupRetentionDays: z.number().int().min(1).max(35).default(7),
        /** @default true - Performance Insights, encrypted with the region key */
        performanceInsights: z.boolean().default(true),
      })
      .strict()
      .default({
        enabled: false,
        instanceClass: "db.r7g.large",
        instances: 2,
        masterUsername: "platform",
        backupRetentionDays: 7,
        performanceInsights: true,
      }),
    observability: z
      .object({
        /** @default managed - Amazon Managed Service for Prometheus; in-cluster runs kube-prometheus */
        prometheus: z.enum(["managed", "in-cluster"]).default("managed"),
        /** @default 90 - one of the values CloudWatch Logs accepts (LOG_RETENTION_DAYS) */
        logRetentionDays: logRetentionDays.default(90),
        /** Who gets the alarms. */
        alarmEmails: z.array(z.string().email()).default([]),
      })
      .strict()
      .default({ prometheus: "managed", logRetentionDays: 90, alarmEmails: [] }),
    mesh: z
      .object({
        /** Istio Helm chart version (base, istiod, gateway), pinned. */
        istioVersion: z
          .string()
          .regex(/^\d+\.\d+\.\d+$/)
          .default("1.30.3"),
        /** @default 3 - ingress gateway replicas (spread over the zones) */
        ingressGatewayReplicas: z.number().int().min(1).default(3),
      })
      .strict()
      .default({ istioVersion: "1.30.3", ingressGatewayReplicas: 3 }),
    /** @default off - a web ACL on the region's ALB */
    waf: wafSchema.default(WAF_DEFAULTS),
    drills: drillsSchema.default(DRILLS_DEFAULTS),
    ...projectSchema,
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const istio = istioKubernetesProblem(cfg.mesh.istioVersion, cfg.cluster.kubernetesVersion);
    if (istio !== undefined) {
      ctx.addIssue({ code: "custom", message: istio, path: ["mesh", "istioVersion"] });
    }
    const target = cfg.drills.targetService;
    if (target !== undefined && !cfg.services.some((s) => s.name === target)) {
      ctx.addIssue({
        code: "custom",
        message: `not a service of platform:services (allowed: ${cfg.services.map((s) => s.name).join(", ")})`,
        path: ["drills", "targetService"],
      });
    }
  });
export type RegionConfig = z.infer<typeof regionSchema>;

export type StackConfig = GlobalConfig | RegionConfig;
