/** The resource policy of a queue that EventBridge rules deliver into. Pure: no Pulumi. */
import type { PolicyDocument } from "./iam";

/** EventBridge may send, but only on behalf of the named rules (aws:SourceArn). */
export function queuePolicy(queueArn: string, ruleArns: readonly string[]): PolicyDocument {
  if (ruleArns.length === 0) throw new Error(`queuePolicy: no rule may send to ${queueArn}`);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EventBridgeRules",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: ["sqs:SendMessage"],
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns] } },
      },
    ],
  };
}
