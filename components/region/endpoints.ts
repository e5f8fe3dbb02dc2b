/**
 * The VPC endpoints of a region: what the private tiers call without leaving the AWS network.
 * Pure list plus the AWS service name of each.
 */
/** Gateway endpoints (free, route-table based): S3 and DynamoDB. */
export const GATEWAY_ENDPOINTS = ["s3", "dynamodb"] as const;

/**
 * Interface endpoints in the app subnets: image pulls (ECR api + dkr; the layers come from S3
 * through the gateway endpoint), IRSA token exchange (STS), the region key (KMS), logs, the
 * queue and the bus.
 */
export const INTERFACE_ENDPOINTS = [
  "ecr.api",
  "ecr.dkr",
  "sts",
  "kms",
  "logs",
  "sqs",
  "events",
] as const;

export type GatewayEndpoint = (typeof GATEWAY_ENDPOINTS)[number];
export type InterfaceEndpoint = (typeof INTERFACE_ENDPOINTS)[number];

/** `com.amazonaws.<region>.<service>`; the reverse DNS prefix differs outside the aws partition. */
export function endpointServiceName(
  reverseDnsPrefix: string,
  region: string,
  service: string,
): string {
  return `${reverseDnsPrefix}.${region}.${service}`;
}

/** The Pulumi name suffix of an endpoint: `ecr.api` -> `ecr-api`. */
export function endpointKey(service: string): string {
  return service.replace(/\./g, "-");
}
