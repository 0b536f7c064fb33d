import type { UsageDetails } from "./events";

/** The usage object of an Anthropic message, as far as the tracer reads it. */
export interface MessageUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/** The CLI's per-model totals (`result.modelUsage[model]`). */
export interface ModelUsageEntry {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheCreationInputTokens?: number;
  costUSD?: number;
  [key: string]: unknown;
}

const count = (n: unknown): number => (typeof n === "number" && Number.isFinite(n) && n > 0 ? n : 0);

export const ZERO_USAGE: UsageDetails = Object.freeze({
  input: 0,
  output: 0,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
});

export function usageFromMessage(u: MessageUsage | null | undefined): UsageDetails {
  return {
    input: count(u?.input_tokens),
    output: count(u?.output_tokens),
    cache_read_input_tokens: count(u?.cache_read_input_tokens),
    cache_creation_input_tokens: count(u?.cache_creation_input_tokens),
  };
}

/**
 * A `message_delta` carries the final output count; newer APIs repeat the input-side counts
 * there too, older ones send null. Only the fields it actually carries replace the start's.
 */
export function mergeDeltaUsage(start: UsageDetails, delta: MessageUsage | null | undefined): UsageDetails {
  const pick = (v: number | null | undefined, fallback: number) => (typeof v === "number" ? count(v) : fallback);
  return {
    input: pick(delta?.input_tokens, start.input),
    output: pick(delta?.output_tokens, start.output),
    cache_read_input_tokens: pick(delta?.cache_read_input_tokens, start.cache_read_input_tokens),
    cache_creation_input_tokens: pick(delta?.cache_creation_input_tokens, start.cache_creation_input_tokens),
  };
}

export function usageFromModelUsage(m: ModelUsageEntry): UsageDetails {
  return {
    input: count(m.inputTokens),
    output: count(m.outputTokens),
    cache_read_input_tokens: count(m.cacheReadInputTokens),
    cache_creation_input_tokens: count(m.cacheCreationInputTokens),
  };
}

export function addUsage(a: UsageDetails, b: UsageDetails): UsageDetails {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cache_read_input_tokens: a.cache_read_input_tokens + b.cache_read_input_tokens,
    cache_creation_input_tokens: a.cache_creation_input_tokens + b.cache_creation_input_tokens,
  };
}

/** a − b per key, never below zero. */
export function usageShortfall(a: UsageDetails, b: UsageDetails): UsageDetails {
  return {
    input: Math.max(0, a.input - b.input),
    output: Math.max(0, a.output - b.output),
    cache_read_input_tokens: Math.max(0, a.cache_read_input_tokens - b.cache_read_input_tokens),
    cache_creation_input_tokens: Math.max(0, a.cache_creation_input_tokens - b.cache_creation_input_tokens),
  };
}

export function isZeroUsage(u: UsageDetails): boolean {
  return u.input === 0 && u.output === 0 && u.cache_read_input_tokens === 0 && u.cache_creation_input_tokens === 0;
}

/** Tokens the model read for one call: the call's context size. */
export function contextTokens(u: UsageDetails): number {
  return u.input + u.cache_read_input_tokens + u.cache_creation_input_tokens;
}
