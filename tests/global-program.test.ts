/** The global program from the project's own stack file: its outputs are the global contract. */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseGlobalConfig, rawSettings } from "../lib/config/parse";
import { readProjectConfig, readStackFlatConfig } from "../lib/config/project";
import { GLOBAL_OUTPUT_KEYS, globalOutputsSchema } from "../lib/contract";
import { evaluateStack } from "../plan/evaluate";
import { RecordingMonitor } from "../plan/monitor";
import { globalProgram } from "../programs/global";

const ROOT = path.resolve(__dirname, "..");

describe("globalProgram", () => {
  it("exports every contract key, and a fabric slice per configured region", async () => {
    const flat = readStackFlatConfig(ROOT, "global", readProjectConfig(ROOT));
    const config = parseGlobalConfig("global", rawSettings(flat));
    const ev = await evaluateStack({
      monitor: new RecordingMonitor(),
      stack: "global",
      config: flat,
      region: config.region,
      program: () => globalProgram(config),
    });
    expect(Object.keys(ev.outputs).sort()).toEqual([...GLOBAL_OUTPUT_KEYS].sort());
    const outputs = globalOutputsSchema.parse(ev.outputs);
    expect(outputs.regions).toEqual(config.regions);
    expect(Object.keys(outputs.fabric).sort()).toEqual([...config.regions].sort());
    for (const region of config.regions) {
      expect(outputs.fabric[region].busArn).toBe(
        `arn:aws:events:${region}:123456789012:event-bus/platform-events`,
      );
      expect(Object.keys(outputs.fabric[region].ecrRepositoryUrls).sort()).toEqual(
        config.services.map((s) => s.name).sort(),
      );
    }
  });
});
