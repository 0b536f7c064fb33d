import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectCaptureKind } from "../src/sources/detect";
import { type BadLine, jsonLines, parseJsonLine, readJsonLines, type JsonRecord } from "../src/sources/jsonLines";
import { transcriptInputs } from "../src/sources/transcript";
import { allRecordings, recording } from "./recordingsPath";

describe("JSON lines", () => {
  it("reads two objects written on one line with no newline between them", () => {
    const line = '{"type":"assistant","uuid":"a"}{"type":"file-history-snapshot","messageId":"b"}';
    expect(parseJsonLine(line)).toEqual({ values: [{ type: "assistant", uuid: "a" }, { type: "file-history-snapshot", messageId: "b" }], errors: [] });
  });

  it("is not fooled by braces inside strings", () => {
    const line = '{"text":"a } and a \\" {"}{"n":2}';
    expect(parseJsonLine(line).values).toEqual([{ text: 'a } and a " {' }, { n: 2 }]);
  });

  it("reports a cut-off line instead of throwing", () => {
    const { values, errors } = parseJsonLine('{"type":"result","subtype":"succ');
    expect(values).toEqual([]);
    expect(errors).toEqual(["a JSON value is cut off at the end of the line"]);
  });

  it("reports text around or between values, a value that does not parse, and a cut-off value, without quoting the line", () => {
    const secret = "sk-ant-api03-Zq8xV3tLmN0pR7sK2wYb5cH1dF4gJ6kE9uA-QiTo";
    expect(parseJsonLine(`note: {"a":1} ${secret}`)).toEqual({ values: [{ a: 1 }], errors: ["text outside a JSON object or array"] });
    expect(parseJsonLine(`{"pw": ${secret}}{"n":2}`)).toEqual({ values: [{ n: 2 }], errors: ["a JSON value that does not parse"] });
    expect(parseJsonLine(`{"pw": "${secret}`)).toEqual({ values: [], errors: ["a JSON value is cut off at the end of the line"] });
  });

  it("skips a line longer than the limit without holding it, and reads on; lines are numbered across read chunks", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claude-langfuse-lines-"));
    const file = path.join(dir, "long.jsonl");
    // 200 KB lines span the reader's 64 KiB chunks; the third is over the limit.
    const line = (n: number, size: number) => JSON.stringify({ type: "user", n, pad: "x".repeat(size) });
    fs.writeFileSync(file, [line(1, 200_000), line(2, 10), line(3, 400_000), "\r", line(5, 200_000)].join("\r\n") + "\n");
    const bad: BadLine[] = [];
    const values: unknown[] = [];
    for await (const record of jsonLines(file, (b) => bad.push(b), 300_000)) values.push([record.lineNumber, (record.value as { n: number }).n]);
    expect(values).toEqual([[1, 1], [2, 2], [5, 5]]);
    expect(bad).toEqual([{ lineNumber: 3, reason: "too-long" }]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("finds line 115 of entire-cli-5ac45bc322 holding an assistant message and a file-history snapshot", async () => {
    const records = await readJsonLines(recording("transcripts/entire-cli-5ac45bc322.jsonl"), (bad) => {
      throw new Error(`bad line ${bad.lineNumber}`);
    });
    const line115 = records.filter((r) => r.lineNumber === 115).map((r) => (r.value as { type: string }).type);
    expect(line115).toEqual(["assistant", "file-history-snapshot"]);
    expect(records).toHaveLength(242);
  });
});

describe("capture detection", () => {
  it("tells every recording's kind from its lines", async () => {
    const kinds: Record<string, string> = {};
    for (const file of allRecordings()) {
      kinds[file] = detectCaptureKind(await readJsonLines(recording(file), () => undefined));
    }
    expect(kinds).toEqual({
      "stream-json/trackgentic-stream.jsonl": "stream-json",
      "transcripts/claude-code-viewer-5c0375b4.jsonl": "transcript",
      "transcripts/claude-code-viewer-fe5e1c67.jsonl": "transcript",
      "transcripts/entire-cli-040b015eb1.jsonl": "transcript",
      "transcripts/entire-cli-5ac45bc322.jsonl": "transcript",
      "transcripts/entire-cli-60fd31fcf4.jsonl": "transcript",
    });
  });
});

describe("transcript lines", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claude-langfuse-sources-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("ties each inline sidechain to the Task call whose prompt it starts with, even when the calls run in parallel", async () => {
    const base = { userType: "external", cwd: "/repo", sessionId: "s1", version: "1.0.108", gitBranch: "main" };
    const task = (id: string, prompt: string) => ({ type: "tool_use", id, name: "Task", input: { description: prompt.slice(0, 10), prompt, subagent_type: "general-purpose" } });
    const lines = [
      { ...base, type: "user", uuid: "u1", parentUuid: null, isSidechain: false, timestamp: "2025-09-07T09:52:00.000Z", message: { role: "user", content: "Audit the repo" } },
      { ...base, type: "assistant", uuid: "a1", parentUuid: "u1", isSidechain: false, timestamp: "2025-09-07T09:52:01.000Z", message: { id: "msg_M", model: "claude-sonnet-4-20250514", role: "assistant", content: [task("toolu_A", "Check package.json")], usage: { input_tokens: 1, output_tokens: 10 } } },
      { ...base, type: "assistant", uuid: "a2", parentUuid: "a1", isSidechain: false, timestamp: "2025-09-07T09:52:02.000Z", message: { id: "msg_M", model: "claude-sonnet-4-20250514", role: "assistant", content: [task("toolu_B", "Analyze the structure")], usage: { input_tokens: 1, output_tokens: 31 } } },
      // The second call's sidechain starts first.
      { ...base, type: "user", uuid: "sB", parentUuid: null, isSidechain: true, timestamp: "2025-09-07T09:52:03.000Z", message: { role: "user", content: "Analyze the structure" } },
      { ...base, type: "user", uuid: "sA", parentUuid: null, isSidechain: true, timestamp: "2025-09-07T09:52:03.100Z", message: { role: "user", content: "Check package.json" } },
      { ...base, type: "assistant", uuid: "sA1", parentUuid: "sA", isSidechain: true, timestamp: "2025-09-07T09:52:05.000Z", message: { id: "msg_SA", model: "claude-sonnet-4-20250514", role: "assistant", content: [{ type: "text", text: "ok" }], usage: { input_tokens: 4, output_tokens: 70 } } },
      { ...base, type: "assistant", uuid: "sB1", parentUuid: "sB", isSidechain: true, timestamp: "2025-09-07T09:52:06.000Z", message: { id: "msg_SB", model: "claude-sonnet-4-20250514", role: "assistant", content: [{ type: "text", text: "ok" }], usage: { input_tokens: 4, output_tokens: 90 } } },
    ];
    const file = path.join(dir, "parallel.jsonl");
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const records: JsonRecord[] = await readJsonLines(file, () => undefined);
    const inputs = transcriptInputs(records);
    const parents = inputs.map((i) => [(i.message as { uuid?: string }).uuid, (i.message as { parent_tool_use_id?: string | null }).parent_tool_use_id]);
    expect(parents).toEqual([
      ["u1", null],
      ["a1", null],
      ["a2", null],
      ["sB", "toolu_B"],
      ["sA", "toolu_A"],
      ["sA1", "toolu_A"],
      ["sB1", "toolu_B"],
    ]);
    expect(inputs[5]!.at.toISOString()).toBe("2025-09-07T09:52:05.000Z");
    expect(inputs.every((i) => i.cliVersion === "1.0.108")).toBe(true);
  });

  it("unwraps the sub-agent messages nested in progress lines and marks them", async () => {
    const records = await readJsonLines(recording("transcripts/entire-cli-60fd31fcf4.jsonl"), () => undefined);
    const nested = transcriptInputs(records).filter((i) => i.origin === "progress");
    // Of its 64 progress lines, 43 are agent_progress (21 assistant, 22 user messages of the
    // Explore agent); the 13 hook_progress and 8 bash_progress lines carry no message.
    expect(nested).toHaveLength(43);
    expect(nested.filter((i) => i.message.type === "assistant")).toHaveLength(21);
    expect(new Set(nested.map((i) => (i.message as { parent_tool_use_id?: string }).parent_tool_use_id))).toEqual(new Set(["toolu_01Bue4NWfKq8CB3jUprqULNs"]));
  });
});
