import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OtlpReceiver } from "./otlpReceiver";
import { allRecordings, recording } from "./recordingsPath";
import { BUNDLE, STANDIN } from "./wrapperRun";

const BIN = path.resolve(__dirname, "../bin/claude-langfuse.js");

/** Runs the real bin in a child process, with only the environment given (plus PATH). */
function cli(args: string[], env: Record<string, string> = {}, entry: string[] = [process.execPath, BIN]) {
  const r = spawnSync(entry[0]!, [...entry.slice(1), ...args], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", ...env },
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface PrintedObservation {
  id: string;
  parentId?: string;
  type: string;
  name: string;
  level: string;
  startTime: string;
  endTime: string;
  model?: string;
  usageDetails?: Record<string, number>;
  input?: unknown;
  output?: unknown;
  metadata?: Record<string, unknown>;
  [key: string]: unknown;
}
interface PrintedTrace {
  id: string;
  name: string;
  sessionId?: string;
  tags: string[];
  metadata: Record<string, unknown>;
  observations: PrintedObservation[];
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const KEYS = ["id", "parentId", "type", "name", "model", "usageDetails", "costDetails", "level", "statusMessage", "startTime", "endTime", "completionStartTime", "input", "output", "metadata"];

describe("claude-langfuse replay --dry-run", () => {
  it("replays every recording into one JSON document of well-formed traces", () => {
    const files = allRecordings();
    expect(files).toHaveLength(6);
    const { code, stdout, stderr } = cli(["replay", "--dry-run", ...files.map(recording)], { AGENTIC_SESSION_NAME: "replay-check", USER_ID: "alice" });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { traces: PrintedTrace[] };
    // Turns per file: 1 (stream-json) + 1 + 2 + 2 + 4 + 2 (transcripts, split at prompts).
    expect(doc.traces).toHaveLength(12);
    for (const trace of doc.traces) {
      expect(trace.id).toMatch(/^[0-9a-f]{32}$/);
      expect(trace).toMatchObject({ name: "claude-code", sessionId: "replay-check", userId: "alice" });
      const ids = new Set(trace.observations.map((o) => o.id));
      expect(ids.size).toBe(trace.observations.length);
      expect(trace.observations.filter((o) => o.parentId === undefined)).toHaveLength(1);
      for (const o of trace.observations) {
        expect(o.id).toMatch(/^[0-9a-f]{16}$/);
        if (o.parentId !== undefined) expect(ids.has(o.parentId)).toBe(true);
        expect(["agent", "generation", "tool", "event"]).toContain(o.type);
        expect(["DEFAULT", "WARNING", "ERROR"]).toContain(o.level);
        expect(o.startTime).toMatch(ISO_UTC);
        expect(o.endTime).toMatch(ISO_UTC);
        expect(o.endTime >= o.startTime).toBe(true);
        for (const [k, v] of Object.entries(o)) {
          expect(KEYS).toContain(k);
          expect(v).not.toBeNull();
        }
      }
    }
  });

  it("prints one generation per message id with its final usage for a transcript whose ids span several lines", () => {
    const { code, stdout } = cli(["replay", "--dry-run", recording("transcripts/entire-cli-040b015eb1.jsonl")]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { traces: PrintedTrace[] };
    const gens = doc.traces.flatMap((t) => t.observations).filter((o) => o.type === "generation" && o.metadata?.usageSource === "assistant-line");
    const perId = gens.map((g) => [g.metadata?.messageId, g.usageDetails?.output]);
    expect(new Set(perId.map(([id]) => id)).size).toBe(perId.length);
    expect(perId.reduce((s, [, out]) => s + (out as number), 0)).toBe(3_281);
    // Without AGENTIC_SESSION_NAME the Claude session id groups the turns.
    expect(new Set(doc.traces.map((t) => t.sessionId))).toEqual(new Set(["559081d6-534c-40b9-afeb-5eb72cd84309"]));
  });

  it.each([["unset", {}], ["true", { LANGFUSE_MASK_MESSAGES: "true" }], ["empty", { LANGFUSE_MASK_MESSAGES: "" }]])(
    "with LANGFUSE_MASK_MESSAGES %s (masked, as the runner masks) prints no inputs or outputs and keeps the usage",
    (_, env) => {
      const { code, stdout } = cli(["replay", "--dry-run", recording("stream-json/trackgentic-stream.jsonl")], env);
      expect(code).toBe(0);
      const observations = (JSON.parse(stdout) as { traces: PrintedTrace[] }).traces.flatMap((t) => t.observations);
      expect(observations.filter((o) => "input" in o || "output" in o)).toEqual([]);
      expect(observations.filter((o) => o.type === "generation").reduce((s, g) => s + (g.usageDetails?.output ?? 0), 0)).toBe(1_206);
    },
  );

  it("with LANGFUSE_MASK_MESSAGES=false (or 0, no) prints the inputs and outputs", () => {
    for (const value of ["false", "0", "no"]) {
      const { code, stdout } = cli(["replay", "--dry-run", recording("stream-json/trackgentic-stream.jsonl")], { LANGFUSE_MASK_MESSAGES: value }, [process.execPath, BUNDLE]);
      expect(code).toBe(0);
      const observations = (JSON.parse(stdout) as { traces: PrintedTrace[] }).traces.flatMap((t) => t.observations);
      expect(observations.filter((o) => o.type === "generation" && "output" in o).length, value).toBeGreaterThan(0);
    }
  });

  it("refuses to send without keys, says why once, and exits 1; bad usage exits 2", () => {
    const noKeys = cli(["replay", recording("stream-json/trackgentic-stream.jsonl")]);
    expect(noKeys.code).toBe(1);
    expect(noKeys.stdout).toBe("");
    expect(noKeys.stderr).toBe(
      "claude-langfuse: tracing is off (LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY, LANGFUSE_BASE_URL (or LANGFUSE_HOST) are not set); nothing to send. Use --dry-run to see the traces.\n",
    );
    const noFiles = cli(["replay", "--dry-run"]);
    expect(noFiles.code).toBe(2);
    expect(noFiles.stderr).toContain("claude-langfuse: replay needs at least one file.\n\nUsage: claude-langfuse exec");
  });
});

describe("claude-langfuse replay (sending)", () => {
  const receiver = new OtlpReceiver();
  afterAll(() => receiver.stop());

  it("sends every observation of a capture to Langfuse and exits 0", async () => {
    const baseUrl = await receiver.start();
    // Asynchronously: the receiver answers from this process while the child runs.
    const child = spawn(process.execPath, [BIN, "replay", recording("stream-json/trackgentic-stream.jsonl")], {
      env: { PATH: process.env.PATH ?? "", LANGFUSE_PUBLIC_KEY: "pk-lf-replay", LANGFUSE_SECRET_KEY: "sk-lf-replay", LANGFUSE_HOST: baseUrl, USER_ID: "alice" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: "", stderr: "" });
    const spans = receiver.spans();
    // 8 calls, 11 tools, 9 API retries, the unattributed usage and the root.
    expect(spans).toHaveLength(30);
    expect(new Set(spans.map((s) => s.attributes["user.id"]))).toEqual(new Set(["alice"]));
    expect(receiver.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from("pk-lf-replay:sk-lf-replay").toString("base64")}`);
  });
});

describe("claude-langfuse replay: bad input", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claude-langfuse-replay-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  // Planted on bad lines: neither may be printed, in part or whole.
  const TOKEN = "sk-ant-api03-Zq8xV3tLmN0pR7sK2wYb5cH1dF4gJ6kE9uA-QiTo";
  const PASSWORD = "Hunter2Secret";
  const write = (name: string, text: string | Buffer) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const session = fs.readFileSync(recording("stream-json/trackgentic-stream.jsonl"), "utf8");
  const expectNoSecret = (...texts: string[]) => {
    for (const text of texts) {
      expect(text).not.toContain(TOKEN.slice(0, 16));
      expect(text).not.toContain(PASSWORD.slice(0, 7));
    }
  };
  const traces = (stdout: string) => (JSON.parse(stdout) as { traces: unknown[] }).traces.length;

  it("names bad lines by file and number only, ten at most, then counts the rest; the good lines are still traced", () => {
    const lines = session.trimEnd().split("\n");
    const bad = [`{"pw": "${PASSWORD}", "key": "${TOKEN}`, `password=${PASSWORD} ${TOKEN}`, ...Array.from({ length: 10 }, (_, i) => `not json ${i} ${TOKEN}`)];
    // Bad lines after lines 1..12 of the capture: lines 2, 4, …, 24 of the file.
    const mixed = lines.flatMap((line, i) => (i < bad.length ? [line, bad[i]!] : [line]));
    const file = write("mixed.jsonl", mixed.join("\n") + "\n");
    const { code, stdout, stderr } = cli(["replay", "--dry-run", file]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      [2, 4, 6, 8, 10, 12, 14, 16, 18, 20].map((n) => `claude-langfuse: ${file}:${n}: not JSON; line skipped\n`).join("") +
        `claude-langfuse: ${file}: 2 more lines skipped as above (12 in all)\n`,
    );
    expect(traces(stdout)).toBe(1);
    expectNoSecret(stdout, stderr);
  });

  it("does not call valid JSON of types the tracer does not read a bad line", () => {
    const extra = [
      { type: "summary", summary: "Replay of a capture", leafUuid: "4b3c1d2e-0000-4000-8000-000000000001" },
      { type: "file-history-snapshot", messageId: "4b3c1d2e-0000-4000-8000-000000000002", snapshot: {}, isSnapshotUpdate: false },
      { type: "progress", sessionId: "s", uuid: "4b3c1d2e-0000-4000-8000-000000000003", data: { type: "hook_progress" } },
      { type: "rate_limit_event", session_id: "c5c2f4c1-2b0b-4f35-8f0e-1b0f3c1d2e3f", uuid: "4b3c1d2e-0000-4000-8000-000000000004" },
    ];
    const file = write("unused-types.jsonl", session + extra.map((e) => JSON.stringify(e)).join("\n") + "\n");
    const { code, stdout, stderr } = cli(["replay", "--dry-run", file]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(traces(stdout)).toBe(1);
  });

  it("says so when a file holds no line of a Claude session: JSON of another shape, plain text, one 5 MB line", () => {
    const otherJson = write("package.json", JSON.stringify({ name: "demo", version: "1.0.0", config: { apiKey: TOKEN } }, null, 0) + "\n" + JSON.stringify({ type: "user", name: "alice" }) + "\n");
    const text = write("notes.txt", `Deploy notes\npassword: ${PASSWORD}\n`);
    const huge = write("huge.jsonl", JSON.stringify({ blob: "A".repeat(5 * 1024 * 1024), key: TOKEN }) + "\n");
    const { code, stdout, stderr } = cli(["replay", "--dry-run", otherJson, text, huge]);
    expect(code).toBe(1);
    const none = (f: string) => `claude-langfuse: ${f}: no line of a Claude session (a stream-json message or a transcript entry); nothing to replay\n`;
    expect(stderr).toBe(
      none(otherJson) +
        `claude-langfuse: ${text}:1: not JSON; line skipped\n` +
        `claude-langfuse: ${text}:2: not JSON; line skipped\n` +
        none(text) +
        none(huge),
    );
    expect(JSON.parse(stdout)).toEqual({ traces: [] });
    expectNoSecret(stdout, stderr);
  });

  it("replays a binary file with ten numbered lines and a count, and no byte of it", () => {
    const binary = fs.existsSync("/bin/ls") ? "/bin/ls" : process.execPath;
    const { code, stdout, stderr } = cli(["replay", "--dry-run", binary]);
    expect(code).toBe(1);
    const lines = stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(12);
    for (const line of lines.slice(0, 10)) expect(line).toMatch(new RegExp(`^claude-langfuse: ${binary}:\\d+: not JSON; line skipped$`));
    const [, more, all] = /^claude-langfuse: .+: (\d+) more lines skipped as above \((\d+) in all\)$/.exec(lines[10]!) ?? [];
    expect(Number(more) + 10).toBe(Number(all));
    expect(lines[11]).toBe(`claude-langfuse: ${binary}: no line of a Claude session (a stream-json message or a transcript entry); nothing to replay`);
    expect(stderr).toMatch(/^[\x20-\x7e\n]*$/);
    expect(JSON.parse(stdout)).toEqual({ traces: [] });
  });

  it("replays every file, naming each one it cannot read (missing, a directory, unreadable), and exits 1", () => {
    const good = recording("stream-json/trackgentic-stream.jsonl");
    const missing = path.join(dir, "missing.jsonl");
    const { code, stdout, stderr } = cli(["replay", "--dry-run", missing, good, dir, "/proc/self/mem", good]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `claude-langfuse: ${missing}: cannot be read: no such file\n` +
        `claude-langfuse: ${dir}: cannot be read: it is a directory\n` +
        "claude-langfuse: /proc/self/mem: cannot be read: EIO (read)\n",
    );
    expect(traces(stdout)).toBe(2);
  });

  it("exits 0 when every file is clean, 2 on bad usage", () => {
    expect(cli(["replay", "--dry-run", recording("stream-json/trackgentic-stream.jsonl")]).code).toBe(0);
    const unknown = cli(["replay", "--frobnicate", "--dry-run", recording("stream-json/trackgentic-stream.jsonl")]);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toMatch(/^claude-langfuse: unknown option --frobnicate\.\n\nUsage: claude-langfuse exec /);
    const valued = cli(["replay", "--dry-run=yes", recording("stream-json/trackgentic-stream.jsonl")]);
    expect([valued.code, valued.stderr.split("\n")[0]]).toEqual([2, "claude-langfuse: --dry-run takes no value."]);
  });

  it("takes a file whose name starts with a dash after --", () => {
    const file = write("-session.jsonl", session);
    const { code, stdout, stderr } = cli(["replay", "--dry-run", "--", file.replace(`${dir}/`, "")], {}, [process.execPath, BIN]);
    // Relative to the child's working directory, which is not `dir`: the path is named, not found.
    expect(code).toBe(1);
    expect(stderr).toBe("claude-langfuse: -session.jsonl: cannot be read: no such file\n");
    expect(traces(stdout)).toBe(0);
    const absolute = cli(["replay", "--dry-run", "--", file]);
    expect([absolute.code, absolute.stderr, traces(absolute.stdout)]).toEqual([0, "", 1]);
  });
});

describe("claude-langfuse --version", () => {
  it("prints the wrapper's own version, as the README runs it (npx from the repository)", () => {
    const { version } = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../package.json"), "utf8")) as { version: string };
    expect(cli(["--version"])).toEqual({ code: 0, stdout: `claude-langfuse ${version}\n`, stderr: "" });
    const npx = spawnSync("npx", ["claude-langfuse", "--version"], { cwd: path.resolve(__dirname, "../.."), encoding: "utf8", timeout: 30_000 });
    expect([npx.status, npx.stdout]).toEqual([0, `claude-langfuse ${version}\n`]);
  });

  it("leaves -v, and --version when invoked as claude, to the CLI", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "claude-langfuse-version-"));
    const versionFile = path.join(tmp, "version.txt");
    fs.writeFileSync(versionFile, "2.1.138 (Claude Code)\n");
    fs.symlinkSync(BIN, path.join(tmp, "claude"));
    const env = { CLAUDE_LANGFUSE_CLI: STANDIN, STANDIN_FILE: versionFile };
    expect(cli(["-v"], env)).toEqual({ code: 0, stdout: "2.1.138 (Claude Code)\n", stderr: "" });
    expect(cli(["--version"], env, [path.join(tmp, "claude")])).toEqual({ code: 0, stdout: "2.1.138 (Claude Code)\n", stderr: "" });
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
