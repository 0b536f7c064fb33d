import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OtlpReceiver } from "./otlpReceiver";
import { allRecordings, recording } from "./recordingsPath";
import { runDirect, runWrapper, STANDIN } from "./wrapperRun";

const KEYS = { LANGFUSE_PUBLIC_KEY: "pk-lf-exec-test", LANGFUSE_SECRET_KEY: "sk-lf-exec-secret-0123456789" };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "claude-langfuse-exec-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("claude-langfuse exec -- <cli>", () => {
  const receiver = new OtlpReceiver();
  let baseUrl = "";
  beforeAll(async () => {
    baseUrl = await receiver.start();
  });
  afterAll(() => receiver.stop());

  it("passes stdout through byte for byte, stderr through, exits with the CLI's code, and traces the session", async () => {
    const env = { ...KEYS, LANGFUSE_BASE_URL: baseUrl, USER_ID: "alice", AGENTIC_SESSION_NAME: "session-exec-1", STANDIN_TURNS: "2", STANDIN_EXIT: "3", STANDIN_STDERR: "standin: warming up\n" };
    const direct = await runDirect(env);
    const before = receiver.spans().length;
    const wrapped = await runWrapper(["exec", "--", process.execPath, STANDIN], { env });
    expect(wrapped.code).toBe(3);
    expect(wrapped.stdout.equals(direct.stdout)).toBe(true);
    expect(wrapped.stderr).toBe("standin: warming up\n");
    const spans = receiver.spans().slice(before).filter((s) => s.attributes["session.id"] === "session-exec-1");
    // Per turn: two calls, one tool, the output tokens only the result reports, the root.
    expect(spans).toHaveLength(10);
    expect(spans.filter((s) => s.name === "claude").map((s) => s.attributes["langfuse.observation.model.name"])).toEqual(Array(4).fill("claude-sonnet-4-5"));
    expect(spans.filter((s) => s.name === "Bash").map((s) => s.attributes["langfuse.observation.type"])).toEqual(["tool", "tool"]);
    expect(new Set(spans.map((s) => s.attributes["user.id"]))).toEqual(new Set(["alice"]));
    expect(receiver.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from(`${KEYS.LANGFUSE_PUBLIC_KEY}:${KEYS.LANGFUSE_SECRET_KEY}`).toString("base64")}`);
  });

  it.each(allRecordings().filter((f) => f.startsWith("stream-json/")))("replays %s through a stand-in: identical bytes, traced like `replay`", async (file) => {
    const env = { ...KEYS, LANGFUSE_BASE_URL: baseUrl, AGENTIC_SESSION_NAME: `rec-${path.basename(file)}`, STANDIN_FILE: recording(file) };
    const wrapped = await runWrapper(["exec", "--", process.execPath, STANDIN], { env });
    expect(wrapped.code).toBe(0);
    expect(wrapped.stdout.equals(fs.readFileSync(recording(file)))).toBe(true);
    expect(wrapped.stderr).toBe("");
    const spans = receiver.spans().filter((s) => s.attributes["session.id"] === `rec-${path.basename(file)}`);
    if (file.endsWith("trackgentic-stream.jsonl")) expect(spans).toHaveLength(30); // as `replay` sends it
    else expect(spans.length).toBeGreaterThan(0);
  });

  it("keeps bytes that are not JSON, not UTF-8, or not newline-terminated, and says once that lines were skipped", async () => {
    const file = path.join(tmp, "odd.bin");
    const init = fs.readFileSync(recording("stream-json/trackgentic-stream.jsonl")).subarray(0, 4000);
    const bytes = Buffer.concat([
      Buffer.from("plain text progress line\n"),
      init.subarray(0, init.lastIndexOf(0x0a) + 1),
      Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a]), // invalid UTF-8 and a NUL
      Buffer.from('{"type":"assistant","message":{"content":"caf\xc3\xa9 \xe2\x82\xac"}}\n', "latin1"),
      Buffer.from('{"type":"unheard_of","x":1}\n{"broken":\n'),
      Buffer.from('{"type":"result","subtype":"success","is_error":false}'), // no final newline
    ]);
    fs.writeFileSync(file, bytes);
    // A generous flush deadline: the report comes from the tracing thread, slow to start on a busy machine.
    const wrapped = await runWrapper(["exec", "--", process.execPath, STANDIN], { env: { ...KEYS, LANGFUSE_BASE_URL: baseUrl, STANDIN_FILE: file, LANGFUSE_FLUSH_TIMEOUT_MS: "20000" } });
    expect(wrapped.code).toBe(0);
    expect(wrapped.stdout.equals(bytes)).toBe(true);
    const lines = wrapped.stderr.split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^claude-langfuse: 3 stdout line\(s\) were not JSON; passed through unchanged and not traced/);
  });

  it("takes the prompt given on the command line, and text piped to stdin, as the turn's input; the arguments reach the CLI unchanged", async () => {
    const argvFile = path.join(tmp, "argv-p.json");
    const env = { ...KEYS, LANGFUSE_BASE_URL: baseUrl, LANGFUSE_MASK_MESSAGES: "false", AGENTIC_SESSION_NAME: "session-argv", STANDIN_ARGV_FILE: argvFile };
    const args = ["-p", "summarise the log", "--output-format", "stream-json", "--verbose"];
    const wrapped = await runWrapper(["exec", "--", process.execPath, STANDIN, ...args], { env, stdin: "ERROR disk full\nWARN retrying\n" });
    expect(wrapped.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(argvFile, "utf8"))).toEqual(args);
    const root = receiver.spans().find((s) => s.attributes["session.id"] === "session-argv" && s.parentSpanId === undefined);
    expect(root?.attributes["langfuse.observation.input"]).toBe("summarise the log\nERROR disk full\nWARN retrying");
  });

  it("passes stdin through to the CLI and takes the prompt written there as the turn's input", async () => {
    const env = { ...KEYS, LANGFUSE_BASE_URL: baseUrl, LANGFUSE_MASK_MESSAGES: "false", AGENTIC_SESSION_NAME: "session-stdin" };
    const prompt = `${JSON.stringify({ type: "user", message: { role: "user", content: "list the files" }, parent_tool_use_id: null, session_id: "default" })}\n`;
    const args = ["--output-format", "stream-json", "--verbose", "--input-format", "stream-json"];
    const direct = await runWrapper(args, { env, stdin: prompt, entry: [process.execPath, STANDIN] });
    const wrapped = await runWrapper(["exec", "--", process.execPath, STANDIN, ...args], { env, stdin: prompt });
    expect(wrapped.code).toBe(0);
    expect(wrapped.stdout.equals(direct.stdout)).toBe(true);
    const root = receiver.spans().find((s) => s.attributes["session.id"] === "session-stdin" && s.parentSpanId === undefined);
    expect(root?.attributes["langfuse.observation.input"]).toBe("list the files");
  });

  it("with LANGFUSE_MASK_MESSAGES unset (as in the runner, masked by default), no prompt, answer or tool output leaves the wrapper; usage and structure do", async () => {
    const env = { ...KEYS, LANGFUSE_BASE_URL: baseUrl, AGENTIC_SESSION_NAME: "session-masked" };
    const prompt = `${JSON.stringify({ type: "user", message: { role: "user", content: "summarise the incident report" }, parent_tool_use_id: null, session_id: "" })}\n`;
    const before = receiver.requests.length;
    const wrapped = await runWrapper(["exec", "--", process.execPath, STANDIN, "--output-format", "stream-json", "--verbose", "--input-format", "stream-json"], { env, stdin: prompt });
    expect(wrapped.code).toBe(0);
    const sent = receiver.requests.slice(before).filter((r) => r.spans.some((s) => s.attributes["session.id"] === "session-masked"));
    const spans = sent.flatMap((r) => r.spans);
    expect(spans).toHaveLength(5);
    expect(spans.filter((s) => s.attributes["langfuse.observation.usage_details"] !== undefined).length).toBeGreaterThan(0);
    const bodies = sent.map((r) => r.body).join("\n");
    // The prompt, the stand-in's answers, its tool call's command and the tool's output.
    const stdout = wrapped.stdout.toString("utf8");
    const texts = [...stdout.matchAll(/"text":"([^"]{8,})"/g)].map((m) => m[1]!);
    expect(texts.length).toBeGreaterThan(0);
    for (const text of ["summarise the incident report", ...texts, "ls -la", "total 8"]) expect(bodies).not.toContain(text);
    for (const s of spans) {
      expect(s.attributes["langfuse.observation.input"]).toBeUndefined();
      expect(s.attributes["langfuse.observation.output"]).toBeUndefined();
    }
  });
});
