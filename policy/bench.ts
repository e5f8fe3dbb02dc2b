/**
 * Policy throughput: resources validated per second over a synthetic plan of mixed resources,
 * good and bad, with IAM documents that need wildcard expansion. Wired into `npm run bench`.
 */
import { evaluateResources, type OfflineResource } from "./offline";

const KEY = "arn:aws:kms:us-east-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef";

const TEMPLATES: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ["aws:sqs/queue:Queue", { kmsMasterKeyId: KEY }],
  ["aws:sqs/queue:Queue", { kmsMasterKeyId: "alias/aws/sqs" }],
  ["aws:sns/topic:Topic", { kmsMasterKeyId: KEY }],
  ["aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 30 }],
  [
    "aws:dynamodb/table:Table",
    {
      serverSideEncryption: { enabled: true, kmsKeyArn: KEY },
      replicas: [{ regionName: "eu-central-1" }],
    },
  ],
  ["aws:kms/key:Key", { enableKeyRotation: true, multiRegion: true }],
  ["aws:s3/bucket:Bucket", { forceDestroy: false }],
  ["aws:lambda/function:Function", { environment: { variables: { A: "1" } } }],
  ["aws:ec2/vpc:Vpc", { cidrBlock: "10.0.0.0/16" }],
  [
    "aws:iam/policy:Policy",
    {
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: ["s3:Put*", "xray:PutTraceSegments"], Resource: "*" },
          { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::data/*" },
        ],
      }),
    },
  ],
  [
    "aws:iam/role:Role",
    {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "lambda.amazonaws.com" },
            Action: "sts:AssumeRole",
          },
        ],
      }),
      managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
    },
  ],
];

export function syntheticPlan(count: number): OfflineResource[] {
  const resources: OfflineResource[] = [];
  for (let t = 0; resources.length < count; t++) {
    const [type, inputs] = TEMPLATES[t % TEMPLATES.length];
    const name = `r${t}`;
    const urn = `urn:pulumi:bench::platform::${type}::${name}`;
    resources.push({ urn, type, name, inputs: structuredClone(inputs) });
    if (type === "aws:s3/bucket:Bucket" && t % 2 === 0 && resources.length < count) {
      // Every other bucket gets its encryption configuration as a sibling resource.
      const sseType =
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";
      resources.push({
        urn: `urn:pulumi:bench::platform::${sseType}::${name}-sse`,
        type: sseType,
        name: `${name}-sse`,
        inputs: {
          bucket: urn,
          rules: [
            {
              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY },
            },
          ],
        },
      });
    }
  }
  return resources;
}

export async function policyThroughput(
  count = 10_000,
): Promise<{ resources: number; seconds: number; perSecond: number }> {
  const plan = syntheticPlan(count);
  const start = process.hrtime.bigint();
  evaluateResources(plan);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { resources: plan.length, seconds, perSecond: Math.round(plan.length / seconds) };
}
