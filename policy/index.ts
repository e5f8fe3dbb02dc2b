/**
 * The CrossGuard pack: `pulumi preview --policy-pack policy`, `pulumi policy publish`.
 * Constructing a PolicyPack starts the analyzer's gRPC server, so nothing imports this file; the
 * policies live in modules that construct nothing.
 *
 * The configuration is the default one (mandatory everywhere, the ALB log bucket exemption),
 * overlaid with the YAML or JSON file named by PLATFORM_POLICY_CONFIG when it is set. Per-policy
 * levels can also come from `--policy-pack-config`, which the engine applies itself.
 */
import * as fs from "node:fs";
import { PolicyPack } from "@pulumi/policy";
import { parse } from "yaml";
import { DEFAULT_POLICY_CONFIG, parsePolicyConfig } from "./config";
import { crossGuardPolicies } from "./pack";

const file = process.env["PLATFORM_POLICY_CONFIG"];
const config =
  file === undefined || file === ""
    ? DEFAULT_POLICY_CONFIG
    : parsePolicyConfig(parse(fs.readFileSync(file, "utf8")) as unknown);

new PolicyPack("platform", {
  description: "Customer-managed KMS encryption everywhere and least-privilege IAM.",
  policies: crossGuardPolicies(config, {
    onExemption: ({ policy, urn, reason }) =>
      console.log(`exemption: ${policy} on ${urn}: ${reason}`),
  }),
});
