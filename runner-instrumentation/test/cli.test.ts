import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OtlpReceiver } from "./otlpReceiver";
import { allRecordings, recording } from "./recordingsPath";

const BIN = path.resolve(__dirname, "../bin/claude-langfuse.js");

/** Runs the real bin in a child process, with only the environment given (plus PATH). */
function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
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

  it("with LANGFUSE_MASK_MESSAGES=true prints no inputs or outputs and keeps the usage", () => {
    const { code, stdout } = cli(["replay", "--dry-run", recording("stream-json/trackgentic-stream.jsonl")], { LANGFUSE_MASK_MESSAGES: "true" });
    expect(code).toBe(0);
    const observations = (JSON.parse(stdout) as { traces: PrintedTrace[] }).traces.flatMap((t) => t.observations);
    expect(observations.filter((o) => "input" in o || "output" in o)).toEqual([]);
    expect(observations.filter((o) => o.type === "generation").reduce((s, g) => s + (g.usageDetails?.output ?? 0), 0)).toBe(1_206);
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
    expect(noFiles.stderr).toContain("Usage: claude-langfuse replay [--dry-run] <file>...");
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
