import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../lib/config/errors";
import { parseStackConfig, rawSettings } from "../lib/config/parse";
import { loadProject, whatIfProject } from "../lib/config/project";
import { copyProject, editStack, PROJECT_DIR } from "./fixtures";

type Edit = (dir: string) => void;
const set =
  (stack: string, key: string, value: unknown): Edit =>
  (dir) =>
    editStack(dir, stack, (c) => {
      if (value === undefined) delete c[key];
      else c[key] = value;
    });
const setNetwork =
  (stack: string, field: string, value: unknown): Edit =>
  (dir) =>
    editStack(dir, stack, (c) => {
      (c["platform:network"] as Record<string, unknown>)[field] = value;
    });

const both =
  (...edits: Edit[]): Edit =>
  (dir) =>
    edits.forEach((edit) => edit(dir));

describe("the project's own stack files", () => {
  it("load: one global stack and two region stacks, defaults applied", () => {
    const project = loadProject(PROJECT_DIR);
    expect(project.global.stack).toBe("global");
    expect(project.global.config.regions).toEqual(["us-east-1", "eu-central-1"]);
    expect(
      project.regions.map((r) => [r.stack, r.config.region, r.config.network.vpcCidr]),
    ).toEqual([
      ["eu-central-1", "eu-central-1", "10.20.0.0/16"],
      ["us-east-1", "us-east-1", "10.10.0.0/16"],
    ]);
    expect(project.regions[0].config.services.map((s) => s.name)).toEqual([
      "svc-a",
      "svc-b",
      "svc-c",
    ]);
  });
});

describe("bad configuration is rejected with the stack, the key, the value and what is allowed", () => {
  it.each<[string, Edit, string]>([
    [
      "a missing key",
      set("us-east-1", "platform:network", undefined),
      'stack "us-east-1": config key platform:network is missing: required (expected object)',
    ],
    [
      "an invalid region",
      set("us-east-1", "aws:region", "us-east-9"),
      'stack "us-east-1": config key aws:region = "us-east-9": not an AWS region (for example us-east-1, eu-central-1)',
    ],
    [
      "a duplicate region",
      set("global", "platform:regions", ["us-east-1", "eu-central-1", "us-east-1"]),
      'stack "global": config key platform:regions[2] = "us-east-1": duplicate region "us-east-1"',
    ],
    [
      "a region stack whose region is not in the global list",
      set("global", "platform:regions", ["us-east-1", "eu-west-1"]),
      'stack "eu-central-1": config key aws:region = "eu-central-1": not in the global stack\'s platform:regions; allowed: us-east-1, eu-west-1',
    ],
    [
      "a region in the global list without a stack",
      set("global", "platform:regions", ["us-east-1", "eu-central-1", "ap-southeast-2"]),
      'stack "global": config key platform:regions[2] = "ap-southeast-2": no region stack deploys it; add Pulumi.ap-southeast-2.yaml or remove it from the list',
    ],
    [
      "overlapping CIDRs",
      setNetwork("eu-central-1", "vpcCidr", "10.10.128.0/17"),
      'stack "us-east-1": config key platform:network.vpcCidr = "10.10.0.0/16": overlaps 10.10.128.0/17 of stack "eu-central-1"; VPC blocks must not overlap between regions',
    ],
    [
      "a CIDR that is not private",
      setNetwork("eu-central-1", "vpcCidr", "52.20.0.0/16"),
      'stack "eu-central-1": config key platform:network.vpcCidr = "52.20.0.0/16": not a private range (allowed: inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)',
    ],
    [
      "a stack the program cannot place",
      set("eu-central-1", "platform:kind", "regional"),
      'stack "eu-central-1": config key platform:kind = "regional": cannot place this stack; allowed: global, region',
    ],
    [
      "a misspelt key",
      set("eu-central-1", "platform:netwrk", {}),
      'stack "eu-central-1": config key platform:netwrk = {}: unknown setting (check its spelling against lib/config/schema.ts)',
    ],
    [
      "a home region outside the region list",
      set("global", "aws:region", "eu-west-1"),
      'stack "global": config key platform:regions = ["us-east-1","eu-central-1"]: the home region eu-west-1 (aws:region) is not in platform:regions',
    ],
    [
      "a region stack naming another global stack",
      set("us-east-1", "platform:globalStack", "organization/platform/us-east-1"),
      'stack "us-east-1": config key platform:globalStack = "organization/platform/us-east-1": must name the global stack "global"',
    ],
    [
      "a region enabling Aurora without the global database",
      set("us-east-1", "platform:aurora", { enabled: true }),
      'stack "us-east-1": config key platform:aurora.enabled = true: needs the global stack\'s Aurora global database; set platform:aurora.enabled: true in Pulumi.global.yaml',
    ],
    [
      "a secondary region enabling Aurora without the home region's primary",
      both(
        set("global", "platform:aurora", { enabled: true }),
        set("eu-central-1", "platform:aurora", { enabled: true }),
      ),
      'stack "us-east-1": config key platform:aurora.enabled = false: the home region\'s cluster is the global database\'s primary, which the secondaries of "eu-central-1" join; enable it here too',
    ],
    [
      "a log retention CloudWatch Logs would reject",
      set("eu-central-1", "platform:observability", { logRetentionDays: 100 }),
      `stack "eu-central-1": config key platform:observability.logRetentionDays = 100: not a CloudWatch Logs retention value (allowed: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)`,
    ],
    [
      "a hand-typed global database identifier (the global stack creates it now)",
      set("eu-central-1", "platform:aurora", {
        enabled: false,
        globalClusterIdentifier: "platform-global",
      }),
      'stack "eu-central-1": config key platform:aurora.globalClusterIdentifier = "platform-global": unknown setting (check its spelling against lib/config/schema.ts)',
    ],
  ])("%s", (_what, edit, message) => {
    const dir = copyProject();
    edit(dir);
    expect(() => loadProject(dir)).toThrow(ConfigError);
    expect(() => loadProject(dir)).toThrow(message);
  });

  it("a malformed YAML file names the file", () => {
    const dir = copyProject();
    fs.writeFileSync(`${dir}/Pulumi.eu-central-1.yaml`, "config:\n  aws:region: [eu-central-1\n");
    expect(() => loadProject(dir)).toThrow(
      /^stack "eu-central-1": file Pulumi.eu-central-1.yaml: malformed YAML: /,
    );
  });

  it("a cluster sized the wrong way round", () => {
    const raw = rawSettings({
      "aws:region": "us-east-1",
      "platform:kind": "region",
      "platform:globalStack": "global",
      "platform:network": JSON.stringify({ vpcCidr: "10.0.0.0/16" }),
      "platform:cluster": JSON.stringify({ minSize: 5, desiredSize: 3, maxSize: 4 }),
      "platform:dns": JSON.stringify({
        globalName: "api.example.com",
        regionalName: "r.api.example.com",
      }),
      "platform:services": JSON.stringify([{ name: "svc-a", imageTag: "1.0.0", routes: ["/a"] }]),
    });
    expect(() => parseStackConfig("us-east-1", raw)).toThrow(
      'stack "us-east-1": config key platform:cluster.desiredSize = 3: expected minSize <= desiredSize <= maxSize',
    );
  });
});

