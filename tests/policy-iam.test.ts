import { expandIamActions } from "@cloud-copilot/iam-expand";
import { describe, expect, it } from "vitest";
import { expandAction } from "../policy/actions";
import * as iam from "../policy/iam";
import { evaluateResources } from "../policy/offline";
import { violationMessage, type ResourcePolicy } from "../policy/types";

const URN = (type: string) => `urn:pulumi:dev::platform::${type}::subject`;

function findings(type: string, inputs: Record<string, unknown>): string[] {
  return evaluateResources([{ urn: URN(type), type, name: "subject", inputs }]).violations.map(
    (v) => `${v.policy} [${v.enforcementLevel}]: ${v.message}`,
  );
}

function line(policy: ResourcePolicy, detail: string): string {
  return `${policy.name} [mandatory]: ${violationMessage(policy, detail)}`;
}

const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const POLICY = "aws:iam/policy:Policy";

describe("wildcard expansion against IAM data", () => {
  it("expands s3:Put* exactly as iam-expand does", async () => {
    const ours = expandAction("s3:Put*")
      .map((a) => a.action.toLowerCase())
      .sort();
    const theirs = (await expandIamActions("s3:Put*")).map((a) => a.toLowerCase()).sort();
    expect(ours).toEqual(theirs);
    expect(ours.length).toBeGreaterThan(30);
  });

  it("fails s3:Put* on *", () => {
    const put = expandAction("s3:Put*")
      .filter((a) => !a.wildcardOnly)
      .map((a) => a.action)
      .sort();
    const shown = `${put.slice(0, 5).join(", ")} (+${put.length - 5} more)`;
    expect(
      findings(POLICY, { policy: doc({ Effect: "Allow", Action: "s3:Put*", Resource: "*" }) }),
    ).toEqual([
      line(iam.iamNoMutationOnWildcardResource, `policy Statement[0]: Resource "*" with ${shown}`),
    ]);
  });

  it("passes s3:GetObject on one bucket's objects", () => {
    const statement = {
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::data-bucket/*",
    };
    expect(findings(POLICY, { policy: doc(statement) })).toEqual([]);
  });

  it("passes actions that only support Resource * (by the data, not a list)", () => {
    const actions = [
      "ecr:GetAuthorizationToken",
      "xray:PutTraceSegments",
      "cloudwatch:PutMetricData",
      "s3:Get*",
    ];
    for (const a of actions.slice(0, 3)) expect(expandAction(a)[0]?.wildcardOnly).toBe(true);
    expect(
      findings(POLICY, { policy: doc({ Effect: "Allow", Action: actions, Resource: "*" }) }),
    ).toEqual([]);
  });

  it("fails a tagging action on *", () => {
    const statement = { Effect: "Allow", Action: "ec2:CreateTags", Resource: "*" };
    expect(findings(POLICY, { policy: doc(statement) })).toEqual([
      line(
        iam.iamNoMutationOnWildcardResource,
        'policy Statement[0]: Resource "*" with ec2:CreateTags',
      ),
    ]);
  });
});

describe("action wildcards", () => {
  it('fails Action "*"', () => {
    const d = doc({ Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::b" });
    expect(findings(POLICY, { policy: d })).toEqual([
      line(iam.iamNoWildcardAction, 'policy Statement[0]: Action "*"'),
    ]);
  });

  it("fails service:* on a scoped resource", () => {
    const d = {
      Version: "2012-10-17",
      Statement: { Effect: "Allow", Action: ["sqs:*"], Resource: "arn:aws:sqs:us-east-1:1:q" },
    };
    expect(findings("aws:iam/rolePolicy:RolePolicy", { role: "r", policy: d })).toEqual([
      line(iam.iamNoServiceWildcardAction, "policy Statement[0]: Action sqs:*"),
    ]);
  });

  it("passes wildcards in a Deny", () => {
    expect(
      findings(POLICY, { policy: doc({ Effect: "Deny", Action: "*", Resource: "*" }) }),
    ).toEqual([]);
  });
});

describe("privilege escalation on *", () => {
  it.each(["iam:PassRole", "iam:CreatePolicyVersion", "iam:AttachRolePolicy", "sts:AssumeRole"])(
    "fails %s on *",
    (action) => {
      const d = doc({ Effect: "Allow", Action: action, Resource: "*" });
      expect(findings(POLICY, { policy: d })).toEqual([
        line(
          iam.iamNoMutationOnWildcardResource,
          `policy Statement[0]: Resource "*" with ${action}`,
        ),
        line(iam.iamNoPrivilegeEscalation, `policy Statement[0]: Resource "*" with ${action}`),
      ]);
    },
  );

  it("fails an escalation action reached through a wildcard", () => {
    const d = doc({ Effect: "Allow", Action: "iam:Pass*", Resource: "*" });
    expect(findings(POLICY, { policy: d })).toEqual([
      line(
        iam.iamNoMutationOnWildcardResource,
        'policy Statement[0]: Resource "*" with iam:PassRole',
      ),
      line(iam.iamNoPrivilegeEscalation, 'policy Statement[0]: Resource "*" with iam:PassRole'),
    ]);
  });

  it("passes iam:PassRole on one role", () => {
    const d = doc({ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::1:role/app" });
    expect(findings(POLICY, { policy: d })).toEqual([]);
  });
});

describe("role documents and attachments", () => {
  const trust = (statement: object) =>
    doc({ Action: "sts:AssumeRole", Effect: "Allow", ...statement });

  it("passes a service trust and a scoped inline policy", () => {
    expect(
      findings("aws:iam/role:Role", {
        assumeRolePolicy: trust({ Principal: { Service: "lambda.amazonaws.com" } }),
        inlinePolicies: [
          {
            name: "read",
            policy: doc({
              Effect: "Allow",
              Action: "sqs:ReceiveMessage",
              Resource: "arn:aws:sqs:us-east-1:1:q",
            }),
          },
        ],
        managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
      }),
    ).toEqual([]);
  });

  it.each([["*"], [{ AWS: "*" }], [{ AWS: ["arn:aws:iam::111122223333:root", "*"] }]])(
    "fails a trust policy with principal %j",
    (principal) => {
      expect(
        findings("aws:iam/role:Role", { assumeRolePolicy: trust({ Principal: principal }) }),
      ).toEqual([
        line(
          iam.iamNoWildcardPrincipal,
          "assumeRolePolicy Statement[0]: Allow to a wildcard principal without a narrowing condition",
        ),
      ]);
    },
  );

  it("fails a write on * in an inline policy, naming it", () => {
    expect(
      findings("aws:iam/role:Role", {
        assumeRolePolicy: trust({ Principal: { Service: "ec2.amazonaws.com" } }),
        inlinePolicies: [
          {
            name: "w",
            policy: {
              Statement: [{ Sid: "W", Effect: "Allow", Action: "sqs:DeleteQueue", Resource: "*" }],
            },
          },
        ],
      }),
    ).toEqual([
      line(
        iam.iamNoMutationOnWildcardResource,
        'inlinePolicies[0].policy Statement[0] (W): Resource "*" with sqs:DeleteQueue',
      ),
    ]);
  });

  it.each([
    ["AdministratorAccess", "arn:aws:iam::aws:policy/AdministratorAccess"],
    ["PowerUserAccess", "arn:aws:iam::aws:policy/PowerUserAccess"],
    ["IAMFullAccess", "arn:aws:iam::aws:policy/IAMFullAccess"],
    ["AmazonS3FullAccess", "arn:aws-cn:iam::aws:policy/AmazonS3FullAccess"],
  ])("fails an attachment of %s", (name, arn) => {
    expect(
      findings("aws:iam/rolePolicyAttachment:RolePolicyAttachment", { role: "r", policyArn: arn }),
    ).toEqual([line(iam.iamNoAdminManagedPolicy, `policyArn attaches ${name}`)]);
  });

  it("passes read-only and customer-managed attachments", () => {
    for (const arn of [
      "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
      "arn:aws:iam::111122223333:policy/AdministratorAccess",
    ]) {
      expect(findings("aws:iam/policyAttachment:PolicyAttachment", { policyArn: arn })).toEqual([]);
    }
  });

  it("fails role managedPolicyArns with an admin policy", () => {
    expect(
      findings("aws:iam/role:Role", {
        assumeRolePolicy: trust({ Principal: { Service: "ec2.amazonaws.com" } }),
        managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
      }),
    ).toEqual([
      line(iam.iamNoAdminManagedPolicy, "managedPolicyArns attaches AdministratorAccess"),
    ]);
  });
});

describe("NotAction / NotResource", () => {
  it("fails Allow with NotAction", () => {
    const d = doc({ Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::b" });
    expect(findings(POLICY, { policy: d })).toEqual([
      line(iam.iamNoAllowNotAction, "policy Statement[0]: Allow with NotAction"),
    ]);
  });

  it("fails Allow with NotResource", () => {
    const d = doc({
      Effect: "Allow",
      Action: "s3:GetObject",
      NotResource: "arn:aws:s3:::secret/*",
    });
    expect(findings(POLICY, { policy: d })).toEqual([
      line(iam.iamNoAllowNotResource, "policy Statement[0]: Allow with NotResource"),
    ]);
  });

  it("passes Deny with NotAction and NotResource", () => {
    const d = doc({ Effect: "Deny", NotAction: "s3:GetObject", NotResource: "arn:aws:s3:::b/*" });
    expect(findings(POLICY, { policy: d })).toEqual([]);
  });
});

describe("resource policies", () => {
  const tlsDeny = {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };

  it("passes a bucket policy that denies non-TLS access to everyone", () => {
    expect(
      findings("aws:s3/bucketPolicy:BucketPolicy", { bucket: "b", policy: doc(tlsDeny) }),
    ).toEqual([]);
  });

  it.each([
    ["aws:SourceArn", { ArnLike: { "aws:SourceArn": "arn:aws:events:us-east-1:1:rule/r" } }],
    ["aws:SourceAccount", { StringEquals: { "aws:SourceAccount": "111122223333" } }],
    ["aws:PrincipalOrgID", { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } }],
  ])("passes a queue policy to * narrowed by %s", (_key, condition) => {
    const d = doc({
      Effect: "Allow",
      Principal: "*",
      Action: "sqs:SendMessage",
      Resource: "arn:aws:sqs:us-east-1:1:q",
      Condition: condition,
    });
    expect(findings("aws:sqs/queuePolicy:QueuePolicy", { queueUrl: "u", policy: d })).toEqual([]);
  });

  it("fails a topic policy open to * (IfExists does not narrow)", () => {
    const d = doc({
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: "sns:Publish",
      Resource: "arn:aws:sns:us-east-1:1:t",
      Condition: { StringEqualsIfExists: { "aws:SourceAccount": "1" } },
    });
    expect(findings("aws:sns/topicPolicy:TopicPolicy", { arn: "t", policy: d })).toEqual([
      line(
        iam.iamNoWildcardPrincipal,
        "policy Statement[0]: Allow to a wildcard principal without a narrowing condition",
      ),
    ]);
  });

  it("judges ECR repository and event bus policies", () => {
    const open = doc({ Effect: "Allow", Principal: "*", Action: "ecr:BatchGetImage" });
    expect(
      findings("aws:ecr/repositoryPolicy:RepositoryPolicy", { repository: "r", policy: open }),
    ).toEqual([
      line(
        iam.iamNoWildcardPrincipal,
        "policy Statement[0]: Allow to a wildcard principal without a narrowing condition",
      ),
    ]);
    const bus = doc({
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::1:root" },
      Action: "events:*",
      Resource: "arn:aws:events:us-east-1:1:event-bus/b",
    });
    expect(findings("aws:cloudwatch/eventBusPolicy:EventBusPolicy", { policy: bus })).toEqual([
      line(iam.iamNoServiceWildcardAction, "policy Statement[0]: Action events:*"),
    ]);
  });

  it("does not crash on unknown or unparsable documents and unknown elements", () => {
    const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    expect(findings(POLICY, { policy: UNKNOWN })).toEqual([]);
    expect(findings(POLICY, { policy: "{not json" })).toEqual([]);
    expect(findings(POLICY, { policy: { Statement: UNKNOWN } })).toEqual([]);
    expect(
      findings(POLICY, { policy: doc({ Effect: "Allow", Action: UNKNOWN, Resource: "*" }) }),
    ).toEqual([]);
    expect(
      findings("aws:iam/role:Role", {
        assumeRolePolicy: doc({
          Effect: "Allow",
          Action: "sts:AssumeRole",
          Principal: { AWS: UNKNOWN },
        }),
      }),
    ).toEqual([]);
  });
});

describe("key policies", () => {
  const root = { AWS: "arn:aws:iam::111122223333:root" };

  it("passes the default statement that delegates the key to IAM (kms:* to the account root)", () => {
    const d = doc({
      Sid: "EnableIamPolicies",
      Effect: "Allow",
      Principal: root,
      Action: "kms:*",
      Resource: "*",
    });
    expect(findings("aws:kms/key:Key", { enableKeyRotation: true, policy: d })).toEqual([]);
  });

  it("fails kms:* to a role", () => {
    const d = doc({
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::111122223333:role/app" },
      Action: "kms:*",
      Resource: "*",
    });
    expect(findings("aws:kms/key:Key", { enableKeyRotation: true, policy: d })).toEqual([
      line(iam.iamNoServiceWildcardAction, "policy Statement[0]: Action kms:*"),
    ]);
  });

  it('fails "*" to the account root', () => {
    const d = doc({ Effect: "Allow", Principal: root, Action: "*", Resource: "*" });
    expect(findings("aws:kms/key:Key", { enableKeyRotation: true, policy: d })).toEqual([
      line(iam.iamNoWildcardAction, 'policy Statement[0]: Action "*"'),
    ]);
  });
});
