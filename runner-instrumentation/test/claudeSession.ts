import type { LooseMessage } from "../src/claudeMessage";
import type { MapperInput } from "../src/mapper";
import type { MessageUsage } from "../src/usage";

/**
 * Builders for Claude messages shaped like the CLI writes them (stream-json / Agent SDK), so
 * that mapper tests read like the sessions they describe.
 */
export const SESSION = "0f8c2b1e-6d3a-4c57-9f0e-2a7b5d9c1e44";
export const SONNET = "claude-sonnet-4-5-20250929";
/** The name the CLI is given (`--model`) and keys `result.modelUsage` by; the API answers SONNET. */
export const SONNET_ALIAS = "claude-sonnet-4-5";
export const HAIKU = "claude-haiku-4-5-20251001";

/** 12:00:00 UTC on a fixed day plus `seconds`. */
export const at = (seconds: number): Date => new Date(Date.UTC(2026, 1, 9, 12, 0, 0) + seconds * 1000);

let uuid = 0;
const nextUuid = () => `00000000-0000-4000-8000-${(++uuid).toString().padStart(12, "0")}`;

export function init(model = SONNET, version = "2.1.41"): LooseMessage {
  return { type: "system", subtype: "init", session_id: SESSION, model, claude_code_version: version, cwd: "/workspace/repo", uuid: nextUuid() };
}

export function usage(input: number, output: number, cacheRead = 0, cacheCreation = 0): MessageUsage {
  return { input_tokens: input, output_tokens: output, cache_read_input_tokens: cacheRead, cache_creation_input_tokens: cacheCreation };
}

export const text = (t: string) => ({ type: "text", text: t });
export const thinking = (t: string) => ({ type: "thinking", thinking: t, signature: "EqQBCkYIBxgCKkA" });
export const toolUse = (id: string, name: string, input: Record<string, unknown>) => ({ type: "tool_use", id, name, input });

export function assistant(
  id: string,
  blocks: Array<Record<string, unknown>>,
  u: MessageUsage,
  opts: { parent?: string; model?: string; stopReason?: string } = {},
): LooseMessage {
  return {
    type: "assistant",
    message: { id, model: opts.model ?? SONNET, role: "assistant", content: blocks as never, usage: u, stop_reason: opts.stopReason ?? null },
    parent_tool_use_id: opts.parent ?? null,
    session_id: SESSION,
    uuid: nextUuid(),
  };
}

export function prompt(content: string, parent?: string): LooseMessage {
  return { type: "user", message: { role: "user", content }, parent_tool_use_id: parent ?? null, session_id: SESSION, uuid: nextUuid() };
}

export function toolResult(toolUseId: string, content: string, opts: { isError?: boolean; parent?: string; toolUseResult?: unknown } = {}): LooseMessage {
  const m: LooseMessage = {
    type: "user",
    message: { role: "user", content: [{ type: "tool_result", tool_use_id: toolUseId, content, is_error: opts.isError ?? false }] },
    parent_tool_use_id: opts.parent ?? null,
    session_id: SESSION,
    uuid: nextUuid(),
  };
  if (opts.toolUseResult !== undefined) m.tool_use_result = opts.toolUseResult;
  return m;
}

export interface ModelTotals {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
  costUSD: number;
}

export function result(fields: {
  subtype?: string;
  isError?: boolean;
  cost: number;
  numTurns: number;
  durationMs: number;
  durationApiMs: number;
  modelUsage: Record<string, ModelTotals>;
  text?: string;
}): LooseMessage {
  const modelUsage: Record<string, Record<string, number>> = {};
  for (const [model, m] of Object.entries(fields.modelUsage)) {
    modelUsage[model] = { ...m, webSearchRequests: 0, contextWindow: 200_000, maxOutputTokens: 64_000 };
  }
  return {
    type: "result",
    subtype: fields.subtype ?? "success",
    is_error: fields.isError ?? false,
    total_cost_usd: fields.cost,
    num_turns: fields.numTurns,
    duration_ms: fields.durationMs,
    duration_api_ms: fields.durationApiMs,
    modelUsage,
    result: fields.text ?? "Done.",
    session_id: SESSION,
    uuid: nextUuid(),
  };
}

/** The CLI's note that an API call failed and will be retried (`system`/`api_retry`). */
export function apiRetry(attempt: number, status: number, delayMs: number, error = "overloaded"): LooseMessage {
  return { type: "system", subtype: "api_retry", attempt, max_retries: 10, retry_delay_ms: delayMs, error_status: status, error, session_id: SESSION, uuid: nextUuid() };
}

export function streamEvent(event: Record<string, unknown>, parent?: string): LooseMessage {
  return { type: "stream_event", event: event as never, parent_tool_use_id: parent ?? null, session_id: SESSION, uuid: nextUuid() };
}

/** Pairs messages with their times: `[seconds, message]`. */
export const timed = (entries: Array<[number, LooseMessage]>): MapperInput[] => entries.map(([s, message]) => ({ message, at: at(s) }));