describe("Aurora across stacks", () => {
  it("loads with the global database and every region's cluster enabled", () => {
    const dir = copyProject();
    for (const stack of ["global", "us-east-1", "eu-central-1"])
      set(stack, "platform:aurora", { enabled: true })(dir);
    const project = loadProject(dir);
    expect(project.global.config.aurora).toEqual({ enabled: true, engineVersion: "16.6" });
    expect(project.regions.map((r) => [r.stack, r.config.aurora.enabled])).toEqual([
      ["eu-central-1", true],
      ["us-east-1", true],
    ]);
  });

  it("names every region that enables Aurora without the global database", () => {
    const dir = copyProject();
    for (const stack of ["us-east-1", "eu-central-1"])
      set(stack, "platform:aurora", { enabled: true })(dir);
    expect(() => loadProject(dir)).toThrow(
      [
        'stack "eu-central-1": config key platform:aurora.enabled = true: needs the global stack\'s Aurora global database; set platform:aurora.enabled: true in Pulumi.global.yaml',
        'stack "us-east-1": config key platform:aurora.enabled = true: needs the global stack\'s Aurora global database; set platform:aurora.enabled: true in Pulumi.global.yaml',
      ].join("\n"),
    );
  });
});

describe("engine settings", () => {
  it("decode JSON values and keep plain strings", () => {
    expect(
      rawSettings({
        "aws:region": "us-east-1",
        "platform:kind": "global",
        "platform:regions": '["us-east-1","eu-central-1"]',
        "platform:edge": "none",
        "other:key": "ignored",
      }),
    ).toEqual({
      region: "us-east-1",
      kind: "global",
      regions: ["us-east-1", "eu-central-1"],
      edge: "none",
    });
  });
});

describe("what-if region sets", () => {
  it("keep existing stacks and allocate free, non-overlapping blocks for new regions", () => {
    const project = whatIfProject(loadProject(PROJECT_DIR), [
      "us-east-1",
      "eu-central-1",
      "ap-southeast-2",
      "sa-east-1",
    ]);
    expect(project.global.config.regions).toEqual([
      "us-east-1",
      "eu-central-1",
      "ap-southeast-2",
      "sa-east-1",
    ]);
    expect(
      project.regions.map((r) => [r.stack, r.config.network.vpcCidr, r.config.dns.regionalName]),
    ).toEqual([
      ["eu-central-1", "10.20.0.0/16", "eu-central-1.api.platform.example.com"],
      ["us-east-1", "10.10.0.0/16", "us-east-1.api.platform.example.com"],
      ["ap-southeast-2", "10.0.0.0/16", "ap-southeast-2.api.platform.example.com"],
      ["sa-east-1", "10.1.0.0/16", "sa-east-1.api.platform.example.com"],
    ]);
  });

  it("move the home region into the set when it is not in it", () => {
    const project = whatIfProject(loadProject(PROJECT_DIR), ["eu-west-1", "eu-central-1"]);
    expect(project.global.config.region).toBe("eu-west-1");
    expect(project.regions.map((r) => r.stack)).toEqual(["eu-central-1", "eu-west-1"]);
  });
});
