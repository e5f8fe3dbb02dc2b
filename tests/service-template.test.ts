/** The service template answers the probes the Deployment and the regional health check use. */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIVENESS_PATH, READINESS_PATH } from "../components/mesh/workload";

const PORT = 18_000 + Math.floor(Math.random() * 1000);

describe("services/template", () => {
  const child = spawn(
    process.execPath,
    [path.join(__dirname, "..", "services", "template", "server.mjs")],
    {
      env: {
        ...process.env,
        PORT: String(PORT),
        SERVICE: "svc-a",
        PLATFORM_REGION: "eu-central-1",
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  beforeAll(async () => {
    await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
  });
  afterAll(() => {
    child.kill("SIGKILL");
  });

  it.each([LIVENESS_PATH, READINESS_PATH])("answers %s with 200", async (probe) => {
    const res = await fetch(`http://127.0.0.1:${PORT}${probe}`);
    expect(res.status).toBe(200);
  });

  it("says which service and region answered", async () => {
    const res = await fetch(`http://127.0.0.1:${PORT}/a/items`);
    expect(await res.json()).toEqual({
      service: "svc-a",
      region: "eu-central-1",
      path: "/a/items",
    });
  });
});
