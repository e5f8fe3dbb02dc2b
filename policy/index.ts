/**
 * The CrossGuard pack: `pulumi preview --policy-pack policy`, `pulumi policy publish`.
 * Constructing a PolicyPack starts the analyzer's gRPC server, so nothing imports this file; the
 * policies live in modules that construct nothing.
 *
 * The configuration is the default one (mandatory everywhere, the ALB log bucket exemption),
 * overlaid with the YAML or JSON file named by PLATFORM_POLICY_CONFIG when it is set (a relative
 * path is read from where the user ran the command: ./config-file.ts). Per-policy levels can also
 * come from `--policy-pack-config`, which the engine applies itself.
 */
import { PolicyPack } from "@pulumi/policy";
import { DEFAULT_POLICY_CONFIG } from "./config";
import { policyConfigFromEnv } from "./config-file";
import { crossGuardPolicies } from "./pack";

const config =
  policyConfigFromEnv({ env: process.env, cwd: process.cwd(), packDir: __dirname }) ??
  DEFAULT_POLICY_CONFIG;

new PolicyPack("platform", {
  description: "Customer-managed KMS encryption everywhere and least-privilege IAM.",
  policies: crossGuardPolicies(config, {
    onExemption: ({ policy, urn, reason }) =>
      console.log(`exemption: ${policy} on ${urn}: ${reason}`),
  }),
});
