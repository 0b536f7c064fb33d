import type { UsageGap } from "./accounting";
import { resultText, type ContentBlock, type LooseMessage } from "./claudeMessage";
import type { Observation, UsageDetails } from "./events";

/**
 * The shapes of the observations a turn produces, built from what the mapper has gathered. Pure:
 * the mapper decides when each one is finished; this file decides what it looks like.
 */

export const UNATTRIBUTED_USAGE = "unattributed-usage";
export const API_RETRY_EVENT = "api_retry";
const GENERATION_NAME = "claude";

export type UsageSource = "assistant-line" | "stream-events" | "progress-line" | "toolUseResult";

/** One model call as the mapper gathers it. */
export interface GenerationRecord {
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

export function generationObservation(g: GenerationRecord, parentId: string): Observation {
  const metadata: Record<string, unknown> = { messageId: g.messageId, usageSource: g.usageSource };
  if (g.outputPlaceholder) metadata.outputTokensPlaceholder = true;
  if (g.stopReason) metadata.stopReason = g.stopReason;
  const obs: Observation = {
    id: g.id,
    parentId,
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

export interface ToolCallRecord {
  id: string;
  parentId: string;
  toolUseId: string;
  name: string;
  input: unknown;
  startTime: Date;
}

/** A tool call ended by its result, or left without one when the turn ended first. */
export function toolObservation(tool: ToolCallRecord, at: Date, result: { content: unknown; isError: boolean } | undefined): Observation {
  const obs: Observation = {
    id: tool.id,
    parentId: tool.parentId,
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
  return obs;
}

export interface SubagentRecord {
  id: string;
  parentId?: string;
  name: string;
  startTime: Date;
  input?: unknown;
  /** The model its calls were answered by. */
  model?: string;
  lastText?: string;
  metadata: Record<string, unknown>;
}

/** The report a sub-agent's tool call returns in transcripts (`toolUseResult`). */
export type SubagentReport = Record<string, unknown>;

const REPORT_KEYS = ["agentId", "status", "totalDurationMs", "totalTokens", "totalToolUseCount"];

export function subagentObservation(agent: SubagentRecord, at: Date, report: SubagentReport | undefined, isError: boolean): Observation {
  const metadata: Record<string, unknown> = { ...agent.metadata };
  if (report) for (const key of REPORT_KEYS) if (report[key] !== undefined) metadata[key] = report[key];
  // Not `model`: Langfuse's newer write mode merges trace metadata into each observation's, trace
  // keys winning, and the trace's metadata has a `model` of its own.
  if (agent.model) metadata.agentModel = agent.model;
  const obs: Observation = {
    id: agent.id,
    parentId: agent.parentId,
    type: "agent",
    name: agent.name,
    level: isError ? "ERROR" : "DEFAULT",
    startTime: agent.startTime,
    endTime: at,
    metadata,
  };
  if (agent.input !== undefined) obs.input = agent.input;
  const output = report && Array.isArray(report.content) ? resultText(report.content) : agent.lastText;
  if (output) obs.output = output;
  if (isError) obs.statusMessage = "the sub-agent's tool call failed";
  return obs;
}

/** One model's tokens that the result reports beyond the turn's generations. */
export function unattributedUsageObservation(id: string, parentId: string, gap: UsageGap, startTime: Date, endTime: Date): Observation {
  return {
    id,
    parentId,
    type: "generation",
    name: UNATTRIBUTED_USAGE,
    model: gap.model,
    level: "DEFAULT",
    startTime,
    endTime,
    usageDetails: gap.missing,
    metadata: {
      reason: "the result's modelUsage counts more tokens for this model than the turn's generations carry (placeholder output counts, compaction or calls the stream does not show)",
      modelUsageKey: gap.modelUsageKey,
      reportedByCli: gap.reportedByCli,
      tracedInGenerations: gap.tracedInCalls,
    },
  };
}

/** A `system`/`api_retry` message: the CLI's API call failed and is retried after a delay. */
export function apiRetryEvent(id: string, parentId: string, m: LooseMessage, at: Date): Observation {
  const metadata: Record<string, unknown> = {};
  if (typeof m.attempt === "number") metadata.attempt = m.attempt;
  if (typeof m.max_retries === "number") metadata.maxRetries = m.max_retries;
  if (typeof m.error_status === "number") metadata.status = m.error_status;
  if (typeof m.retry_delay_ms === "number") metadata.delayMs = Math.round(m.retry_delay_ms);
  if (typeof m.error === "string") metadata.error = m.error;
  const what = [m.error, typeof m.error_status === "number" ? `HTTP ${m.error_status}` : undefined].filter(Boolean).join(", ") || "API error";
  const retry = `retry ${metadata.attempt ?? "?"}${metadata.maxRetries !== undefined ? ` of ${metadata.maxRetries}` : ""}`;
  return {
    id,
    parentId,
    type: "event",
    name: API_RETRY_EVENT,
    level: "WARNING",
    statusMessage: `${what}; ${retry}${metadata.delayMs !== undefined ? ` in ${metadata.delayMs} ms` : ""}`,
    startTime: at,
    endTime: at,
    metadata,
  };
}
