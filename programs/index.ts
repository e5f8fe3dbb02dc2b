/**
 * Chooses the program for the selected stack from its `platform:kind` setting. The settings are
 * parsed once, here, before any resource is declared.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, rawSettings } from "../lib/config/parse";
import { globalProgram } from "./global";
import { regionProgram } from "./region";

export async function runProgram(): Promise<Record<string, unknown>> {
  const config = parseStackConfig(pulumi.getStack(), rawSettings(pulumi.runtime.allConfig()));
  switch (config.kind) {
    case "global":
      return globalProgram(config);
    case "region":
      return regionProgram(config);
    default: {
      const unreachable: never = config;
      throw new Error(`unplaceable stack config ${JSON.stringify(unreachable)}`);
    }
  }
}
