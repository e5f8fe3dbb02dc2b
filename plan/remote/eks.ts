/**
 * The children the engine records for `eks:index:Cluster`, derived for the component's arguments.
 *
 * Source: pulumi/pulumi-eks at tag v4.3.0: `nodejs/eks/cluster/cluster.ts` (`createCore`,
 * `createCluster`), `nodejs/eks/servicerole.ts` (`ServiceRole`), `nodejs/eks/addons/cni-addon.ts`
 * (`VpcCniAddon`, `computeEnv`, `mergeConfigurationValues`) and
 * `nodejs/eks/cluster/authenticationMode.ts` (`supportsConfigMap`, `createAccessEntries`):
 *
 * - `eks:index:ServiceRole` `<name>-eksRole` with `aws:iam/role:Role` `<name>-eksRole-role`
 *   (trusting eks.amazonaws.com for sts:AssumeRole and sts:TagSession) and one
 *   `aws:iam/rolePolicyAttachment` `<name>-eksRole-<sha1(policy id)[0..8]>` for
 *   AmazonEKSClusterPolicy;
 * - `aws:eks/cluster:Cluster` `<name>-eksCluster` carrying the component's settings
 *   (`encryptionConfig` from `encryptionConfigKeyArn`, `vpcConfig` from the subnets and endpoint
 *   settings, `accessConfig` from `authenticationMode`);
 * - `aws:eks/addon:Addon` `<name>-kube-proxy` (unless `kubeProxyAddonOptions.enabled` is false);
 * - `pulumi:providers:kubernetes` `<name>-eks-k8s` on the cluster's kubeconfig;
 * - with access entries (`authenticationMode` API or API_AND_CONFIG_MAP): one
 *   `aws:eks/accessEntry:AccessEntry` `<name>-<key>` per entry and one
 *   `aws:eks/accessPolicyAssociation` `<name>-<key>-<association>` per access policy;
 * - `eks:index:VpcCniAddon` `<name>-vpc-cni` with `aws:eks/addon:Addon` `<name>-vpc-cni` (unless
 *   `useDefaultVpcCni`);
 * - `aws:eks/addon:Addon` `<name>-coredns` only when asked for (`corednsAddonOptions.enabled`)
 *   since there is no default node group;
 * - `aws:iam/openIdConnectProvider` `<name>-oidcProvider` when `createOidcProvider`.
 *
 * The default security groups, the default node group and its instance role, the aws-auth
 * ConfigMap and Fargate are not modelled: arguments that would create them fail the plan.
 */
import { createHash } from "node:crypto";
import { ACCOUNT_ID, PARTITION, hex, physicalName, uuid } from "../fakes";
import type { RecordedResource } from "../record";
import { arg, checkModelled, child, stackOfUrn } from "./children";

export const EKS_SOURCE = "pulumi/pulumi-eks nodejs/eks/cluster/cluster.ts (v4.3.0)";

const MODELLED = [
  "name",
  "version",
  "vpcId",
  "subnetIds",
  "publicSubnetIds",
  "privateSubnetIds",
  "endpointPrivateAccess",
  "endpointPublicAccess",
  "publicAccessCidrs",
  "encryptionConfigKeyArn",
  "enabledClusterLogTypes",
  "authenticationMode",
  "accessEntries",
  "skipDefaultNodeGroup",
  "skipDefaultSecurityGroups",
  "createOidcProvider",
  "nodeAssociatePublicIpAddress",
  "deletionProtection",
  "bootstrapSelfManagedAddons",
  "upgradePolicy",
  "tags",
  "clusterTags",
  "vpcCniOptions",
  "useDefaultVpcCni",
  "kubeProxyAddonOptions",
  "corednsAddonOptions",
] as const;

const VPC_CNI_MODELLED = [
  "enableNetworkPolicy",
  "serviceAccountRoleArn",
  "configurationValues",
  "addonVersion",
  "resolveConflictsOnCreate",
  "resolveConflictsOnUpdate",
] as const;

/**
 * The version `aws.eks.getAddonVersion({ mostRecent: true })` resolves at deploy time; offline, a
 * stand-in that names the add-on's Kubernetes version.
 */
export function offlineAddonVersion(addon: string, kubernetesVersion: string): string {
  return `v${kubernetesVersion}.0-eksbuild.1+${addon}`;
}

function sha1Prefix(text: string): string {
  return createHash("sha1").update(text).digest("hex").substring(0, 8);
}

