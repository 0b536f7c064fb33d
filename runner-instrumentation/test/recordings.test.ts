import { describe, expect, it } from "vitest";
import type { Observation, ObservationEvent } from "../src/events";
import { UNATTRIBUTED_USAGE } from "../src/mapper";
import { mapCapture } from "../src/replay";
import { recording } from "./recordingsPath";

const noWarnings = (m: string) => {
  throw new Error(`unexpected warning: ${m}`);
};

async function replay(file: string) {
  return mapCapture(recording(file), {}, noWarnings);
}

const observations = (events: ObservationEvent[]) => events.map((e) => e.observation);
const generations = (events: ObservationEvent[]) => observations(events).filter((o) => o.type === "generation");
/** Generations built from the transcript's own assistant lines (main thread and inline sidechains). */
const fromAssistantLines = (events: ObservationEvent[]) =>
  generations(events).filter((g) => g.metadata?.usageSource === "assistant-line" && g.name !== UNATTRIBUTED_USAGE);
const outputTokens = (gs: Observation[]) => gs.reduce((sum, g) => sum + (g.usageDetails?.output ?? 0), 0);

describe("transcripts: one generation per message id, with the usage of its last line", () => {
  // Figures from the recordings' README ("over unique message ids (last line per id)"), and the
  // number of distinct non-synthetic message ids in each file.
  const cases = [
    { file: "transcripts/claude-code-viewer-fe5e1c67.jsonl", output: 51_933, calls: 170 },
    { file: "transcripts/claude-code-viewer-5c0375b4.jsonl", output: 3_629, calls: 20 },
    { file: "transcripts/entire-cli-60fd31fcf4.jsonl", output: 2_075, calls: 14 },
    { file: "transcripts/entire-cli-5ac45bc322.jsonl", output: 1_991, calls: 58 },
    { file: "transcripts/entire-cli-040b015eb1.jsonl", output: 3_281, calls: 7 },
  ];
  for (const { file, output, calls } of cases) {
    it(`${file}: ${calls} calls, ${output.toLocaleString("en")} output tokens`, async () => {
      const { kind, events } = await replay(file);
      expect(kind).toBe("transcript");
      const gens = fromAssistantLines(events);
      expect(gens).toHaveLength(calls);
      expect(new Set(gens.map((g) => g.metadata?.messageId)).size).toBe(calls);
      expect(outputTokens(gens)).toBe(output);
    });
  }

  it("counts the inline sub-agents of fe5e1c67 under their Task calls, not on the main thread", async () => {
    const { events } = await replay("transcripts/claude-code-viewer-fe5e1c67.jsonl");
    const obs = observations(events);
    const byId = new Map(obs.map((o) => [o.id, o]));
    const subagents = obs.filter((o) => o.type === "agent" && o.parentId !== undefined);
    expect(subagents).toHaveLength(5);
    for (const agent of subagents) {
      expect(byId.get(agent.parentId!)).toMatchObject({ type: "tool", name: "Task" });
    }
    const underSubagents = fromAssistantLines(events).filter((g) => subagents.some((a) => a.id === g.parentId));
    const roots = new Set(obs.filter((o) => o.parentId === undefined).map((o) => o.id));
    const onMainThread = fromAssistantLines(events).filter((g) => roots.has(g.parentId!));
    expect(underSubagents.length + onMainThread.length).toBe(170);
    expect(underSubagents.length).toBeGreaterThan(100);
    // 23 failing tool results in the file, each an ERROR tool observation with its error text.
    const failed = obs.filter((o) => o.type === "tool" && o.level === "ERROR");
    expect(failed).toHaveLength(23);
    for (const t of failed) expect(t.statusMessage?.length).toBeGreaterThan(0);
  });

  it("entire-cli-60fd31fcf4: the Explore sub-agent's final call gets toolUseResult.usage; the nested calls are flagged as placeholders", async () => {
    const { events } = await replay("transcripts/entire-cli-60fd31fcf4.jsonl");
    const obs = observations(events);
    const explore = obs.find((o) => o.type === "agent" && o.name === "Explore");
    expect(explore).toBeDefined();
    expect(obs.find((o) => o.id === explore!.parentId)).toMatchObject({ type: "tool", name: "Task" });
    const subGens = generations(events).filter((g) => g.parentId === explore!.id);
    const nested = subGens.filter((g) => g.metadata?.usageSource === "progress-line");
    const final = subGens.filter((g) => g.metadata?.usageSource === "toolUseResult");
    expect(nested).toHaveLength(16);
    for (const g of nested) {
      expect(g.metadata?.outputTokensPlaceholder).toBe(true);
      expect(g.model).toBe("claude-haiku-4-5-20251001");
    }
    expect(outputTokens(nested)).toBe(30);
    expect(final).toHaveLength(1);
    expect(final[0]).toMatchObject({
      model: "claude-haiku-4-5-20251001",
      usageDetails: { input: 0, output: 1_955, cache_read_input_tokens: 52_501, cache_creation_input_tokens: 279 },
    });
    expect(final[0]!.metadata?.outputTokensPlaceholder).toBeUndefined();
    // The main thread stays on its own model and its own 14 calls.
    const mainModels = new Set(fromAssistantLines(events).map((g) => g.model));
    expect([...mainModels]).toEqual(["claude-opus-4-6"]);
  });

  it("entire-cli-040b015eb1: the last line per id (3,281 output tokens), not the first (24, what ccusage counts)", async () => {
    const { events } = await replay("transcripts/entire-cli-040b015eb1.jsonl");
    const gens = fromAssistantLines(events);
    expect(outputTokens(gens)).toBe(3_281);
    expect(outputTokens(gens)).not.toBe(24);
  });

  it("entire-cli-5ac45bc322: reads both objects of line 115, skips the <synthetic> message, keeps both models", async () => {
    const { events } = await replay("transcripts/entire-cli-5ac45bc322.jsonl");
    const gens = fromAssistantLines(events);
    expect(gens.find((g) => g.metadata?.messageId === "msg_01EjR67s6AwBC7HAue8uaD2E")).toBeDefined();
    expect(gens.some((g) => g.model === "<synthetic>")).toBe(false);
    expect(gens.some((g) => g.metadata?.messageId === "27bdd892-46f8-4f0c-98ea-0bd69b0650e5")).toBe(false);
    expect(new Set(gens.map((g) => g.model))).toEqual(new Set(["claude-opus-4-5-20251101", "claude-sonnet-4-5-20250929"]));
  });
});

