/**
 * IAM and resource policy documents as typed objects, shared by the global and the regional
 * components. Builders return plain objects; constructors serialise them with
 * `pulumi.jsonStringify`, which resolves any Output inside.
 */
import * as pulumi from "@pulumi/pulumi";

export type Str = pulumi.Input<string>;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?:
    | { readonly AWS?: Str | Str[]; readonly Service?: string | string[] }
    | { readonly Federated?: Str }
    | "*";
  readonly Action: string | string[];
  /** Absent in trust policies, where the role itself is the resource. */
  readonly Resource?: Str | Str[];
  readonly Condition?: Record<string, Record<string, Str | Str[]>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: PolicyStatement[];
}

export const policyDocument = (...statements: PolicyStatement[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: statements,
});

/**
 * Lets one AWS service assume a role; with `sourceAccount`, only on behalf of this account's
 * resources, and with `sourceArn` only for the resources it matches (the confused-deputy guard,
 * for services that send aws:SourceAccount and aws:SourceArn).
 */
export function serviceTrustPolicy(
  service: string,
  sourceAccount?: Str,
  sourceArn?: Str,
): PolicyDocument {
  const condition = {
    ...(sourceAccount !== undefined
      ? { StringEquals: { "aws:SourceAccount": sourceAccount } }
      : {}),
    ...(sourceArn !== undefined ? { ArnLike: { "aws:SourceArn": sourceArn } } : {}),
  };
  return policyDocument({
    Sid: "AssumedByService",
    Effect: "Allow",
    Principal: { Service: service },
    Action: "sts:AssumeRole",
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  });
}

/**
 * A template that stays a plain string when every value is one (the regional builders work on
 * resolved strings) and becomes an Output otherwise (the global ones mix in Outputs).
 */
export function inputTemplate(strings: TemplateStringsArray, ...values: Str[]): Str {
  return values.every((v): v is string => typeof v === "string")
    ? String.raw(strings, ...values)
    : pulumi.interpolate(strings, ...values);
}

/**
 * The key-policy statement that lets CloudWatch alarms of this account and region publish to an
 * SNS topic encrypted with the key (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
 */
export function cloudWatchAlarmsKeyStatement(
  partition: Str,
  region: string,
  accountId: Str,
): PolicyStatement {
  return {
    Sid: "AllowCloudWatchAlarmsToPublishToEncryptedTopics",
    Effect: "Allow",
    Principal: { Service: "cloudwatch.amazonaws.com" },
    Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
    Resource: "*",
    Condition: {
      StringEquals: { "aws:SourceAccount": accountId },
      ArnLike: {
        "aws:SourceArn": inputTemplate`arn:${partition}:cloudwatch:${region}:${accountId}:alarm:*`,
      },
    },
  };
}
