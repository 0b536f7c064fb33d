import type { SDKMessage } from "@anthropic-ai/claude-agent-sdk";
import { allocateCost, reconcile, spendsNothing, turnFigures, type CallUsage, type ResultFigures } from "./accounting";
import { asLoose, contentBlocks, promptInput, resultText, SUBAGENT_TOOL_NAMES, SYNTHETIC_MODEL, type ApiMessage, type ContentBlock, type LooseMessage } from "./claudeMessage";
import type { Observation, ObservationEvent, ObservationLevel, TraceInfo } from "./events";
import { randomIds, type IdSource } from "./ids";
import {
  apiRetryEvent,
  generationObservation,
  subagentObservation,
  toolObservation,
  unattributedUsageObservation,
  type GenerationRecord,
  type SubagentReport,
  type UsageSource,
} from "./observations";
import { contextTokens, mergeDeltaUsage, usageFromMessage, ZERO_USAGE, type MessageUsage } from "./usage";

export { UNATTRIBUTED_USAGE } from "./observations";

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
/**
 * What a generation's input holds in place of a tool result's content, followed by the id of the
 * tool observation whose output is that content: `[output of tool observation <id>]`.
 */
export const TOOL_RESULT_MARK = "[output of tool observation";
/**
 * Observations of a turn held back, at most, until one that starts with the turn has gone out
 * (see `emit`). Past it they go out as they are: memory stays bounded.
 */
const MAX_HELD_PER_TURN = 1_000;

