import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OtlpReceiver } from "./otlpReceiver";
import { recording } from "./recordingsPath";
import { BUNDLE as SHIPPED, bundleIsCurrent } from "./shippedBundle";
import { runDirect, runWrapper, STANDIN } from "./wrapperRun";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "claude-langfuse-bundle-"));
/** The bundle, alone in a directory with no node_modules anywhere above it. */
const BUNDLE = path.join(tmp, "claude-langfuse.cjs");

describe("the runner-image bundle (npm run bundle)", () => {
  const receiver = new OtlpReceiver();
  let baseUrl = "";
  beforeAll(async () => {
    // Built by `npm run bundle` in the test run's global setup, from the sources as they are.
    expect(bundleIsCurrent()).toBe(true);
    fs.copyFileSync(SHIPPED, BUNDLE);
    fs.chmodSync(BUNDLE, 0o755);
    baseUrl = await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("is one file that plain node runs as the wrapper, with no node_modules", async () => {
    expect(fs.readFileSync(BUNDLE, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    const env = { LANGFUSE_PUBLIC_KEY: "pk-lf-bundle", LANGFUSE_SECRET_KEY: "sk-lf-bundle", LANGFUSE_BASE_URL: baseUrl, AGENTIC_SESSION_NAME: "bundle-session", STANDIN_EXIT: "4" };
    const direct = await runDirect(env);
    const wrapped = await runWrapper(["exec", "--", process.execPath, STANDIN], { env, entry: [process.execPath, BUNDLE] });
    expect(wrapped.code).toBe(4);
    expect(wrapped.stderr).toBe("");
    expect(wrapped.stdout.equals(direct.stdout)).toBe(true);
    const spans = receiver.spans().filter((s) => s.attributes["session.id"] === "bundle-session");
    expect(spans.map((s) => s.name).sort()).toEqual(["Bash", "claude", "claude", "claude-code", "unattributed-usage"]);
  });

  it("linked as `claude` ahead of the real CLI on PATH, runs it with the SDK's arguments", async () => {
    const wrapperDir = path.join(tmp, "wrapper-bin");
    const realDir = path.join(tmp, "real-bin");
    fs.mkdirSync(wrapperDir);
    fs.mkdirSync(realDir);
    fs.symlinkSync(BUNDLE, path.join(wrapperDir, "claude"));
    fs.symlinkSync(STANDIN, path.join(realDir, "claude"));
    const env = { PATH: [wrapperDir, realDir, process.env.PATH].join(path.delimiter), LANGFUSE_ENABLED: "false" };
    const prompt = `${JSON.stringify({ type: "user", message: { role: "user", content: "hi" }, parent_tool_use_id: null, session_id: "" })}\n`;
    const run = await runWrapper(["--output-format", "stream-json", "--verbose", "--input-format", "stream-json"], { env, stdin: prompt, entry: [path.join(wrapperDir, "claude")] });
    expect(run.code).toBe(0);
    expect(run.stdout.toString()).toContain('"type":"result"');
  });

  it("replays a recording in --dry-run as the workspace bin does", () => {
    const out = spawnSync(process.execPath, [BUNDLE, "replay", "--dry-run", recording("stream-json/trackgentic-stream.jsonl")], { cwd: tmp, encoding: "utf8", env: { PATH: process.env.PATH ?? "" }, maxBuffer: 64 * 1024 * 1024 });
    expect(out.status).toBe(0);
    const doc = JSON.parse(out.stdout) as { traces: Array<{ observations: unknown[] }> };
    expect(doc.traces).toHaveLength(1);
    expect(doc.traces[0]!.observations).toHaveLength(30); // 8 calls, 11 tools, 9 API retries, unattributed usage, root
  });
});
