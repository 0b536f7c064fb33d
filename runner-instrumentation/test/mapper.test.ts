import { describe, expect, it } from "vitest";
import type { Observation, ObservationEvent } from "../src/events";
import { sequentialIds } from "../src/ids";
import { createMapper, UNATTRIBUTED_USAGE, type MapperInput, type MapperOptions } from "../src/mapper";
import { STREAM_MAPPING } from "../src/sources/streamJson";
import { TRANSCRIPT_MAPPING } from "../src/sources/transcript";
import {
  apiRetry,
  assistant,
  at,
  HAIKU,
  init,
  prompt,
  result,
  SESSION,
  SONNET,
  SONNET_ALIAS,
  streamEvent,
  text,
  thinking,
  timed,
  toolResult,
  toolUse,
  usage,
} from "./claudeSession";

function run(inputs: MapperInput[], options: Partial<MapperOptions> = {}): ObservationEvent[] {
  const mapper = createMapper({ ...STREAM_MAPPING, ids: sequentialIds(), ...options });
  const events: ObservationEvent[] = [];
  for (const input of inputs) events.push(...mapper.push(input));
  events.push(...mapper.end());
  return events;
}

const obs = (events: ObservationEvent[]) => events.map((e) => e.observation);
const ofType = (events: ObservationEvent[], type: Observation["type"]) => obs(events).filter((o) => o.type === type);
const rootOf = (events: ObservationEvent[]) => obs(events).filter((o) => o.parentId === undefined);

