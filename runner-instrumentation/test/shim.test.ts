import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveRealCli, SKIP_ENV } from "../src/shim";
import { OtlpReceiver } from "./otlpReceiver";
import { BUNDLE, runWrapper, STANDIN } from "./wrapperRun";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "claude-langfuse-shim-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function versionFile(): string {
  const file = path.join(tmp, "version.txt");
  fs.writeFileSync(file, "2.1.138 (Claude Code)\n");
  return file;
}

/** A directory holding `claude` as a symlink to `target`. */
function binDir(name: string, target: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(target, path.join(dir, "claude"));
  return dir;
}

describe("finding the real CLI", () => {
  const wrapperDir = binDir("wrapper-bin", BUNDLE);
  const realDir = binDir("real-bin", STANDIN);
  const self = path.join(wrapperDir, "claude");

  it("passes over the wrapper itself when it is linked as `claude` earlier on PATH", () => {
    const found = resolveRealCli({ env: { PATH: [wrapperDir, realDir].join(path.delimiter) }, self });
    expect(found).toEqual({ ok: true, path: path.join(realDir, "claude") });
  });

  it("passes over every wrapper named in the skip list (a wrapper copied rather than linked)", () => {
    const copyDir = path.join(tmp, "copy-bin");
    fs.mkdirSync(copyDir);
    fs.copyFileSync(BUNDLE, path.join(copyDir, "claude"));
    fs.chmodSync(path.join(copyDir, "claude"), 0o755);
    const env = { PATH: [copyDir, realDir].join(path.delimiter), [SKIP_ENV]: fs.realpathSync(path.join(copyDir, "claude")) };
    expect(resolveRealCli({ env, self: BUNDLE })).toEqual({ ok: true, path: path.join(realDir, "claude") });
  });

  it("takes CLAUDE_LANGFUSE_CLI as a path or a name, and refuses to point it at itself", () => {
    expect(resolveRealCli({ env: { CLAUDE_LANGFUSE_CLI: STANDIN, PATH: "" }, self })).toEqual({ ok: true, path: STANDIN });
    expect(resolveRealCli({ env: { CLAUDE_LANGFUSE_CLI: "claude", PATH: realDir }, self })).toEqual({ ok: true, path: path.join(realDir, "claude") });
    const loop = resolveRealCli({ env: { CLAUDE_LANGFUSE_CLI: self, PATH: "" }, self });
    expect(loop.ok).toBe(false);
  });

  it("says what to do when there is no other `claude`", () => {
    const found = resolveRealCli({ env: { PATH: wrapperDir }, self });
    expect(found).toEqual({ ok: false, message: 'no "claude" on PATH other than this wrapper; install the Claude Code CLI or set CLAUDE_LANGFUSE_CLI to its path.' });
  });
});

describe("shim mode, as the Python Agent SDK calls cli_path", () => {
  const receiver = new OtlpReceiver();
  let baseUrl = "";
  beforeAll(async () => {
    baseUrl = await receiver.start();
  });
  afterAll(() => receiver.stop());

  // What claude_agent_sdk's subprocess transport passes, in its order.
  const SDK_ARGS = ["--output-format", "stream-json", "--verbose", "--system-prompt", "", "--model", "claude-sonnet-4-5", "--permission-mode", "acceptEdits", "--include-partial-messages", "--input-format", "stream-json"];
  const prompt = `${JSON.stringify({ type: "user", session_id: "", message: { role: "user", content: "what is in this repo?" }, parent_tool_use_id: null })}\n`;

  it("runs the first other `claude` on PATH with the SDK's arguments unchanged, and traces the session", async () => {
    const wrapperDir = binDir("sdk-wrapper-bin", BUNDLE);
    const realDir = binDir("sdk-real-bin", STANDIN);
    const argvFile = path.join(tmp, "argv.json");
    const env = { PATH: [wrapperDir, realDir, process.env.PATH].join(path.delimiter), LANGFUSE_PUBLIC_KEY: "pk-lf-shim", LANGFUSE_SECRET_KEY: "sk-lf-shim", LANGFUSE_HOST: baseUrl, LANGFUSE_MASK_MESSAGES: "false", AGENTIC_SESSION_NAME: "shim-session", STANDIN_ARGV_FILE: argvFile };
    const direct = await runWrapper(SDK_ARGS, { env, stdin: prompt, entry: [process.execPath, STANDIN] });
    // Started as the Python SDK starts cli_path: the wrapper's own path, then the CLI's arguments.
    const wrapped = await runWrapper(SDK_ARGS, { env, stdin: prompt, entry: [path.join(wrapperDir, "claude")] });
    expect(wrapped.code).toBe(0);
    expect(wrapped.stderr).toBe("");
    expect(wrapped.stdout.equals(direct.stdout)).toBe(true);
    expect(JSON.parse(fs.readFileSync(argvFile, "utf8"))).toEqual(SDK_ARGS);
    const spans = receiver.spans().filter((s) => s.attributes["session.id"] === "shim-session");
    expect(spans.filter((s) => s.parentSpanId === undefined).map((s) => s.attributes["langfuse.observation.input"])).toEqual(["what is in this repo?"]);
  });

  it("installed as claude-langfuse (cli_path), takes the CLI from CLAUDE_LANGFUSE_CLI", async () => {
    const argvFile = path.join(tmp, "argv2.json");
    const env = { CLAUDE_LANGFUSE_CLI: STANDIN, STANDIN_ARGV_FILE: argvFile, LANGFUSE_ENABLED: "false" };
    const wrapped = await runWrapper(SDK_ARGS, { env, stdin: prompt });
    expect(wrapped.code).toBe(0);
    expect(wrapped.stdout.toString()).toContain('"type":"result"');
    expect(JSON.parse(fs.readFileSync(argvFile, "utf8"))).toEqual(SDK_ARGS);
  });

  it("passes the SDK's version check (`-v`) straight through, with nothing on stderr", async () => {
    const before = receiver.spans().length;
    const env = { CLAUDE_LANGFUSE_CLI: STANDIN, LANGFUSE_PUBLIC_KEY: "pk-lf-shim", LANGFUSE_SECRET_KEY: "sk-lf-shim", LANGFUSE_HOST: baseUrl, STANDIN_FILE: versionFile() };
    const run = await runWrapper(["-v"], { env });
    expect(run.code).toBe(0);
    expect(run.stdout.toString()).toBe("2.1.138 (Claude Code)\n");
    expect(run.stderr).toBe("");
    expect(receiver.spans().length).toBe(before);
  });

  it("a wrapper started by a wrapper passes through without tracing a second time", async () => {
    const before = receiver.spans().length;
    const env = { CLAUDE_LANGFUSE_CLI: STANDIN, LANGFUSE_PUBLIC_KEY: "pk-lf-shim", LANGFUSE_SECRET_KEY: "sk-lf-shim", LANGFUSE_HOST: baseUrl, LANGFUSE_MASK_MESSAGES: "false", AGENTIC_SESSION_NAME: "nested" };
    const wrapped = await runWrapper(["exec", "--", process.execPath, BUNDLE, ...SDK_ARGS], { env, stdin: prompt });
    expect(wrapped.code).toBe(0);
    const spans = receiver.spans().slice(before).filter((s) => s.attributes["session.id"] === "nested");
    // One trace, the outer wrapper's, which also saw the prompt on stdin.
    expect(spans.filter((s) => s.parentSpanId === undefined).map((s) => s.attributes["langfuse.observation.input"])).toEqual(["what is in this repo?"]);
  });
});
