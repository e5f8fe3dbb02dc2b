/**
 * Chooses the program for the selected stack from its `platform:kind` setting. The settings are
 * parsed once, here, before any resource is declared. Each program's modules are loaded only for
 * its own stacks: the global stack does not load the region's (awsx, eks, kubernetes, istio),
 * which keeps the CLI's start short (`npm run bench`).
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, rawSettings } from "../lib/config/parse";

export async function runProgram(): Promise<Record<string, unknown>> {
  const config = parseStackConfig(pulumi.getStack(), rawSettings(pulumi.runtime.allConfig()));
  switch (config.kind) {
    case "global": {
      const { globalProgram } = await import("./global");
      return globalProgram(config);
    }
    case "region": {
      const { regionProgram } = await import("./region");
      return regionProgram(config);
    }
    default: {
      const unreachable: never = config;
      throw new Error(`unplaceable stack config ${JSON.stringify(unreachable)}`);
    }
  }
}
