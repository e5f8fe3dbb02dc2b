/** Every policy of the platform pack, in report order. Importing this constructs nothing. */
import { AUDIT_POLICIES } from "./audit";
import { IAM_POLICIES } from "./iam";
import { KMS_POLICIES } from "./kms";
import { QUEUE_POLICIES } from "./queues";
import { s3BucketCmk } from "./s3";
import type { PlatformPolicy } from "./types";

export const ALL_POLICIES: readonly PlatformPolicy[] = [
  ...KMS_POLICIES,
  s3BucketCmk,
  ...IAM_POLICIES,
  ...AUDIT_POLICIES,
  ...QUEUE_POLICIES,
];

export const POLICY_NAMES: readonly string[] = ALL_POLICIES.map((p) => p.name);
