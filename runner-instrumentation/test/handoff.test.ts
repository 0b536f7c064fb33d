import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readConfig } from "../src/config";

const HANDOFF = path.resolve(__dirname, "../docker/langfuse-handoff.sh");
const KEYS = { LANGFUSE_PUBLIC_KEY: "pk-lf-handoff", LANGFUSE_SECRET_KEY: "sk-lf-handoff", LANGFUSE_HOST: "http://langfuse-web.langfuse.svc.cluster.local:3000" };

/** The environment the runner's command gets from the image's hand-off script. */
function handedOff(env: Record<string, string>): Record<string, string> {
  const r = spawnSync("/bin/sh", [HANDOFF, process.execPath, "-e", "process.stdout.write(JSON.stringify(process.env))"], { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8" });
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, string>;
}

/** What the platform's Python runner checks (ambient_runner/observability.py, is_langfuse_enabled). */
const pythonTracerOn = (env: Record<string, string>) => ["1", "true", "yes"].includes((env.LANGFUSE_ENABLED ?? "").trim().toLowerCase());

describe("the runner image's hand-off: one tracer per session", () => {
  it("with LANGFUSE_ENABLED=true in the pod, the Python tracer is off and claude-langfuse is on", () => {
    const env = handedOff({ ...KEYS, LANGFUSE_ENABLED: "true" });
    expect(pythonTracerOn(env)).toBe(false);
    expect(readConfig(env).enabled).toBe(true);
  });

  it("with LANGFUSE_ENABLED=false in the pod, neither traces", () => {
    const env = handedOff({ ...KEYS, LANGFUSE_ENABLED: "false" });
    expect(pythonTracerOn(env)).toBe(false);
    expect(readConfig(env)).toMatchObject({ enabled: false, disabledReason: "CLAUDE_LANGFUSE_ENABLED is false" });
  });

  it("with no LANGFUSE_ENABLED at all, claude-langfuse traces whenever the keys are there", () => {
    const env = handedOff({ ...KEYS });
    expect(pythonTracerOn(env)).toBe(false);
    expect(readConfig(env).enabled).toBe(true);
  });
});
