/**
 * The AWS commercial and GovCloud regions this platform can be placed in, with the short code
 * used in physical names. Regions are data: adding one to the platform means adding a stack file
 * whose `platform:region` names an entry here.
 */
export const AWS_REGIONS = {
  "us-east-1": "use1",
  "us-east-2": "use2",
  "us-west-1": "usw1",
  "us-west-2": "usw2",
  "ca-central-1": "cac1",
  "ca-west-1": "caw1",
  "mx-central-1": "mxc1",
  "sa-east-1": "sae1",
  "eu-central-1": "euc1",
  "eu-central-2": "euc2",
  "eu-west-1": "euw1",
  "eu-west-2": "euw2",
  "eu-west-3": "euw3",
  "eu-north-1": "eun1",
  "eu-south-1": "eus1",
  "eu-south-2": "eus2",
  "me-south-1": "mes1",
  "me-central-1": "mec1",
  "il-central-1": "ilc1",
  "af-south-1": "afs1",
  "ap-east-1": "ape1",
  "ap-east-2": "ape2",
  "ap-south-1": "aps1",
  "ap-south-2": "aps2",
  "ap-northeast-1": "apne1",
  "ap-northeast-2": "apne2",
  "ap-northeast-3": "apne3",
  "ap-southeast-1": "apse1",
  "ap-southeast-2": "apse2",
  "ap-southeast-3": "apse3",
  "ap-southeast-4": "apse4",
  "ap-southeast-5": "apse5",
  "ap-southeast-7": "apse7",
  "us-gov-west-1": "usgw1",
  "us-gov-east-1": "usge1",
} as const;

export type AwsRegion = keyof typeof AWS_REGIONS;

export const AWS_REGION_NAMES = Object.keys(AWS_REGIONS) as AwsRegion[];

export function isAwsRegion(value: string): value is AwsRegion {
  return Object.prototype.hasOwnProperty.call(AWS_REGIONS, value);
}

/** The short code of a region, for physical names that have length limits. */
export function regionCode(region: AwsRegion): string {
  return AWS_REGIONS[region];
}

/**
 * Regions that can hold a replica of a multi-region strongly consistent (MRSC) DynamoDB global
 * table, grouped in the region sets AWS allows: all replicas (and the witness) come from one set.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/multi-region-strong-consistency-gt.html
 */
export const MRSC_REGION_SETS = {
  us: ["us-east-1", "us-east-2", "us-west-2"],
  eu: ["eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1"],
  ap: ["ap-northeast-1", "ap-northeast-2", "ap-northeast-3"],
} as const satisfies Record<string, readonly AwsRegion[]>;
