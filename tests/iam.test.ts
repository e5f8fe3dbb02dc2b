import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { inputTemplate, serviceTrustPolicy } from "../lib/iam";

describe("inputTemplate", () => {
  it("stays a plain string when every value is one", () => {
    expect(inputTemplate`arn:${"aws"}:iam::${"123456789012"}:root`).toBe(
      "arn:aws:iam::123456789012:root",
    );
  });

  it("becomes an Output when a value is one", () => {
    expect(
      pulumi.Output.isInstance(inputTemplate`arn:${pulumi.output("aws")}:iam::${"1"}:root`),
    ).toBe(true);
  });
});

describe("serviceTrustPolicy", () => {
  it("adds the confused-deputy guard only when given the account", () => {
    expect(serviceTrustPolicy("lambda.amazonaws.com").Statement).toEqual([
      {
        Sid: "AssumedByService",
        Effect: "Allow",
        Principal: { Service: "lambda.amazonaws.com" },
        Action: "sts:AssumeRole",
      },
    ]);
    expect(serviceTrustPolicy("s3.amazonaws.com", "123456789012").Statement[0].Condition).toEqual({
      StringEquals: { "aws:SourceAccount": "123456789012" },
    });
  });
});