describe("stream-json: the result line is authoritative", () => {
  it("trackgentic-stream.jsonl: generations plus unattributed-usage equal the result's modelUsage exactly", async () => {
    const { kind, events } = await replay("stream-json/trackgentic-stream.jsonl");
    expect(kind).toBe("stream-json");
    expect(new Set(events.map((e) => e.trace.id)).size).toBe(1);
    const root = observations(events).find((o) => o.parentId === undefined)!;
    expect(root).toMatchObject({ type: "agent", level: "DEFAULT" });
    expect(root.metadata).toMatchObject({
      costUsd: 0.11545599999999999,
      numTurns: 13,
      durationMs: 138_884,
      durationApiMs: 127_427,
      modelUsage: { "glm-5.1": { inputTokens: 10_386, outputTokens: 1_206, cacheReadInputTokens: 66_752, cacheCreationInputTokens: 0 } },
    });

    const calls = generations(events).filter((g) => g.name !== UNATTRIBUTED_USAGE);
    expect(calls).toHaveLength(8);
    expect(outputTokens(calls)).toBe(292);
    for (const g of calls) expect(g.metadata?.outputTokensPlaceholder).toBe(true);

    const unattributed = generations(events).filter((g) => g.name === UNATTRIBUTED_USAGE);
    expect(unattributed).toHaveLength(1);
    expect(unattributed[0]).toMatchObject({
      model: "glm-5.1",
      parentId: root.id,
      usageDetails: { input: 1_686, output: 914, cache_read_input_tokens: 49_344, cache_creation_input_tokens: 0 },
    });
    const total = generations(events).reduce(
      (s, g) => ({
        input: s.input + g.usageDetails!.input,
        output: s.output + g.usageDetails!.output,
        cacheRead: s.cacheRead + g.usageDetails!.cache_read_input_tokens,
      }),
      { input: 0, output: 0, cacheRead: 0 },
    );
    expect(total).toEqual({ input: 10_386, output: 1_206, cacheRead: 66_752 });
  });

  it("trackgentic-stream.jsonl: one tool observation per tool_use, the two denied calls as ERROR", async () => {
    const { events } = await replay("stream-json/trackgentic-stream.jsonl");
    const tools = observations(events).filter((o) => o.type === "tool");
    expect(tools).toHaveLength(11);
    const failed = tools.filter((t) => t.level === "ERROR");
    expect(failed.map((t) => t.metadata?.toolUseId).sort()).toEqual(["call_53b3f0a3fde6441e97a76653", "call_ee6d5e0232074458b50bc8ad"]);
  });
});