/** The vpc-cni add-on's configuration with no env options set (`computeEnv`'s defaults). */
function vpcCniConfiguration(options: Record<string, unknown>): string {
  const env = {
    WARM_ENI_TARGET: "1",
    AWS_VPC_K8S_CNI_LOGLEVEL: "DEBUG",
    AWS_VPC_K8S_CNI_LOG_FILE: "/host/var/log/aws-routed-eni/ipamd.log",
    AWS_VPC_K8S_CNI_VETHPREFIX: "eni",
    AWS_VPC_ENI_MTU: "9001",
    AWS_VPC_K8S_PLUGIN_LOG_LEVEL: "DEBUG",
    AWS_VPC_K8S_PLUGIN_LOG_FILE: "/var/log/aws-routed-eni/plugin.log",
    ENABLE_POD_ENI: "false",
    AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "false",
    AWS_VPC_K8S_CNI_EXTERNALSNAT: "false",
  };
  const initEnv = { DISABLE_TCP_EARLY_DEMUX: "false" };
  const config: Record<string, unknown> = {
    ...((options.configurationValues as Record<string, unknown> | undefined) ?? {}),
  };
  if (!("enableNetworkPolicy" in config) && options.enableNetworkPolicy !== undefined) {
    config.enableNetworkPolicy = String(options.enableNetworkPolicy);
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  config.env = isObject(config.env) ? { ...env, ...config.env } : env;
  if (isObject(config.init) && isObject(config.init.env)) {
    config.init = { ...config.init, env: { ...initEnv, ...config.init.env } };
  } else if (isObject(config.init)) {
    config.init = { env: initEnv, ...config.init };
  } else {
    config.init = { env: initEnv };
  }
  return JSON.stringify(config);
}

interface AccessEntryArg {
  principalArn: string;
  username?: string;
  kubernetesGroups?: string[];
  type?: string;
  tags?: Record<string, string>;
  accessPolicies?: Record<string, { policyArn: string; accessScope: unknown }>;
}

export function expandEksCluster(cluster: RecordedResource): RecordedResource[] {
  checkModelled(cluster, MODELLED, EKS_SOURCE);
  const name = cluster.name;
  const seed = `${stackOfUrn(cluster.urn)}/${cluster.type}/${name}`;
  const a = <T>(key: string) => arg<T>(cluster, key);
  if (
    a<boolean>("skipDefaultNodeGroup") !== true ||
    a<boolean>("skipDefaultSecurityGroups") !== true
  ) {
    throw new Error(
      `the offline plan models ${cluster.urn} only with skipDefaultNodeGroup and skipDefaultSecurityGroups (the default node group and security groups are not derived; see ${EKS_SOURCE})`,
    );
  }
  const cniOptions = a<Record<string, unknown>>("vpcCniOptions") ?? {};
  const extraCni = Object.keys(cniOptions).filter(
    (k) => !(VPC_CNI_MODELLED as readonly string[]).includes(k),
  );
  if (extraCni.length > 0) {
    throw new Error(
      `the offline plan does not model eks:index:Cluster vpcCniOptions ${extraCni.join(", ")} of ${cluster.urn}`,
    );
  }
  const out = cluster.outputs as {
    oidcIssuer: string;
    kubeconfig: unknown;
    eksCluster: {
      name: string;
      arn: string;
      endpoint: string;
      vpcConfig: { clusterSecurityGroupId: string };
      certificateAuthority: { data: string };
    };
  };
  const tags = a<Record<string, string>>("tags");
  const version = a<string>("version") ?? "";
  const provider = cluster.provider;
  const records: RecordedResource[] = [];

  // The service role: a component (its args dropped), the role and one managed policy.
  const serviceRole = child({
    type: "eks:index:ServiceRole",
    name: `${name}-eksRole`,
    parent: cluster.urn,
    custom: false,
  });
  const roleName = physicalName(`${name}-eksRole-role`, `${seed}/eksRole`);
  const roleArn = `arn:${PARTITION}:iam::${ACCOUNT_ID}:role/${roleName}`;
  const role = child({
    type: "aws:iam/role:Role",
    name: `${name}-eksRole-role`,
    parent: serviceRole.urn,
    id: roleName,
    inputs: {
      description: "Allows EKS to manage clusters on your behalf.",
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Action: ["sts:AssumeRole", "sts:TagSession"],
            Effect: "Allow",
            Principal: { Service: ["eks.amazonaws.com"] },
          },
        ],
      }),
      tags,
    },
    outputs: { name: roleName, arn: roleArn },
    provider,
  });
  const policyId = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy";
  const attachment = child({
    type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    name: `${name}-eksRole-${sha1Prefix(policyId)}`,
    parent: serviceRole.urn,
    id: `${roleName}-${hex(`${seed}/eksRole/attach`, 20)}`,
    inputs: {
      policyArn: `arn:${PARTITION}:iam::aws:policy/AmazonEKSClusterPolicy`,
      role: roleName,
    },
    dependencies: [role.urn],
    provider,
  });
  records.push(serviceRole, role, attachment);

  // The cluster itself: where the component's settings land.
  const publicAccess = a<boolean>("endpointPublicAccess");
  const publicAccessCidrs = a<string[]>("publicAccessCidrs");
  if (publicAccessCidrs !== undefined && publicAccess === false) {
    // createCore rejects it while resolving vpcConfig.publicAccessCidrs.
    throw new Error(
      `${cluster.urn}: \`publicAccessCidrs\` can only be set when \`endpointPublicAccess\` is true`,
    );
  }
  const subnetIds = a<string[]>("subnetIds") ?? [
    ...(a<string[]>("publicSubnetIds") ?? []),
    ...(a<string[]>("privateSubnetIds") ?? []),
  ];
  const keyArn = a<string>("encryptionConfigKeyArn");
  const authenticationMode = a<string>("authenticationMode");
  const clusterName = out.eksCluster.name;
  const eksCluster = child({
    type: "aws:eks/cluster:Cluster",
    name: `${name}-eksCluster`,
    parent: cluster.urn,
    id: clusterName,
    inputs: {
      name: a<string>("name"),
      roleArn,
      bootstrapSelfManagedAddons: a<boolean>("bootstrapSelfManagedAddons") ?? true,
      vpcConfig: {
        subnetIds,
        endpointPrivateAccess: a<boolean>("endpointPrivateAccess"),
        endpointPublicAccess: publicAccess,
        publicAccessCidrs,
      },
      version: a<string>("version"),
      enabledClusterLogTypes: a<string[]>("enabledClusterLogTypes"),
      tags: { Name: `${name}-eksCluster`, ...(a<object>("clusterTags") ?? {}), ...(tags ?? {}) },
      encryptionConfig: keyArn ? { provider: { keyArn }, resources: ["secrets"] } : undefined,
      accessConfig: authenticationMode
        ? { authenticationMode, bootstrapClusterCreatorAdminPermissions: true }
        : undefined,
      upgradePolicy: a<object>("upgradePolicy"),
      deletionProtection: a<boolean>("deletionProtection"),
    },
    outputs: {
      arn: out.eksCluster.arn,
      endpoint: out.eksCluster.endpoint,
      certificateAuthority: out.eksCluster.certificateAuthority,
      identities: [{ oidcs: [{ issuer: `https://${out.oidcIssuer}` }] }],
      vpcConfig: {
        subnetIds,
        endpointPrivateAccess: a<boolean>("endpointPrivateAccess"),
        endpointPublicAccess: publicAccess,
        publicAccessCidrs,
        clusterSecurityGroupId: out.eksCluster.vpcConfig.clusterSecurityGroupId,
      },
    },
    dependencies: [role.urn, attachment.urn, serviceRole.urn],
    provider,
  });
  records.push(eksCluster);

  const addon = (addonName: string, parent: string, options: Record<string, unknown>) =>
    child({
      type: "aws:eks/addon:Addon",
      name: `${name}-${addonName}`,
      parent,
      id: `${clusterName}:${addonName}`,
      inputs: {
        clusterName,
        addonName,
        preserve: true,
        tags,
        resolveConflictsOnCreate: options.resolveConflictsOnCreate ?? "OVERWRITE",
        resolveConflictsOnUpdate: options.resolveConflictsOnUpdate ?? "OVERWRITE",
        addonVersion:
          options.version ?? options.addonVersion ?? offlineAddonVersion(addonName, version),
        configurationValues: options.configurationValues,
        serviceAccountRoleArn: options.serviceAccountRoleArn,
      },
      dependencies: [eksCluster.urn],
      provider,
    });
  const kubeProxy = a<Record<string, unknown>>("kubeProxyAddonOptions") ?? {};
  if (kubeProxy.enabled !== false) {
    const { enabled: _, configurationValues, ...rest } = kubeProxy;
    records.push(
      addon("kube-proxy", cluster.urn, {
        ...rest,
        configurationValues: configurationValues ? JSON.stringify(configurationValues) : undefined,
      }),
    );
  }

  const k8sProvider = child({
    type: "pulumi:providers:kubernetes",
    name: `${name}-eks-k8s`,
    parent: cluster.urn,
    id: uuid(`${seed}/eks-k8s`),
    inputs: { kubeconfig: JSON.stringify(out.kubeconfig) },
    dependencies: [eksCluster.urn],
  });
  records.push(k8sProvider);

  const accessEntryUrns: string[] = [];
  if (authenticationMode === "API" || authenticationMode === "API_AND_CONFIG_MAP") {
    for (const [key, entry] of Object.entries(
      a<Record<string, AccessEntryArg>>("accessEntries") ?? {},
    )) {
      const accessEntry = child({
        type: "aws:eks/accessEntry:AccessEntry",
        name: `${name}-${key}`,
        parent: cluster.urn,
        id: `${clusterName}:${entry.principalArn}`,
        inputs: {
          clusterName,
          principalArn: entry.principalArn,
          kubernetesGroups: entry.kubernetesGroups,
          type: entry.type,
          tags: entry.tags,
          userName: entry.username,
        },
        dependencies: [eksCluster.urn],
        provider,
      });
      accessEntryUrns.push(accessEntry.urn);
      records.push(accessEntry);
      for (const [assocName, assoc] of Object.entries(entry.accessPolicies ?? {})) {
        records.push(
          child({
            type: "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
            name: `${name}-${key}-${assocName}`,
            parent: accessEntry.urn,
            id: `${clusterName}#${entry.principalArn}#${assoc.policyArn}`,
            inputs: {
              accessScope: assoc.accessScope,
              principalArn: entry.principalArn,
              policyArn: assoc.policyArn,
              clusterName,
            },
            dependencies: [accessEntry.urn, eksCluster.urn],
            provider,
          }),
        );
      }
    }
  } else if (a("accessEntries") !== undefined) {
    throw new Error(
      `${cluster.urn}: accessEntries need authenticationMode API or API_AND_CONFIG_MAP`,
    );
  }
  if (authenticationMode !== "API") {
    // supportsConfigMap: no mode, CONFIG_MAP and API_AND_CONFIG_MAP create the aws-auth ConfigMap.
    throw new Error(
      `the offline plan does not model the aws-auth ConfigMap that ${cluster.urn} creates without authenticationMode "API"`,
    );
  }

  if (a<boolean>("useDefaultVpcCni") !== true) {
    const cni = child({
      type: "eks:index:VpcCniAddon",
      name: `${name}-vpc-cni`,
      parent: cluster.urn,
      custom: false,
      dependencies: accessEntryUrns,
    });
    records.push(
      cni,
      addon("vpc-cni", cni.urn, {
        addonVersion: cniOptions.addonVersion,
        resolveConflictsOnCreate: cniOptions.resolveConflictsOnCreate,
        resolveConflictsOnUpdate: cniOptions.resolveConflictsOnUpdate,
        configurationValues: vpcCniConfiguration(cniOptions),
        serviceAccountRoleArn: cniOptions.serviceAccountRoleArn,
      }),
    );
  }

  const coredns = a<Record<string, unknown>>("corednsAddonOptions") ?? {};
  if (coredns.enabled === true || coredns.configurationValues !== undefined) {
    const { enabled: _, configurationValues, ...rest } = coredns;
    records.push(
      addon("coredns", cluster.urn, {
        ...rest,
        configurationValues: configurationValues ? JSON.stringify(configurationValues) : undefined,
      }),
    );
  }

  if (a<boolean>("createOidcProvider") === true) {
    const issuer = `https://${out.oidcIssuer}`;
    records.push(
      child({
        type: "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        name: `${name}-oidcProvider`,
        parent: cluster.urn,
        id: `arn:${PARTITION}:iam::${ACCOUNT_ID}:oidc-provider/${out.oidcIssuer}`,
        inputs: {
          clientIdLists: ["sts.amazonaws.com"],
          url: issuer,
          // Read from the issuer's TLS chain at deploy time (getIssuerCAThumbprint); a stand-in.
          thumbprintLists: [hex(`${seed}/thumbprint`, 40)],
        },
        outputs: { arn: `arn:${PARTITION}:iam::${ACCOUNT_ID}:oidc-provider/${out.oidcIssuer}` },
        dependencies: [eksCluster.urn],
        provider,
      }),
    );
  }
  return records;
}
