import type { SDKMessage } from "@anthropic-ai/claude-agent-sdk";
import {
  asLoose,
  contentBlocks,
  resultText,
  SUBAGENT_TOOL_NAMES,
  SYNTHETIC_MODEL,
  type ApiMessage,
  type ContentBlock,
  type LooseMessage,
} from "./claudeMessage";
import type { Observation, ObservationEvent, ObservationLevel, TraceInfo, UsageDetails } from "./events";
import { randomIds, type IdSource } from "./ids";
import {
  addUsage,
  contextTokens,
  isZeroUsage,
  mergeDeltaUsage,
  usageFromMessage,
  usageFromModelUsage,
  usageShortfall,
  ZERO_USAGE,
  type MessageUsage,
  type ModelUsageEntry,
} from "./usage";

/** One message of a Claude session, with the time it was written (transcripts) or read. */
export interface MapperInput {
  message: SDKMessage | LooseMessage;
  at: Date;
  /**
   * `progress`: a sub-agent message a transcript nested in a `progress` line; such lines keep
   * the usage they had when the message started, so their output counts are placeholders.
   */
  origin?: "line" | "progress";
  /** CLI version written on the line (transcripts carry it per line; streams in `init`). */
  cliVersion?: string;
}

export interface MapperOptions {
  /**
   * `result`: a turn runs from its first message to the `result` message (SDK stream,
   * stream-json). `prompt`: a turn runs from a user prompt to the next one (transcripts, which
   * hold no result lines).
   */
  turnBoundary: "result" | "prompt";
  /**
   * Whether an assistant line's usage is final. Transcripts: the last line per message id is.
   * Streams: assistant messages carry usage as of the message's start; only the partial-message
   * events (or the result) give the final output count.
   */
  assistantLinesHaveFinalUsage: boolean;
  /** The Langfuse session id (AGENTIC_SESSION_NAME); the Claude session id when absent. */
  sessionName?: string;
  userId?: string;
  project?: string;
  interactive?: boolean;
  /** Send the CLI's per-model cost as `costDetails` instead of letting Langfuse price usage. */
  sendCost?: boolean;
  ids?: IdSource;
}

export interface Mapper {
  push(input: MapperInput): ObservationEvent[];
  /**
   * No more messages. An open turn ends at its last message; in `result` mode it is marked
   * incomplete, since a run that stops before its result lost its accounting. `reason`, when
   * given, marks it as an error whatever the mode.
   */
  end(reason?: string): ObservationEvent[];
}

export const TRACE_NAME = "claude-code";
export const UNATTRIBUTED_USAGE = "unattributed-usage";
/**
 * What a generation's input holds in place of a tool result's content, followed by the id of the
 * tool observation whose output is that content: `[output of tool observation <id>]`.
 */
export const TOOL_RESULT_MARK = "[output of tool observation";

type UsageSource = "assistant-line" | "stream-events" | "progress-line" | "toolUseResult";

interface Generation {
  id: string;
  messageId: string;
  model?: string;
  startTime: Date;
  endTime: Date;
  completionStartTime?: Date;
  blocks: ContentBlock[];
  usage: UsageDetails;
  usageSource: UsageSource;
  outputPlaceholder: boolean;
  stopReason?: string;
  input?: unknown;
}

/** The main thread (key "") or one sub-agent (key = the tool_use id that started it). */
interface Scope {
  key: string;
  obsId: string;
  parentObsId?: string;
  name: string;
  startTime: Date;
  lastActivity: Date;
  current?: Generation;
  /** Message ids of the calls already finished in this scope. */
  closed: Set<string>;
  /** Calls built from the source's own assistant lines (not from `progress` lines). */
  lineGenerations: number;
  pendingInput: unknown[];
  input?: unknown;
  lastText?: string;
  model?: string;
  metadata: Record<string, unknown>;
}

interface Tool {
  id: string;
  toolUseId: string;
  name: string;
  input: unknown;
  startTime: Date;
  scope: Scope;
  subagent?: Scope;
}

interface FinishedCall {
  model?: string;
  usage: UsageDetails;
  /** Kept only when the CLI's cost is to be sent: the generation then waits for the result. */
  held?: Observation;
}