/** The main thread (key "") or one sub-agent (key = the tool_use id that started it). */
interface Scope {
  key: string;
  obsId: string;
  parentObsId?: string;
  name: string;
  startTime: Date;
  lastActivity: Date;
  current?: GenerationRecord;
  /** Message ids of the calls already finished in this scope. */
  closed: Set<string>;
  /** Calls built from the source's own assistant lines (not from `progress` lines). */
  lineGenerations: number;
  pendingInput: unknown[];
  input?: unknown;
  lastText?: string;
  model?: string;
  metadata: Record<string, unknown>;
  /** A sub-agent running in the background: its tool call returns at once, it ends on its own. */
  background?: boolean;
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

/** A finished call; its observation waits here for the result when the CLI's cost is to be sent. */
interface Call extends CallUsage {
  observation?: Observation;
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
  calls: Call[];
  prompt: unknown[];
  hadModelActivity: boolean;
  /** Tasks the CLI started in the background this turn; it continues the turn when they end. */
  backgroundTasks: number;
  /** Observations waiting for the first one that starts with the turn; undefined once it is out. */
  held?: ObservationEvent[];
}

interface TurnOutcome {
  figures?: ResultFigures;
  failed: boolean;
  status?: string;
  output?: string;
  permissionDenials?: number;
}

export function createMapper(options: MapperOptions): Mapper {
  const ids = options.ids ?? randomIds;
  const session: { claudeSessionId?: string; model?: string; cliVersion?: string } = {};
  let previousTotals: ResultFigures | undefined;
  let turn: Turn | undefined;
  let turnCount = 0;
  /** What the message being pushed finished; `emit` appends, push() and end() return it. */
  let out: ObservationEvent[] = [];

  /**
   * The one way an observation leaves the mapper. Langfuse dates a trace by the first span of it
   * that it receives, whatever that span is; so until an observation that starts with the turn
   * has gone out (the first call's generation, at the latest the root), the turn's other
   * observations wait behind it.
   */
  function emit(t: Turn, observation: Observation): void {
    const event = { trace: traceInfo(t), observation };
    if (!t.held) {
      out.push(event);
    } else if (observation.startTime.getTime() > t.startTime.getTime() && t.held.length < MAX_HELD_PER_TURN) {
      t.held.push(event);
    } else {
      out.push(event, ...t.held);
      t.held = undefined;
    }
  }

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
    return { key, obsId: ids.spanId(), parentObsId, name, startTime: at, lastActivity: at, closed: new Set(), lineGenerations: 0, pendingInput: [], metadata: {} };
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
      backgroundTasks: 0,
      held: [],
    };
    return turn;
  }

  function scopeFor(t: Turn, parentToolUseId: string | null | undefined, at: Date): Scope {
    const key = parentToolUseId ?? "";
    const existing = t.scopes.get(key);
    if (existing) return existing;
    // A sub-agent message whose starting tool call this turn never saw (a capture that begins
    // mid-turn, a sub-agent running in the background): keep its calls, under the root.
    const orphan = newScope(key, "subagent", at, t.root.obsId);
    orphan.metadata.parentToolUseId = key;
    orphan.metadata.startingToolCallSeen = false;
    t.scopes.set(key, orphan);
    return orphan;
  }

  // ---- generations -------------------------------------------------------------------------

  function generationFor(t: Turn, scope: Scope, msg: ApiMessage, at: Date, source: UsageSource): GenerationRecord | undefined {
    const messageId = msg.id;
    if (!messageId) return undefined;
    if (scope.current?.messageId === messageId) return scope.current;
    // A late line of a call that was already sent cannot change it, and a second generation
    // for the same call would count it twice.
    if (scope.closed.has(messageId)) return undefined;
    closeGeneration(t, scope);
    t.hadModelActivity = true;
    const generation: GenerationRecord = {
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
      input: takePendingInput(scope),
    };
    scope.current = generation;
    if (source !== "progress-line") scope.lineGenerations += 1;
    if (msg.model) {
      scope.model = msg.model;
      if (scope.key === "" && !session.model) session.model = msg.model;
    }
    return generation;
  }

  function closeGeneration(t: Turn, scope: Scope): void {
    const g = scope.current;
    if (!g) return;
    scope.current = undefined;
    scope.closed.add(g.messageId);
    if (g.endTime > scope.lastActivity) scope.lastActivity = g.endTime;
    const text = g.blocks.filter((b) => b.type === "text" && typeof b.text === "string").map((b) => b.text).join("\n");
    if (text) scope.lastText = text;
    const observation = generationObservation(g, scope.obsId);
    if (options.sendCost) {
      t.calls.push({ model: g.model, usage: g.usage, observation });
      return;
    }
    t.calls.push({ model: g.model, usage: g.usage });
    emit(t, observation);
  }

  // ---- tools and sub-agents ------------------------------------------------------------------

  function openTool(t: Turn, scope: Scope, block: ContentBlock, at: Date): void {
    const toolUseId = block.id;
    if (!toolUseId || t.tools.has(toolUseId)) return;
    const tool: Tool = { id: ids.spanId(), toolUseId, name: block.name ?? "tool", input: block.input, startTime: at, scope };
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

  function finishTool(t: Turn, tool: Tool, at: Date, result: { content: unknown; isError: boolean; toolUseResult?: unknown } | undefined): void {
    t.tools.delete(tool.toolUseId);
    // A sub-agent in the background has only been launched when its tool call returns.
    if (tool.subagent && !(tool.subagent.background && result)) finishSubagent(t, tool.subagent, at, result?.toolUseResult, result?.isError ?? false);
    emit(t, toolObservation({ ...tool, parentId: tool.scope.obsId }, at, result));
  }

  function finishSubagent(t: Turn, scope: Scope, at: Date, toolUseResult: unknown, isError: boolean): void {
    const report = typeof toolUseResult === "object" && toolUseResult !== null ? (toolUseResult as SubagentReport) : undefined;
    const finalUsage = report && typeof report.usage === "object" && report.usage !== null ? (report.usage as MessageUsage) : undefined;
    // Transcripts nest a sub-agent's messages in `progress` lines that keep start-of-message
    // usage; the tool call's result then holds the usage of the sub-agent's final call. Streams
    // carry the sub-agent's own messages, whose calls are already traced: nothing to add there.
    if (finalUsage && scope.lineGenerations === 0) applyFinalCallUsage(t, scope, finalUsage, report, at);
    closeGeneration(t, scope);
    for (const tool of [...t.tools.values()]) if (tool.scope === scope) finishTool(t, tool, at, undefined);
    t.scopes.delete(scope.key);
    emit(t, subagentObservation({ id: scope.obsId, parentId: scope.parentObsId, name: scope.name, startTime: scope.startTime, input: scope.input, model: scope.model, lastText: scope.lastText, metadata: scope.metadata }, at, report, isError));
  }

  function applyFinalCallUsage(t: Turn, scope: Scope, finalUsage: MessageUsage, report: SubagentReport | undefined, at: Date): void {
    const usage = usageFromMessage(finalUsage);
    const last = scope.current;
    if (last && contextTokens(last.usage) === contextTokens(usage)) {
      // The nested lines already hold the final call: only its output count was a placeholder.
      last.usage = usage;
      last.usageSource = "toolUseResult";
      last.outputPlaceholder = false;
      return;
    }
    closeGeneration(t, scope);
    const finalText = report && Array.isArray(report.content) ? resultText(report.content) : "";
    scope.current = {
      id: ids.spanId(),
      messageId: typeof report?.agentId === "string" ? `final call of agent ${report.agentId}` : "final call",
      model: scope.model,
      startTime: scope.lastActivity,
      endTime: at,
      blocks: finalText ? [{ type: "text", text: finalText }] : [],
      usage,
      usageSource: "toolUseResult",
      outputPlaceholder: false,
      input: takePendingInput(scope),
    };
    t.hadModelActivity = true;
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
    } else if (ev.type === "message_stop") {
      // The call is over (the CLI writes a message's assistant lines before its message_stop).
      closeGeneration(t, scope);
    }
  }

  function onUser(m: LooseMessage, input: MapperInput): void {
    const blocks = contentBlocks(m.message?.content);
    const toolResults = blocks.filter((b) => b.type === "tool_result");
    const isPrompt = toolResults.length === 0;
    const inRoot = !m.parent_tool_use_id;
    if (isPrompt && inRoot && options.turnBoundary === "prompt" && turn?.hadModelActivity) finishTurn(turn, turn.lastTime, undefined);
    const t = turn ?? startTurn(input.at);
    const scope = scopeFor(t, m.parent_tool_use_id, input.at);
    if (isPrompt) {
      const content = m.message?.content;
      if (inRoot) t.prompt.push(promptInput(content));
      else scope.input ??= promptInput(content);
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
      finishTool(t, tool, input.at, { content: block.content, isError: block.is_error === true, toolUseResult: toolResults.length === 1 ? m.tool_use_result : undefined });
    }
    scope.pendingInput.push({ role: "user", content: inputBlocks });
    scope.lastActivity = input.at;
  }

  function onSystem(m: LooseMessage, input: MapperInput): void {
    if (m.subtype === "init") {
      // A new run in the same capture: the previous one was cut off before its result. A turn
      // that holds only its prompt is not one: a CLI reading prompts from stdin announces itself
      // (init) after the first prompt has arrived. Nor is the CLI's own next run after a
      // background task ended: that continues the turn (its result comes after it).
      const continues = turn !== undefined && turn.backgroundTasks > 0;
      if (turn && !continues && options.turnBoundary === "result" && (turn.hadModelActivity || turn.tools.size > 0)) finishTurn(turn, turn.lastTime, undefined);
      if (m.model) session.model = m.model;
      if (m.claude_code_version) session.cliVersion = m.claude_code_version;
    } else if (m.subtype === "api_retry") {
      const t = turn ?? startTurn(input.at);
      emit(t, apiRetryEvent(ids.spanId(), scopeFor(t, m.parent_tool_use_id, input.at).obsId, m, input.at));
    } else if (m.subtype === "task_started" && turn && m.is_backgrounded === true) {
      turn.backgroundTasks += 1;
      const scope = m.tool_use_id ? turn.scopes.get(m.tool_use_id) : undefined;
      if (scope) scope.background = true;
    } else if (m.subtype === "task_notification" && turn && m.tool_use_id) {
      const scope = turn.scopes.get(m.tool_use_id);
      if (!scope?.background) return;
      if (m.summary) scope.lastText ??= m.summary;
      finishSubagent(turn, scope, input.at, undefined, m.status !== undefined && m.status !== "completed");
    }
  }

  function onResult(m: LooseMessage, input: MapperInput): void {
    const cumulative: ResultFigures = {
      costUsd: m.total_cost_usd ?? 0,
      numTurns: m.num_turns ?? 0,
      durationMs: m.duration_ms ?? 0,
      durationApiMs: m.duration_api_ms ?? 0,
      modelUsage: m.modelUsage ?? {},
    };
    const previous = previousTotals;
    const figures = turnFigures(cumulative, previous);
    previousTotals = cumulative;
    // With a background task, the CLI writes one result per run, all after the last run, the same
    // cumulative figures in each: the first one ended the turn, the others add nothing.
    if (!turn && previous && spendsNothing(figures)) return;
    const t = turn ?? startTurn(input.at);
    t.lastTime = input.at;
    const failed = m.is_error === true || (m.subtype !== undefined && m.subtype !== "success");
    const status = failed ? [m.subtype, ...(m.errors ?? [])].filter((s) => s).join(": ") || "error" : undefined;
    finishTurn(t, input.at, { figures, failed, status, output: m.result, permissionDenials: m.permission_denials?.length });
  }

  // ---- turn end ------------------------------------------------------------------------------

  function finishTurn(t: Turn, at: Date, outcome: TurnOutcome | undefined): void {
    turn = undefined;
    for (const tool of [...t.tools.values()].reverse()) if (t.tools.has(tool.toolUseId)) finishTool(t, tool, at, undefined);
    for (const scope of [...t.scopes.values()].reverse()) if (scope !== t.root) finishSubagent(t, scope, at, undefined, false);
    closeGeneration(t, t.root);

    const rootMeta: Record<string, unknown> = {};
    if (session.claudeSessionId) rootMeta.claudeSessionId = session.claudeSessionId;
    if (outcome?.figures) {
      const f = outcome.figures;
      Object.assign(rootMeta, { costUsd: f.costUsd, numTurns: f.numTurns, durationMs: f.durationMs, durationApiMs: f.durationApiMs, modelUsage: f.modelUsage });
      if (outcome.permissionDenials) rootMeta.permissionDenials = outcome.permissionDenials;
      for (const gap of reconcile(t.calls, f.modelUsage)) {
        const observation = unattributedUsageObservation(ids.spanId(), t.root.obsId, gap, t.startTime, at);
        t.calls.push({ model: gap.model, usage: gap.missing, modelUsageKey: gap.modelUsageKey, observation: options.sendCost ? observation : undefined });
        if (!options.sendCost) emit(t, observation);
      }
      if (options.sendCost) {
        allocateCost(t.calls, f.modelUsage).forEach((cost, i) => {
          const held = t.calls[i]!.observation;
          if (held && cost !== undefined) held.costDetails = { total: cost };
        });
      }
    }
    for (const { observation } of t.calls) if (observation) emit(t, observation);

    let level: ObservationLevel = "DEFAULT";
    let statusMessage: string | undefined;
    if (outcome?.failed) {
      level = "ERROR";
      statusMessage = outcome.status;
    } else if (!outcome && options.turnBoundary === "result") {
      level = "ERROR";
      statusMessage = "incomplete: the run ended without a result message";
    }
    const root: Observation = { id: t.root.obsId, type: "agent", name: TRACE_NAME, level, startTime: t.startTime, endTime: at, metadata: rootMeta };
    if (statusMessage) root.statusMessage = statusMessage;
    if (t.prompt.length > 0) root.input = t.prompt.length === 1 ? t.prompt[0] : t.prompt;
    const output = outcome?.output ?? t.root.lastText;
    if (output) root.output = output;
    emit(t, root);
  }

  // ---- entry points --------------------------------------------------------------------------

  function push(input: MapperInput): ObservationEvent[] {
    out = [];
    const m = asLoose(input.message);
    if (!m) return out;
    if (input.cliVersion) session.cliVersion = input.cliVersion;
    if (m.session_id && m.session_id !== session.claudeSessionId) {
      if (session.claudeSessionId) previousTotals = undefined;
      session.claudeSessionId = m.session_id;
    }
    switch (m.type) {
      case "system":
        onSystem(m, input);
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
    return out;
  }

  function end(reason?: string): ObservationEvent[] {
    out = [];
    if (turn) finishTurn(turn, turn.lastTime, reason ? { failed: true, status: reason } : undefined);
    return out;
  }

  return { push, end };
}

/** The input gathered for the scope's next call, handed over once. */
function takePendingInput(scope: Scope): unknown[] | undefined {
  if (scope.pendingInput.length === 0) return undefined;
  const input = scope.pendingInput;
  scope.pendingInput = [];
  return input;
}

function sameBlock(a: ContentBlock, b: ContentBlock): boolean {
  if (a.type !== b.type) return false;
  if (a.type === "tool_use") return a.id !== undefined && a.id === b.id;
  return JSON.stringify(a) === JSON.stringify(b);
}
