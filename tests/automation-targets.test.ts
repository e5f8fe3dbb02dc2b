/** The rollout order the automation layer derives from the stack files. */
import { describe, expect, it } from "vitest";
import { loadProject } from "../lib/config/project";
import { targetsFromProject } from "../automation/waves";
import { copyProject, editStack, PROJECT_DIR } from "./fixtures";

describe("targetsFromProject", () => {
  it("puts the home region first, then the global list's order", () => {
    const targets = targetsFromProject(loadProject(PROJECT_DIR));
    expect(targets.global).toEqual({ stack: "global", role: "global", region: "us-east-1" });
    expect(targets.regions.map((r) => r.stack)).toEqual(["us-east-1", "eu-central-1"]);
  });

  it("keeps the home region first when the list names it later", () => {
    const dir = copyProject();
    editStack(dir, "global", (c) => {
      c["platform:regions"] = ["eu-central-1", "us-east-1"];
    });
    expect(targetsFromProject(loadProject(dir)).regions.map((r) => r.stack)).toEqual([
      "us-east-1",
      "eu-central-1",
    ]);
  });
});