interface ResultFigures {
  costUsd: number;
  numTurns: number;
  durationMs: number;
  durationApiMs: number;
  modelUsage: Record<string, ModelUsageEntry>;
}

interface Turn {
  index: number;
  traceId: string;
  root: Scope;
  startTime: Date;
  lastTime: Date;
  scopes: Map<string, Scope>;
  tools: Map<string, Tool>;
  /** Every finished call of the turn, for the per-model reconciliation with the result. */
  calls: FinishedCall[];
  prompt: unknown[];
  hadModelActivity: boolean;
}

const GENERATION_NAME = "claude";

export function createMapper(options: MapperOptions): Mapper {
  const ids = options.ids ?? randomIds;
  const session: { claudeSessionId?: string; model?: string; cliVersion?: string; cwd?: string } = {};
  let previousTotals: ResultFigures | undefined;
  let turn: Turn | undefined;
  let turnCount = 0;
  /** What the message being pushed finished; handlers append, push() returns it. */
  let pendingEvents: ObservationEvent[] = [];

  function traceInfo(t: Turn): TraceInfo {
    const metadata: Record<string, unknown> = { turn: t.index };
    const tags = [TRACE_NAME];
    if (options.project) {
      metadata.project = options.project;
      tags.push(`project:${options.project}`);
    }
    if (session.model) {
      metadata.model = session.model;
      tags.push(`model:${session.model}`);
    }
    if (session.claudeSessionId) metadata.claudeSessionId = session.claudeSessionId;
    if (session.cliVersion) metadata.cliVersion = session.cliVersion;
    if (options.interactive !== undefined) metadata.interactive = options.interactive;
    const info: TraceInfo = { id: t.traceId, name: TRACE_NAME, tags, metadata };
    const sessionId = options.sessionName ?? session.claudeSessionId;
    if (sessionId) info.sessionId = sessionId;
    if (options.userId) info.userId = options.userId;
    return info;
  }

  function newScope(key: string, name: string, at: Date, parentObsId?: string): Scope {
    return {
      key,
      obsId: ids.spanId(),
      parentObsId,
      name,
      startTime: at,
      lastActivity: at,
      closed: new Set(),
      lineGenerations: 0,
      pendingInput: [],
      metadata: {},
    };
  }

  function startTurn(at: Date): Turn {
    turnCount += 1;
    const root = newScope("", TRACE_NAME, at);
    turn = {
      index: turnCount,
      traceId: ids.traceId(),
      root,
      startTime: at,
      lastTime: at,
      scopes: new Map([["", root]]),
      tools: new Map(),
      calls: [],
      prompt: [],
      hadModelActivity: false,
    };
    return turn;
  }

  function scopeFor(t: Turn, parentToolUseId: string | null | undefined, at: Date): Scope {
    const key = parentToolUseId ?? "";
    const existing = t.scopes.get(key);
    if (existing) return existing;
    // A sub-agent message whose starting tool call this turn never saw (e.g. a capture that
    // begins mid-turn): keep its calls, under the root, rather than drop them.
    const orphan = newScope(key, "subagent", at, t.root.obsId);
    orphan.metadata.parentToolUseId = key;
    orphan.metadata.startingToolCallSeen = false;
    t.scopes.set(key, orphan);
    return orphan;
  }

  // ---- generations -------------------------------------------------------------------------

  function generationFor(t: Turn, scope: Scope, msg: ApiMessage, at: Date, source: UsageSource): Generation | undefined {
    const messageId = msg.id;
    if (!messageId) return undefined;
    if (scope.current?.messageId === messageId) return scope.current;
    // A late line of a call that was already sent cannot change it, and a second generation
    // for the same call would count it twice.
    if (scope.closed.has(messageId)) return undefined;
    if (scope.current) pendingEvents.push(...closeGeneration(t, scope));
    t.hadModelActivity = true;
    const generation: Generation = {
      id: ids.spanId(),
      messageId,
      model: msg.model,
      // The request went out when the scope's previous step finished, not when the first block
      // came back; the first line's time is the best end-of-request estimate there is.
      startTime: scope.lastActivity,
      endTime: at,
      blocks: [],
      usage: ZERO_USAGE,
      usageSource: source,
      outputPlaceholder: false,
      input: scope.pendingInput.length > 0 ? scope.pendingInput.slice() : undefined,
    };
    scope.pendingInput = [];
    scope.current = generation;
    if (source !== "progress-line") scope.lineGenerations += 1;
    if (msg.model) {
      scope.model = msg.model;
      if (scope.key === "" && !session.model) session.model = msg.model;
    }
    return generation;
  }

  function generationObservation(scope: Scope, g: Generation): Observation {
    const metadata: Record<string, unknown> = { messageId: g.messageId, usageSource: g.usageSource };
    if (g.outputPlaceholder) metadata.outputTokensPlaceholder = true;
    if (g.stopReason) metadata.stopReason = g.stopReason;
    const obs: Observation = {
      id: g.id,
      parentId: scope.obsId,
      type: "generation",
      name: GENERATION_NAME,
      level: "DEFAULT",
      startTime: g.startTime,
      endTime: g.endTime,
      usageDetails: g.usage,
      metadata,
    };
    if (g.model) obs.model = g.model;
    if (g.completionStartTime) obs.completionStartTime = g.completionStartTime;
    if (g.input !== undefined) obs.input = g.input;
    if (g.blocks.length > 0) obs.output = { role: "assistant", content: g.blocks };
    return obs;
  }

  function closeGeneration(t: Turn, scope: Scope): ObservationEvent[] {
    const g = scope.current;
    if (!g) return [];
    scope.current = undefined;
    scope.closed.add(g.messageId);
    if (g.endTime > scope.lastActivity) scope.lastActivity = g.endTime;
    const text = g.blocks.filter((b) => b.type === "text" && typeof b.text === "string").map((b) => b.text).join("\n");
    if (text) scope.lastText = text;
    const observation = generationObservation(scope, g);
    if (options.sendCost) {
      t.calls.push({ model: g.model, usage: g.usage, held: observation });
      return [];
    }
    t.calls.push({ model: g.model, usage: g.usage });
    return [{ trace: traceInfo(t), observation }];
  }

  // ---- tools and sub-agents ------------------------------------------------------------------

  function openTool(t: Turn, scope: Scope, block: ContentBlock, at: Date): void {
    const toolUseId = block.id;
    if (!toolUseId || t.tools.has(toolUseId)) return;
    const tool: Tool = {
      id: ids.spanId(),
      toolUseId,
      name: block.name ?? "tool",
      input: block.input,
      startTime: at,
      scope,
    };
    if (SUBAGENT_TOOL_NAMES.has(tool.name)) {
      const input = (typeof block.input === "object" && block.input !== null ? block.input : {}) as Record<string, unknown>;
      const name = typeof input.subagent_type === "string" ? input.subagent_type : "subagent";
      const sub = newScope(toolUseId, name, at, tool.id);
      if (typeof input.description === "string") sub.metadata.description = input.description;
      if (typeof input.prompt === "string") sub.input = input.prompt;
      // A sub-agent that was already seen (its messages came first) keeps its observation.
      const early = t.scopes.get(toolUseId);
      if (early) {
        early.parentObsId = tool.id;
        early.name = name;
        delete early.metadata.startingToolCallSeen;
        delete early.metadata.parentToolUseId;
        Object.assign(early.metadata, sub.metadata);
        early.input ??= sub.input;
        tool.subagent = early;
      } else {
        t.scopes.set(toolUseId, sub);
        tool.subagent = sub;
      }
    }
    t.tools.set(toolUseId, tool);
  }

  function finishTool(t: Turn, tool: Tool, at: Date, result: { content: unknown; isError: boolean; toolUseResult?: unknown } | undefined): ObservationEvent[] {
    const out: ObservationEvent[] = [];
    t.tools.delete(tool.toolUseId);
    if (tool.subagent) out.push(...finishSubagent(t, tool.subagent, at, result?.toolUseResult, result?.isError ?? false));
    const obs: Observation = {
      id: tool.id,
      parentId: tool.scope.obsId,
      type: "tool",
      name: tool.name,
      level: "DEFAULT",
      startTime: tool.startTime,
      endTime: at,
      input: tool.input,
      metadata: { toolUseId: tool.toolUseId },
    };
    if (result) {
      obs.output = result.content;
      if (result.isError) {
        obs.level = "ERROR";
        obs.statusMessage = resultText(result.content) || "tool call failed";
      }
    } else {
      obs.level = "WARNING";
      obs.statusMessage = "the turn ended before this tool call returned a result";
    }
    out.push({ trace: traceInfo(t), observation: obs });
    return out;
  }

  function finishSubagent(t: Turn, scope: Scope, at: Date, toolUseResult: unknown, isError: boolean): ObservationEvent[] {
    const out: ObservationEvent[] = [];
    const report = typeof toolUseResult === "object" && toolUseResult !== null ? (toolUseResult as Record<string, unknown>) : undefined;
    const finalUsage = report && typeof report.usage === "object" && report.usage !== null ? (report.usage as MessageUsage) : undefined;
    // Transcripts nest a sub-agent's messages in `progress` lines that keep start-of-message
    // usage; the tool call's result then holds the usage of the sub-agent's final call. Streams
    // carry the sub-agent's own messages, whose calls are already traced: nothing to add there.
    if (finalUsage && scope.lineGenerations === 0) {
      out.push(...applyFinalCallUsage(t, scope, usageFromMessage(finalUsage), report, at));
    }
    out.push(...closeGeneration(t, scope));
    for (const tool of [...t.tools.values()]) {
      if (tool.scope === scope) out.push(...finishTool(t, tool, at, undefined));
    }
    t.scopes.delete(scope.key);
    if (report) {
      for (const key of ["agentId", "status", "totalDurationMs", "totalTokens", "totalToolUseCount"]) {
        if (report[key] !== undefined) scope.metadata[key] = report[key];
      }
    }
    const obs: Observation = {
      id: scope.obsId,
      parentId: scope.parentObsId,
      type: "agent",
      name: scope.name,
      level: isError ? "ERROR" : "DEFAULT",
      startTime: scope.startTime,
      endTime: at,
      metadata: scope.metadata,
    };
    if (scope.model) obs.metadata = { ...scope.metadata, model: scope.model };
    if (scope.input !== undefined) obs.input = scope.input;
    const output = report && Array.isArray(report.content) ? resultText(report.content) : scope.lastText;
    if (output) obs.output = output;
    if (isError) obs.statusMessage = "the sub-agent's tool call failed";
    out.push({ trace: traceInfo(t), observation: obs });
    return out;
  }

  function applyFinalCallUsage(t: Turn, scope: Scope, usage: UsageDetails, report: Record<string, unknown> | undefined, at: Date): ObservationEvent[] {
    const out: ObservationEvent[] = [];
    const last = scope.current;
    if (last && contextTokens(last.usage) === contextTokens(usage)) {
      // The nested lines already hold the final call: only its output count was a placeholder.
      last.usage = usage;
      last.usageSource = "toolUseResult";
      last.outputPlaceholder = false;
      return out;
    }
    out.push(...closeGeneration(t, scope));
    const finalText = report && Array.isArray(report.content) ? resultText(report.content) : "";
    const g: Generation = {
      id: ids.spanId(),
      messageId: typeof report?.agentId === "string" ? `final call of agent ${report.agentId}` : "final call",
      model: scope.model,
      startTime: scope.lastActivity,
      endTime: at,
      blocks: finalText ? [{ type: "text", text: finalText }] : [],
      usage,
      usageSource: "toolUseResult",
      outputPlaceholder: false,
      input: scope.pendingInput.length > 0 ? scope.pendingInput.slice() : undefined,
    };
    scope.pendingInput = [];
    scope.current = g;
    t.hadModelActivity = true;
    return out;
  }

  // ---- message handlers ----------------------------------------------------------------------

  function onAssistant(m: LooseMessage, input: MapperInput): void {
    const msg = m.message;
    if (!msg || msg.model === SYNTHETIC_MODEL) return;
    const t = turn ?? startTurn(input.at);
    const scope = scopeFor(t, m.parent_tool_use_id, input.at);
    const source: UsageSource = input.origin === "progress" ? "progress-line" : "assistant-line";
    const g = generationFor(t, scope, msg, input.at, source);
    if (!g) return;
    g.endTime = input.at;
    if (msg.model && !g.model) g.model = msg.model;
    if (msg.stop_reason) g.stopReason = msg.stop_reason;
    for (const block of contentBlocks(msg.content)) {
      // A line may repeat blocks an earlier line of the same message already carried.
      if (g.blocks.some((b) => sameBlock(b, block))) continue;
      g.blocks.push(block);
      if (block.type === "tool_use") openTool(t, scope, block, input.at);
    }
    if (g.usageSource !== "stream-events" && msg.usage) {
      // Later lines of a message id carry later usage: the last one wins.
      g.usage = usageFromMessage(msg.usage);
      g.outputPlaceholder = source === "progress-line" || !options.assistantLinesHaveFinalUsage;
    }
  }

  function onStreamEvent(m: LooseMessage, input: MapperInput): void {
    const ev = m.event;
    if (!ev) return;
    const t = turn ?? startTurn(input.at);
    const scope = scopeFor(t, m.parent_tool_use_id, input.at);
    if (ev.type === "message_start" && ev.message) {
      if (ev.message.model === SYNTHETIC_MODEL) return;
      const g = generationFor(t, scope, ev.message, input.at, "stream-events");
      if (!g) return;
      g.usageSource = "stream-events";
      g.usage = usageFromMessage(ev.message.usage);
      g.outputPlaceholder = true;
      g.endTime = input.at;
      return;
    }
    const g = scope.current;
    if (!g || g.usageSource !== "stream-events") return;
    g.endTime = input.at;
    if ((ev.type === "content_block_start" || ev.type === "content_block_delta") && !g.completionStartTime) {
      g.completionStartTime = input.at;
    } else if (ev.type === "message_delta") {
      g.usage = mergeDeltaUsage(g.usage, ev.usage);
      g.outputPlaceholder = false;
      if (ev.delta?.stop_reason) g.stopReason = ev.delta.stop_reason;
    }
  }

  function onUser(m: LooseMessage, input: MapperInput): void {
    const blocks = contentBlocks(m.message?.content);
    const toolResults = blocks.filter((b) => b.type === "tool_result");
    const isPrompt = toolResults.length === 0;
    const inRoot = !m.parent_tool_use_id;
    if (isPrompt && inRoot && options.turnBoundary === "prompt" && turn?.hadModelActivity) {
      pendingEvents.push(...finishTurn(turn, turn.lastTime, undefined));
    }
    const t = turn ?? startTurn(input.at);
    const scope = scopeFor(t, m.parent_tool_use_id, input.at);
    if (isPrompt) {
      const content = m.message?.content;
      if (inRoot) t.prompt.push(content);
      else scope.input ??= content;
      scope.pendingInput.push({ role: "user", content });
      scope.lastActivity = input.at;
      return;
    }
    // The next call's input names each result; its content is the tool observation's output
    // and is not sent twice. A result with no tool observation keeps its content here.
    const inputBlocks: unknown[] = [];
    for (const block of toolResults) {
      const tool = block.tool_use_id ? t.tools.get(block.tool_use_id) : undefined;
      if (!tool) {
        inputBlocks.push(block);
        continue;
      }
      inputBlocks.push({ ...block, content: `${TOOL_RESULT_MARK} ${tool.id}]` });
      pendingEvents.push(
        ...finishTool(t, tool, input.at, {
          content: block.content,
          isError: block.is_error === true,
          toolUseResult: toolResults.length === 1 ? m.tool_use_result : undefined,
        }),
      );
    }
    scope.pendingInput.push({ role: "user", content: inputBlocks });
    scope.lastActivity = input.at;
  }

  function perTurnFigures(m: LooseMessage): ResultFigures {
    const cumulative: ResultFigures = {
      costUsd: m.total_cost_usd ?? 0,
      numTurns: m.num_turns ?? 0,
      durationMs: m.duration_ms ?? 0,
      durationApiMs: m.duration_api_ms ?? 0,
      modelUsage: m.modelUsage ?? {},
    };
    const prev = previousTotals;
    previousTotals = cumulative;
    // Results of one session count from its start; a result below the previous one means a
    // new count (another session, or /clear), to be taken as it is.
    if (!prev || cumulative.costUsd < prev.costUsd || cumulative.numTurns < prev.numTurns) return cumulative;
    const modelUsage: Record<string, ModelUsageEntry> = {};
    for (const [model, entry] of Object.entries(cumulative.modelUsage)) {
      const before = prev.modelUsage[model];
      if (!before) {
        modelUsage[model] = entry;
        continue;
      }
      const diff: ModelUsageEntry = {};
      for (const [k, v] of Object.entries(entry)) {
        const b = before[k];
        diff[k] = typeof v === "number" && typeof b === "number" && !["contextWindow", "maxOutputTokens"].includes(k) ? v - b : v;
      }
      modelUsage[model] = diff;
    }
    return {
      costUsd: cumulative.costUsd - prev.costUsd,
      numTurns: cumulative.numTurns - prev.numTurns,
      durationMs: cumulative.durationMs - prev.durationMs,
      durationApiMs: cumulative.durationApiMs - prev.durationApiMs,
      modelUsage,
    };
  }

  function onResult(m: LooseMessage, input: MapperInput): void {
    const t = turn ?? startTurn(input.at);
    t.lastTime = input.at;
    const figures = perTurnFigures(m);
    const failed = m.is_error === true || (m.subtype !== undefined && m.subtype !== "success");
    const status = failed ? [m.subtype, ...(m.errors ?? [])].filter((s) => s).join(": ") || "error" : undefined;
    pendingEvents.push(...finishTurn(t, input.at, { figures, failed, status, output: m.result, permissionDenials: m.permission_denials?.length }));
  }

  // ---- turn end ------------------------------------------------------------------------------

  interface TurnOutcome {
    figures?: ResultFigures;
    failed: boolean;
    status?: string;
    output?: string;
    permissionDenials?: number;
  }

  function finishTurn(t: Turn, at: Date, outcome: TurnOutcome | undefined): ObservationEvent[] {
    turn = undefined;
    const out: ObservationEvent[] = [];
    for (const tool of [...t.tools.values()].reverse()) {
      if (t.tools.has(tool.toolUseId)) out.push(...finishTool(t, tool, at, undefined));
    }
    for (const scope of [...t.scopes.values()].reverse()) {
      if (scope !== t.root) out.push(...finishSubagent(t, scope, at, undefined, false));
    }
    out.push(...closeGeneration(t, t.root));

    const rootMeta: Record<string, unknown> = {};
    if (session.claudeSessionId) rootMeta.claudeSessionId = session.claudeSessionId;
    if (outcome?.figures) {
      const f = outcome.figures;
      Object.assign(rootMeta, {
        costUsd: f.costUsd,
        numTurns: f.numTurns,
        durationMs: f.durationMs,
        durationApiMs: f.durationApiMs,
        modelUsage: f.modelUsage,
      });
      if (outcome.permissionDenials) rootMeta.permissionDenials = outcome.permissionDenials;
      const unattributed = reconcile(t, f, at);
      if (options.sendCost) allocateCost(t, f);
      else out.push(...unattributed.map((observation) => ({ trace: traceInfo(t), observation })));
    }
    if (options.sendCost) {
      for (const { held } of t.calls) if (held) out.push({ trace: traceInfo(t), observation: held });
    }

    let level: ObservationLevel = "DEFAULT";
    let statusMessage: string | undefined;
    if (outcome?.failed) {
      level = "ERROR";
      statusMessage = outcome.status;
    } else if (!outcome && options.turnBoundary === "result") {
      level = "ERROR";
      statusMessage = "incomplete: the run ended without a result message";
    }
    const root: Observation = {
      id: t.root.obsId,
      type: "agent",
      name: TRACE_NAME,
      level,
      startTime: t.startTime,
      endTime: at,
      metadata: rootMeta,
    };
    if (statusMessage) root.statusMessage = statusMessage;
    if (t.prompt.length > 0) root.input = t.prompt.length === 1 ? t.prompt[0] : t.prompt;
    const output = outcome?.output ?? t.root.lastText;
    if (output) root.output = output;
    out.push({ trace: traceInfo(t), observation: root });
    return out;
  }

  /**
   * The result's `modelUsage` counts every call of the turn, including ones the stream shows
   * with placeholder output or not at all (compaction, hidden helper calls). Whatever it holds
   * beyond the turn's generations goes on one extra generation per model, so that Langfuse's
   * totals equal the CLI's.
   */
  function reconcile(t: Turn, f: ResultFigures, at: Date): Observation[] {
    const byModel = new Map<string, UsageDetails>();
    for (const call of t.calls) {
      const model = call.model ?? "";
      byModel.set(model, addUsage(byModel.get(model) ?? ZERO_USAGE, call.usage));
    }
    const added: Observation[] = [];
    for (const [model, entry] of Object.entries(f.modelUsage)) {
      const reported = usageFromModelUsage(entry);
      const traced = byModel.get(model) ?? ZERO_USAGE;
      const missing = usageShortfall(reported, traced);
      if (isZeroUsage(missing)) continue;
      const observation: Observation = {
        id: ids.spanId(),
        parentId: t.root.obsId,
        type: "generation",
        name: UNATTRIBUTED_USAGE,
        model,
        level: "DEFAULT",
        startTime: t.startTime,
        endTime: at,
        usageDetails: missing,
        metadata: {
          reason: "the result's modelUsage counts more tokens for this model than the turn's generations carry (placeholder output counts, compaction or calls the stream does not show)",
          reportedByCli: reported,
          tracedInGenerations: traced,
        },
      };
      t.calls.push({ model, usage: missing, held: options.sendCost ? observation : undefined });
      added.push(observation);
    }
    return added;
  }

  /**
   * Spreads each model's CLI cost over that model's generations by their share of the price
   * weight (Anthropic prices output at 5× input, cache reads at 0.1×, 5-minute cache writes at
   * 1.25× for every Claude model), so the per-model sum is exactly the CLI's figure.
   */
  function allocateCost(t: Turn, f: ResultFigures): void {
    const weight = (u: UsageDetails) => u.input + 5 * u.output + 0.1 * u.cache_read_input_tokens + 1.25 * u.cache_creation_input_tokens;
    for (const [model, entry] of Object.entries(f.modelUsage)) {
      if (typeof entry.costUSD !== "number") continue;
      const cost = entry.costUSD;
      const mine = t.calls.filter((c) => c.model === model && c.held);
      if (mine.length === 0) continue;
      const total = mine.reduce((sum, c) => sum + weight(c.usage), 0);
      for (const c of mine) {
        const share = total > 0 ? weight(c.usage) / total : 1 / mine.length;
        c.held!.costDetails = { total: cost * share };
      }
    }
  }

  // ---- entry points --------------------------------------------------------------------------

  function push(input: MapperInput): ObservationEvent[] {
    pendingEvents = [];
    const m = asLoose(input.message);
    if (!m) return [];
    if (input.cliVersion) session.cliVersion = input.cliVersion;
    if (m.session_id && m.session_id !== session.claudeSessionId) {
      if (session.claudeSessionId) previousTotals = undefined;
      session.claudeSessionId = m.session_id;
    }
    switch (m.type) {
      case "system":
        if (m.subtype === "init") {
          // A new run in the same capture: the previous one was cut off before its result. A turn
          // that holds only its prompt is not one: a CLI reading prompts from stdin announces
          // itself (init) after the first prompt has arrived.
          if (turn && options.turnBoundary === "result" && (turn.hadModelActivity || turn.tools.size > 0)) {
            pendingEvents.push(...finishTurn(turn, turn.lastTime, undefined));
          }
          if (m.model) session.model = m.model;
          if (m.claude_code_version) session.cliVersion = m.claude_code_version;
        }
        break;
      case "assistant":
        onAssistant(m, input);
        break;
      case "stream_event":
        onStreamEvent(m, input);
        break;
      case "user":
        onUser(m, input);
        break;
      case "result":
        onResult(m, input);
        break;
      default:
        break;
    }
    if (turn && input.at > turn.lastTime) turn.lastTime = input.at;
    return pendingEvents;
  }

  function end(reason?: string): ObservationEvent[] {
    if (!turn) return [];
    const t = turn;
    return finishTurn(t, t.lastTime, reason ? { failed: true, status: reason } : undefined);
  }

  return { push, end };
}

function sameBlock(a: ContentBlock, b: ContentBlock): boolean {
  if (a.type !== b.type) return false;
  if (a.type === "tool_use") return a.id !== undefined && a.id === b.id;
  return JSON.stringify(a) === JSON.stringify(b);
}