describe("generations", () => {
  it("makes one generation per message id from the lines of a transcript, with the last line's usage", () => {
    const events = run(
      timed([
        [0, prompt("Add a --json flag to the status command")],
        [3, assistant("msg_01A", [thinking("The status command lives in cmd/status.go.")], usage(3, 8, 14_210, 2_034))],
        [4, assistant("msg_01A", [text("I'll read the command first.")], usage(3, 8, 14_210, 2_034))],
        [5, assistant("msg_01A", [toolUse("toolu_01R", "Read", { file_path: "/repo/cmd/status.go" })], usage(3, 187, 14_210, 2_034))],
        [5.1, toolResult("toolu_01R", "package cmd\n\nfunc status() {}")],
        [9, assistant("msg_01B", [text("Added the flag.")], usage(1, 96, 16_244, 512))],
      ]),
      TRANSCRIPT_MAPPING,
    );
    const gens = ofType(events, "generation");
    expect(gens).toHaveLength(2);
    expect(gens[0]).toMatchObject({
      name: "claude",
      model: SONNET,
      usageDetails: { input: 3, output: 187, cache_read_input_tokens: 14_210, cache_creation_input_tokens: 2_034 },
      startTime: at(0),
      endTime: at(5),
      output: {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "The status command lives in cmd/status.go." },
          { type: "text", text: "I'll read the command first." },
          { type: "tool_use", id: "toolu_01R", name: "Read" },
        ],
      },
      metadata: { messageId: "msg_01A", usageSource: "assistant-line" },
    });
    expect(gens[0]!.metadata?.outputTokensPlaceholder).toBeUndefined();
    // The second call was sent when the tool result came back.
    expect(gens[1]).toMatchObject({ usageDetails: { output: 96 }, startTime: at(5.1), endTime: at(9) });
    // The result's content is the Read tool's output; the next call's input points at it.
    const read = events.map((e) => e.observation).find((o) => o.type === "tool" && o.name === "Read")!;
    expect(read.output).toBe("package cmd\n\nfunc status() {}");
    expect(gens[1]!.input).toEqual([{ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01R", content: `[output of tool observation ${read.id}]`, is_error: false }] }]);
    expect(Object.keys(gens[0]!.usageDetails!).sort()).toEqual(["cache_creation_input_tokens", "cache_read_input_tokens", "input", "output"]);
  });

  it("keeps a tool result's content in the next call's input when no tool observation holds it", () => {
    const events = run(
      timed([
        [0, prompt("Go on")],
        [1, toolResult("toolu_unseen", "output of a call this stream never showed")],
        [2, assistant("msg_01C", [text("Done.")], usage(1, 5, 100, 0))],
      ]),
      TRANSCRIPT_MAPPING,
    );
    const gens = ofType(events, "generation");
    expect(ofType(events, "tool")).toHaveLength(0);
    expect(gens[0]!.input).toEqual([
      { role: "user", content: "Go on" },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_unseen", content: "output of a call this stream never showed", is_error: false }] },
    ]);
  });

  it("takes the final usage from message_start and message_delta when partial messages are on", () => {
    const events = run(
      timed([
        [0, init()],
        [1, streamEvent({ type: "message_start", message: { id: "msg_01S", model: SONNET, role: "assistant", content: [], usage: usage(5, 1, 20_480, 1_200) } })],
        [1.4, streamEvent({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } })],
        [1.5, streamEvent({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Tests pass." } })],
        [2, assistant("msg_01S", [text("Tests pass.")], usage(5, 1, 20_480, 1_200))],
        [2.1, streamEvent({ type: "content_block_stop", index: 0 })],
        [2.2, streamEvent({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 412 } })],
        [2.3, streamEvent({ type: "message_stop" })],
        [2.4, result({ cost: 0.0151, numTurns: 1, durationMs: 2_400, durationApiMs: 2_100, modelUsage: { [SONNET]: { inputTokens: 5, outputTokens: 412, cacheReadInputTokens: 20_480, cacheCreationInputTokens: 1_200, costUSD: 0.0151 } } })],
      ]),
    );
    const gens = ofType(events, "generation");
    expect(gens).toHaveLength(1); // the result adds nothing: the stream events were exact
    expect(gens[0]).toMatchObject({
      usageDetails: { input: 5, output: 412, cache_read_input_tokens: 20_480, cache_creation_input_tokens: 1_200 },
      completionStartTime: at(1.4),
      endTime: at(2.3),
      output: { role: "assistant", content: [{ type: "text", text: "Tests pass." }] },
      metadata: { messageId: "msg_01S", usageSource: "stream-events", stopReason: "end_turn" },
    });
    expect(gens[0]!.metadata?.outputTokensPlaceholder).toBeUndefined();
  });

  it("does not repeat a block that a later line of the same message carries again", () => {
    const events = run(
      timed([
        [0, prompt("Summarise")],
        [1, assistant("msg_01D", [text("Summary: all green.")], usage(3, 5, 100, 0))],
        [2, assistant("msg_01D", [text("Summary: all green."), toolUse("toolu_01Z", "Read", { file_path: "/a" })], usage(3, 44, 100, 0))],
      ]),
      TRANSCRIPT_MAPPING,
    );
    const [gen] = ofType(events, "generation");
    expect((gen!.output as { content: unknown[] }).content).toEqual([text("Summary: all green."), toolUse("toolu_01Z", "Read", { file_path: "/a" })]);
    expect(gen!.usageDetails!.output).toBe(44);
    expect(ofType(events, "tool")).toHaveLength(1);
  });

  it("marks stream-json assistant usage as a placeholder when there are no partial-message events", () => {
    const events = run(timed([[0, init()], [1, assistant("msg_01P", [text("Hi")], usage(4, 2, 9_000, 0))]]));
    expect(ofType(events, "generation")[0]!.metadata).toMatchObject({ usageSource: "assistant-line", outputTokensPlaceholder: true });
  });

  it("never makes a generation of a <synthetic> message", () => {
    const events = run(
      timed([[0, prompt("hello")], [1, assistant("27bdd892-46f8-4f0c-98ea-0bd69b0650e5", [text("No response requested.")], usage(0, 0), { model: "<synthetic>" })]]),
      TRANSCRIPT_MAPPING,
    );
    expect(ofType(events, "generation")).toEqual([]);
  });
});

describe("tools and sub-agents", () => {
  it("ends a tool at its result, as ERROR with the error text when the result is an error", () => {
    const events = run(
      timed([
        [0, init()],
        [1, assistant("msg_01T", [toolUse("toolu_01X", "Bash", { command: "npm test" })], usage(3, 40, 9_000, 100))],
        [7, toolResult("toolu_01X", "Exit code 1\nnpm ERR! Test failed.", { isError: true })],
      ]),
    );
    const [tool] = ofType(events, "tool");
    expect(tool).toMatchObject({
      name: "Bash",
      level: "ERROR",
      statusMessage: "Exit code 1\nnpm ERR! Test failed.",
      startTime: at(1),
      endTime: at(7),
      input: { command: "npm test" },
      output: "Exit code 1\nnpm ERR! Test failed.",
      parentId: rootOf(events)[0]!.id,
    });
  });

  it("nests a sub-agent as an agent observation under its Agent tool call, holding its own calls and tools", () => {
    const events = run(
      timed([
        [0, init()],
        [1, assistant("msg_01M", [toolUse("toolu_01AG", "Agent", { description: "Find the flag parser", prompt: "Where are CLI flags parsed?", subagent_type: "Explore" })], usage(3, 120, 15_000, 900))],
        [2, prompt("Where are CLI flags parsed?", "toolu_01AG")],
        [3, assistant("msg_01H1", [toolUse("toolu_01GR", "Grep", { pattern: "flag\\.Parse" })], usage(12, 30, 0, 4_100), { parent: "toolu_01AG", model: HAIKU })],
        [3.5, toolResult("toolu_01GR", "cmd/root.go:42: flag.Parse()", { parent: "toolu_01AG" })],
        [5, assistant("msg_01H2", [text("Flags are parsed in cmd/root.go line 42.")], usage(8, 61, 4_100, 150), { parent: "toolu_01AG", model: HAIKU })],
        [6, toolResult("toolu_01AG", "Flags are parsed in cmd/root.go line 42.")],
        [8, assistant("msg_01N", [text("Found it.")], usage(2, 15, 16_000, 300))],
      ]),
    );
    const all = obs(events);
    const root = rootOf(events)[0]!;
    const agentTool = all.find((o) => o.type === "tool" && o.name === "Agent")!;
    const sub = all.find((o) => o.type === "agent" && o.parentId !== undefined)!;
    expect(agentTool.parentId).toBe(root.id);
    expect(sub).toMatchObject({ name: "Explore", parentId: agentTool.id, input: "Where are CLI flags parsed?", startTime: at(1), endTime: at(6) });
    // agentModel, not model: Langfuse's newer write mode lets the trace's `model` overwrite it.
    expect(sub.metadata).toMatchObject({ description: "Find the flag parser", agentModel: HAIKU });
    expect(sub.metadata).not.toHaveProperty("model");
    const subGens = all.filter((o) => o.type === "generation" && o.parentId === sub.id);
    expect(subGens.map((g) => [g.model, g.usageDetails?.output])).toEqual([
      [HAIKU, 30],
      [HAIKU, 61],
    ]);
    expect(all.find((o) => o.name === "Grep")!.parentId).toBe(sub.id);
    const mainGens = all.filter((o) => o.type === "generation" && o.parentId === root.id);
    expect(mainGens.map((g) => g.metadata?.messageId)).toEqual(["msg_01M", "msg_01N"]);
  });

  it("keeps a background sub-agent open past its launch until its task ends, and the CLI's next run and second result in the same turn", () => {
    // CLI 2.1.332's stream for `-p` with a sub-agent in the background (its default).
    const task = (subtype: string, fields: Record<string, unknown>) => ({ type: "system", subtype, session_id: SESSION, ...fields }) as never;
    const totals = { inputTokens: 30, outputTokens: 271, cacheReadInputTokens: 71_400, cacheCreationInputTokens: 17_922, costUSD: 0.0928 };
    const events = run(
      timed([
        [0, init()],
        [1, assistant("msg_BG1", [toolUse("toolu_BG", "Agent", { description: "Count the files", prompt: "Count the files.", subagent_type: "general-purpose" })], usage(4, 1, 0, 16_000))],
        [1.1, task("task_started", { tool_use_id: "toolu_BG", is_backgrounded: true, task_type: "local_agent" })],
        [1.2, toolResult("toolu_BG", "Async agent launched successfully.")],
        [2, assistant("msg_BG2", [text("Waiting for the sub-agent.")], usage(5, 1, 16_200, 446))],
        [3, assistant("msg_BG3", [toolUse("toolu_BGB", "Bash", { command: "ls" })], usage(6, 1, 17_300, 469), { parent: "toolu_BG" })],
        [3.5, toolResult("toolu_BGB", "README.md", { parent: "toolu_BG" })],
        [4, assistant("msg_BG4", [text("There are 2 files.")], usage(7, 1, 18_400, 492), { parent: "toolu_BG" })],
        [4.5, task("task_notification", { tool_use_id: "toolu_BG", status: "completed", summary: "There are 2 files." })],
        [5, init()],
        [6, assistant("msg_BG5", [text("The sub-agent counted 2 files.")], usage(8, 1, 19_500, 515))],
        [7, result({ cost: 0.0928, numTurns: 2, durationMs: 7_000, durationApiMs: 440, modelUsage: { [SONNET]: totals }, text: "Waiting for the sub-agent." })],
        [7, result({ cost: 0.0928, numTurns: 1, durationMs: 1_000, durationApiMs: 440, modelUsage: { [SONNET]: totals }, text: "The sub-agent counted 2 files." })],
      ]),
    );
    const roots = rootOf(events);
    expect(roots.map((r) => r.level)).toEqual(["DEFAULT"]);
    const all = obs(events);
    const agentTool = all.find((o) => o.name === "Agent")!;
    const sub = all.find((o) => o.type === "agent" && o.parentId === agentTool.id)!;
    expect(sub).toMatchObject({ name: "general-purpose", startTime: at(1), endTime: at(4.5), output: "There are 2 files." });
    expect(all.filter((o) => o.type === "generation" && o.parentId === sub.id).map((g) => g.metadata?.messageId)).toEqual(["msg_BG3", "msg_BG4"]);
    expect(all.filter((o) => o.name === "Bash").map((o) => o.parentId)).toEqual([sub.id]);
    // Five calls with placeholder output, the rest of the output reconciled once.
    expect(all.filter((o) => o.name === UNATTRIBUTED_USAGE).map((o) => o.usageDetails)).toEqual([{ input: 0, output: 266, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }]);
  });

  it("gives a nested sub-agent's final call the tool result's usage, flagging the nested calls as placeholders", () => {
    const mapper = createMapper({ ...TRANSCRIPT_MAPPING, ids: sequentialIds() });
    const events: ObservationEvent[] = [];
    const push = (s: number, message: MapperInput["message"], origin: MapperInput["origin"] = "line") => events.push(...mapper.push({ message, at: at(s), origin }));
    push(0, prompt("Review the diff"));
    push(1, assistant("msg_01MAIN", [toolUse("toolu_01TK", "Task", { description: "Review", prompt: "Review the diff", subagent_type: "Explore" })], usage(3, 150, 12_000, 400)));
    push(2, assistant("msg_01N1", [toolUse("toolu_01B1", "Bash", { command: "git diff" })], usage(3, 1, 9_242, 8_233), { parent: "toolu_01TK", model: HAIKU }), "progress");
    push(3, toolResult("toolu_01B1", "diff --git a/x b/x", { parent: "toolu_01TK" }), "progress");
    push(9, toolResult("toolu_01TK", "Looks good.", { toolUseResult: { status: "completed", agentId: "a1f8104", content: [{ type: "text", text: "Looks good." }], totalTokens: 18_000, usage: usage(0, 640, 17_475, 310) } }));
    events.push(...mapper.end());
    const sub = obs(events).find((o) => o.type === "agent" && o.name === "Explore")!;
    const gens = obs(events).filter((o) => o.type === "generation" && o.parentId === sub.id);
    expect(gens.map((g) => [g.metadata?.usageSource, g.usageDetails?.output, g.metadata?.outputTokensPlaceholder])).toEqual([
      ["progress-line", 1, true],
      ["toolUseResult", 640, undefined],
    ]);
    expect(gens[1]).toMatchObject({ model: HAIKU, startTime: at(3), endTime: at(9), output: { role: "assistant", content: [{ type: "text", text: "Looks good." }] } });
    expect(sub.metadata).toMatchObject({ agentId: "a1f8104", totalTokens: 18_000 });
  });
});

describe("turns and the result", () => {
  const sonnetTotals = (input: number, output: number, cacheRead: number, cacheCreation: number, cost: number) => ({
    inputTokens: input,
    outputTokens: output,
    cacheReadInputTokens: cacheRead,
    cacheCreationInputTokens: cacheCreation,
    costUSD: cost,
  });

  it("turns the cumulative results of a multi-turn session into per-turn figures, one trace per turn in one session", () => {
    const events = run(
      timed([
        [0, init()],
        [1, assistant("msg_T1", [text("Reading the repo.")], usage(10, 300, 20_000, 3_000))],
        [2, result({ cost: 0.05, numTurns: 2, durationMs: 8_000, durationApiMs: 6_000, modelUsage: { [SONNET]: sonnetTotals(10, 300, 20_000, 3_000, 0.05) } })],
        [10, assistant("msg_T2", [text("Done.")], usage(4, 120, 23_000, 0))],
        // As CLI 2.1.332 reports a second turn: num_turns and duration_ms of this run alone.
        [11, result({ cost: 0.08, numTurns: 1, durationMs: 4_000, durationApiMs: 9_000, modelUsage: { [SONNET]: sonnetTotals(14, 420, 43_000, 3_000, 0.08) } })],
      ]),
      { sessionName: "fix-login-bug-7x2k", userId: "alice", project: "team-payments" },
    );
    const roots = rootOf(events);
    expect(roots).toHaveLength(2);
    const traces = new Map(events.map((e) => [e.trace.id, e.trace]));
    expect(traces.size).toBe(2);
    for (const trace of traces.values()) {
      expect(trace).toMatchObject({ sessionId: "fix-login-bug-7x2k", userId: "alice", tags: ["claude-code", "project:team-payments", `model:${SONNET}`] });
      expect(trace.metadata).toMatchObject({ project: "team-payments", model: SONNET, claudeSessionId: SESSION, cliVersion: "2.1.41" });
    }
    expect(roots[0]!.metadata).toMatchObject({ costUsd: 0.05, numTurns: 2, durationMs: 8_000, durationApiMs: 6_000 });
    const second = roots[1]!.metadata!;
    expect(second.costUsd).toBeCloseTo(0.03, 12);
    expect(second).toMatchObject({
      numTurns: 1,
      durationMs: 4_000,
      durationApiMs: 3_000,
      modelUsage: { [SONNET]: { inputTokens: 4, outputTokens: 120, cacheReadInputTokens: 23_000, cacheCreationInputTokens: 0 } },
    });
    // Each turn's generations match its share exactly: nothing unattributed.
    expect(obs(events).filter((o) => o.name === UNATTRIBUTED_USAGE)).toEqual([]);
  });

  it("adds one unattributed-usage generation per model for what modelUsage reports beyond the generations", () => {
    const events = run(
      timed([
        [0, init()],
        [1, assistant("msg_U1", [text("Working.")], usage(6, 3, 18_000, 2_000))],
        [
          30,
          result({
            cost: 0.0412,
            numTurns: 1,
            durationMs: 30_000,
            durationApiMs: 25_000,
            modelUsage: {
              [SONNET]: sonnetTotals(6, 1_450, 18_000, 2_000, 0.0401),
              [HAIKU]: sonnetTotals(620, 48, 0, 0, 0.0011),
            },
          }),
        ],
      ]),
    );
    const root = rootOf(events)[0]!;
    const unattributed = obs(events).filter((o) => o.name === UNATTRIBUTED_USAGE);
    expect(unattributed.map((o) => [o.model, o.usageDetails, o.parentId])).toEqual([
      [SONNET, { input: 0, output: 1_447, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }, root.id],
      [HAIKU, { input: 620, output: 48, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }, root.id],
    ]);
    expect(obs(events).some((o) => o.costDetails !== undefined)).toBe(false);
  });

  it("with sendCost, spreads each model's CLI cost over its generations by price weight, unattributed usage included", () => {
    const events = run(
      timed([
        [0, init()],
        [1, assistant("msg_C1", [text("a")], usage(100, 200, 0, 0))], // weight 100 + 5 × 200 = 1,100
        [2, assistant("msg_C2", [text("b")], usage(300, 100, 0, 0))], // weight 300 + 5 × 100 = 800
        // modelUsage has 50 more output tokens than the calls: weight 250, unattributed.
        [3, result({ cost: 0.0215, numTurns: 2, durationMs: 3_000, durationApiMs: 2_000, modelUsage: { [SONNET]: sonnetTotals(400, 350, 0, 0, 0.0215) } })],
      ]),
      { sendCost: true },
    );
    const gens = ofType(events, "generation");
    expect(gens.map((g) => g.name)).toEqual(["claude", "claude", UNATTRIBUTED_USAGE]);
    const costs = gens.map((g) => g.costDetails!.total!);
    expect(costs[0]).toBeCloseTo(0.011, 12);
    expect(costs[1]).toBeCloseTo(0.008, 12);
    expect(costs[2]).toBeCloseTo(0.0025, 12);
    expect(costs.reduce((a, b) => a + b, 0)).toBeCloseTo(0.0215, 12);
    // The same turn without sendCost: no cost anywhere, Langfuse prices the usage.
    const unpriced = run(timed([[0, init()], [1, assistant("msg_C1", [text("a")], usage(100, 200, 0, 0))], [3, result({ cost: 0.011, numTurns: 1, durationMs: 1, durationApiMs: 1, modelUsage: { [SONNET]: sonnetTotals(100, 200, 0, 0, 0.011) } })]]));
    expect(obs(unpriced).filter((o) => o.costDetails !== undefined)).toEqual([]);
  });

  it("marks the root ERROR when the result is an error", () => {
    const events = run(
      timed([
        [0, init()],
        [1, assistant("msg_E1", [text("Still going.")], usage(3, 5, 1_000, 0))],
        [2, result({ subtype: "error_max_turns", isError: true, cost: 0.01, numTurns: 30, durationMs: 90_000, durationApiMs: 80_000, modelUsage: {} })],
      ]),
    );
    expect(rootOf(events)[0]).toMatchObject({ level: "ERROR", statusMessage: "error_max_turns", type: "agent", name: "claude-code" });
  });

  it("marks a stream-json run that stops before its result as incomplete, also when a new run starts in the same file", () => {
    const events = run(
      timed([
        [0, init()],
        [1, assistant("msg_R1", [toolUse("toolu_01W", "Write", { file_path: "/repo/a.go" })], usage(3, 80, 5_000, 0))],
        [5, init()],
        [6, assistant("msg_R2", [text("Second run.")], usage(3, 8, 5_000, 0))],
        [7, result({ cost: 0.002, numTurns: 1, durationMs: 1_000, durationApiMs: 900, modelUsage: { [SONNET]: sonnetTotals(3, 8, 5_000, 0, 0.002) } })],
      ]),
    );
    const roots = rootOf(events);
    expect(roots.map((r) => [r.level, r.statusMessage])).toEqual([
      ["ERROR", "incomplete: the run ended without a result message"],
      ["DEFAULT", undefined],
    ]);
    expect(obs(events).find((o) => o.name === "Write")).toMatchObject({ level: "WARNING", endTime: at(1) });
  });

  it("splits a transcript into turns at prompts, and a turn without a result is not an error", () => {
    const events = run(
      timed([
        [0, prompt("<command-name>/clear</command-name>")],
        [0.5, prompt("Fix the failing test")],
        [3, assistant("msg_P1", [text("Fixed.")], usage(3, 20, 9_000, 0))],
        [60, prompt("commit")],
        [62, assistant("msg_P2", [text("Committed.")], usage(3, 12, 9_100, 0))],
      ]),
      TRANSCRIPT_MAPPING,
    );
    const roots = rootOf(events);
    expect(roots.map((r) => [r.level, r.input, r.output, r.startTime, r.endTime])).toEqual([
      ["DEFAULT", ["<command-name>/clear</command-name>", "Fix the failing test"], "Fixed.", at(0), at(3)],
      ["DEFAULT", "commit", "Committed.", at(60), at(62)],
    ]);
  });

  it("writes ids as OpenTelemetry does and parents every observation inside its own trace", () => {
    const events = run(
      timed([
        [0, init()],
        [1, assistant("msg_I1", [toolUse("toolu_01I", "Read", { file_path: "/a" })], usage(1, 2, 3, 4))],
        [2, toolResult("toolu_01I", "x")],
        [3, result({ cost: 0, numTurns: 1, durationMs: 1, durationApiMs: 1, modelUsage: {} })],
      ]),
      { ids: undefined },
    );
    const ids = new Set(obs(events).map((o) => o.id));
    for (const { trace, observation } of events) {
      expect(trace.id).toMatch(/^[0-9a-f]{32}$/);
      expect(observation.id).toMatch(/^[0-9a-f]{16}$/);
      if (observation.parentId) expect(ids.has(observation.parentId)).toBe(true);
    }
    expect(rootOf(events)).toHaveLength(1);
  });
});

describe("the CLI's names, retries and the order observations leave in", () => {
  const totals = (input: number, output: number, cacheRead: number, cacheCreation: number, cost: number) => ({
    inputTokens: input,
    outputTokens: output,
    cacheReadInputTokens: cacheRead,
    cacheCreationInputTokens: cacheCreation,
    costUSD: cost,
  });
  /** Stream events of one call as the CLI writes them with --include-partial-messages, around its assistant line. */
  const partialCall = (start: number, id: string, u: ReturnType<typeof usage>, output: number, blocks: Array<Record<string, unknown>>): Array<[number, ReturnType<typeof streamEvent>]> => [
    [start, streamEvent({ type: "message_start", message: { id, model: SONNET, role: "assistant", content: [], usage: { ...u, output_tokens: 1 } } })],
    [start + 0.1, streamEvent({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } })],
    [start + 0.2, assistant(id, blocks, { ...u, output_tokens: 1 })],
    [start + 0.3, streamEvent({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { ...u, output_tokens: output } })],
    [start + 0.4, streamEvent({ type: "message_stop" })],
  ];

  it("counts every token once when modelUsage is keyed by the alias and the generations by the dated id", () => {
    // Without partial messages: the generations' output counts are placeholders (1 each).
    const events = run(
      timed([
        [0, init(SONNET_ALIAS)],
        [1, assistant("msg_A1", [toolUse("toolu_A1", "Bash", { command: "ls" })], usage(4, 1, 0, 16_000))],
        [2, toolResult("toolu_A1", "README.md")],
        [3, assistant("msg_A2", [text("One file.")], usage(5, 1, 16_200, 446))],
        [4, result({ cost: 0.0677, numTurns: 2, durationMs: 4_000, durationApiMs: 3_000, modelUsage: { [SONNET_ALIAS]: totals(9, 80, 16_200, 16_446, 0.0677) } })],
      ]),
    );
    const gens = ofType(events, "generation");
    expect(gens.map((g) => [g.name, g.model, g.usageDetails])).toEqual([
      ["claude", SONNET, usage4(4, 1, 0, 16_000)],
      ["claude", SONNET, usage4(5, 1, 16_200, 446)],
      [UNATTRIBUTED_USAGE, SONNET, usage4(0, 78, 0, 0)],
    ]);
    expect(gens[2]!.metadata).toMatchObject({ modelUsageKey: SONNET_ALIAS });
    expect(sumUsage(gens)).toEqual(usage4(9, 80, 16_200, 16_446));
    // The trace is tagged with the model the CLI was given.
    expect(events[0]!.trace.tags).toContain(`model:${SONNET_ALIAS}`);
  });

  it("adds nothing when partial messages carry every call's final usage, whatever the key's suffix", () => {
    const events = run(
      timed([
        [0, init(`${SONNET_ALIAS}[1m]`)],
        ...partialCall(1, "msg_B1", usage(4, 0, 0, 16_000), 42, [text("Hello.")]),
        [2, result({ cost: 0.06, numTurns: 1, durationMs: 2_000, durationApiMs: 1_500, modelUsage: { [`${SONNET_ALIAS}[1m]`]: totals(4, 42, 0, 16_000, 0.06) } })],
      ]),
    );
    expect(ofType(events, "generation").map((g) => [g.name, g.usageDetails])).toEqual([["claude", usage4(4, 42, 0, 16_000)]]);
  });

  it("names the unattributed usage of a model no generation showed after the modelUsage key, without its suffix", () => {
    const events = run(
      timed([
        [0, init(SONNET_ALIAS)],
        ...partialCall(1, "msg_C1", usage(4, 0, 0, 16_000), 42, [text("Hello.")]),
        [2, result({ cost: 0.07, numTurns: 1, durationMs: 2_000, durationApiMs: 1_500, modelUsage: { [SONNET_ALIAS]: totals(4, 42, 0, 16_000, 0.06), "claude-haiku-4-5[1m]": totals(300, 20, 0, 0, 0.01) } })],
      ]),
    );
    expect(obs(events).filter((o) => o.name === UNATTRIBUTED_USAGE).map((o) => [o.model, o.usageDetails])).toEqual([["claude-haiku-4-5", usage4(300, 20, 0, 0)]]);
  });

  it("with sendCost, gives the alias key's cost to the dated generations", () => {
    const events = run(
      timed([
        [0, init(SONNET_ALIAS)],
        ...partialCall(1, "msg_D1", usage(100, 0, 0, 0), 200, [text("a")]),
        ...partialCall(2, "msg_D2", usage(300, 0, 0, 0), 100, [text("b")]),
        [3, result({ cost: 0.019, numTurns: 2, durationMs: 3_000, durationApiMs: 2_000, modelUsage: { [SONNET_ALIAS]: totals(400, 300, 0, 0, 0.019) } })],
      ]),
      { sendCost: true },
    );
    const gens = ofType(events, "generation");
    expect(gens.map((g) => g.name)).toEqual(["claude", "claude"]);
    expect(gens[0]!.costDetails!.total).toBeCloseTo(0.011, 12);
    expect(gens[1]!.costDetails!.total).toBeCloseTo(0.008, 12);
  });

  it("keeps every generation's messageId", () => {
    const events = run(
      timed([
        [0, init(SONNET_ALIAS)],
        ...partialCall(1, "msg_E1", usage(4, 0, 0, 16_000), 42, [text("a")]),
        [2, assistant("msg_E2", [text("b")], usage(5, 1, 16_000, 10))],
        [3, result({ cost: 0.07, numTurns: 2, durationMs: 2_000, durationApiMs: 1_500, modelUsage: { [SONNET_ALIAS]: totals(9, 80, 16_000, 16_010, 0.07) } })],
      ]),
      { sendCost: true },
    );
    expect(ofType(events, "generation").map((g) => [g.name, g.metadata?.messageId])).toEqual([
      ["claude", "msg_E1"],
      ["claude", "msg_E2"],
      [UNATTRIBUTED_USAGE, undefined],
    ]);
  });

  it("makes each api_retry a WARNING event of its turn with the attempt, the status and the delay", () => {
    const events = run(
      timed([
        [0, init(SONNET_ALIAS)],
        [0.2, apiRetry(1, 529, 535.42)],
        [0.8, apiRetry(2, 429, 1_115.01, "rate_limit")],
        ...partialCall(2, "msg_F1", usage(4, 0, 0, 16_000), 42, [text("Hello.")]),
        [3, result({ cost: 0.06, numTurns: 1, durationMs: 3_000, durationApiMs: 2_500, modelUsage: { [SONNET_ALIAS]: totals(4, 42, 0, 16_000, 0.06) } })],
      ]),
    );
    const root = rootOf(events)[0]!;
    const retries = ofType(events, "event");
    expect(retries).toEqual([
      {
        id: expect.any(String),
        parentId: root.id,
        type: "event",
        name: "api_retry",
        level: "WARNING",
        statusMessage: "overloaded, HTTP 529; retry 1 of 10 in 535 ms",
        startTime: at(0.2),
        endTime: at(0.2),
        metadata: { attempt: 1, maxRetries: 10, status: 529, delayMs: 535, error: "overloaded" },
      },
      expect.objectContaining({ statusMessage: "rate_limit, HTTP 429; retry 2 of 10 in 1115 ms", metadata: { attempt: 2, maxRetries: 10, status: 429, delayMs: 1_115, error: "rate_limit" } }),
    ]);
    expect(new Set(events.map((e) => e.trace.id)).size).toBe(1);
  });

  it("ends a call at its message_stop, before the tools it asked for", () => {
    const events = run(
      timed([
        [0, init(SONNET_ALIAS)],
        [0.5, prompt("list the files")],
        ...partialCall(1, "msg_G1", usage(4, 0, 0, 16_000), 42, [toolUse("toolu_G1", "Bash", { command: "ls" })]),
        [2, toolResult("toolu_G1", "README.md")],
      ]),
    );
    expect(obs(events).map((o) => [o.type, o.name])).toEqual([
      ["generation", "claude"],
      ["tool", "Bash"],
      ["agent", "claude-code"],
    ]);
    expect(ofType(events, "generation")[0]!.endTime).toEqual(at(1.4));
  });

  it("sends first, in every turn, an observation that starts with the turn, whatever finishes first", () => {
    // No partial messages: the first call stays open until the next one begins, while its tool
    // and a retry finish; a second turn begins with a retry.
    const mapper = createMapper({ ...STREAM_MAPPING, ids: sequentialIds() });
    const batches: ObservationEvent[][] = [];
    const steps = timed([
      [0, prompt("list the files")],
      [0.1, init(SONNET_ALIAS)],
      [0.3, apiRetry(1, 529, 500)],
      [1, assistant("msg_H1", [toolUse("toolu_H1", "Bash", { command: "ls" })], usage(4, 1, 0, 16_000))],
      [2, toolResult("toolu_H1", "README.md")],
      [3, assistant("msg_H2", [text("One file.")], usage(5, 1, 16_000, 10))],
      [4, result({ cost: 0.07, numTurns: 2, durationMs: 4_000, durationApiMs: 3_000, modelUsage: { [SONNET_ALIAS]: totals(9, 80, 16_000, 16_010, 0.07) } })],
      [10, apiRetry(1, 529, 500)],
      [11, assistant("msg_H3", [text("Again.")], usage(6, 1, 16_010, 5))],
      [12, result({ cost: 0.08, numTurns: 1, durationMs: 2_000, durationApiMs: 4_000, modelUsage: { [SONNET_ALIAS]: totals(15, 100, 32_010, 16_015, 0.08) } })],
    ]);
    for (const input of steps) batches.push(mapper.push(input));
    const events = batches.flat();
    for (const traceId of new Set(events.map((e) => e.trace.id))) {
      const mine = events.filter((e) => e.trace.id === traceId).map((e) => e.observation);
      const root = mine.find((o) => o.parentId === undefined)!;
      expect(mine[0]!.startTime).toEqual(root.startTime);
    }
    // The retry and the tool of the first turn waited for the first call (at 3, when it ended).
    expect(batches.map((b) => b.map((e) => e.observation.name))).toEqual([[], [], [], [], [], ["claude", "api_retry", "Bash"], ["claude", UNATTRIBUTED_USAGE, "claude-code"], ["api_retry"], [], ["claude", UNATTRIBUTED_USAGE, "claude-code"]]);
    expect(rootOf(events).map((r) => r.startTime)).toEqual([at(0), at(10)]);
  });
});

function usage4(input: number, output: number, cacheRead: number, cacheWrite: number) {
  return { input, output, cache_read_input_tokens: cacheRead, cache_creation_input_tokens: cacheWrite };
}

function sumUsage(gens: Observation[]) {
  return gens.reduce(
    (s, g) => usage4(s.input + g.usageDetails!.input, s.output + g.usageDetails!.output, s.cache_read_input_tokens + g.usageDetails!.cache_read_input_tokens, s.cache_creation_input_tokens + g.usageDetails!.cache_creation_input_tokens),
    usage4(0, 0, 0, 0),
  );
}
