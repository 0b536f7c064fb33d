import type { UsageDetails } from "./events";
import { addUsage, isZeroUsage, usageFromModelUsage, usageShortfall, ZERO_USAGE, type ModelUsageEntry } from "./usage";

/**
 * The arithmetic of a turn's tokens and cost, apart from the turn machine: figures in, figures
 * out. No ids, no time, no observations.
 */

/** A model name taken apart: the model family and, when the name pins one, its snapshot date. */
export interface ModelIdentity {
  family: string;
  snapshot?: string;
}

/**
 * Reads every form a Claude model is named in: the alias the CLI was given (`claude-sonnet-4-5`),
 * the dated id the API answers with (`claude-sonnet-4-5-20250929`), the CLI's context suffix
 * (`claude-opus-4-6[1m]`), a provider prefix (`anthropic/…`), Bedrock ids and ARNs
 * (`us.anthropic.claude-sonnet-4-5-20250929-v1:0`) and Vertex ids (`claude-sonnet-4-5@20250929`).
 */
export function modelIdentity(name: string): ModelIdentity {
  let n = name.trim().toLowerCase().replace(/\[[^\]]*\]$/, "");
  n = n.slice(n.lastIndexOf("/") + 1);
  n = n.replace(/^(?:[a-z-]+\.)?anthropic\./, "");
  let snapshot: string | undefined;
  const vertex = /@(\d{8})$/.exec(n);
  if (vertex) {
    snapshot = vertex[1];
    n = n.slice(0, vertex.index);
  }
  n = n.replace(/-v\d+(?::\d+)?$/, "");
  const dated = /-(\d{8})$/.exec(n);
  if (dated && !snapshot) {
    snapshot = dated[1];
    n = n.slice(0, dated.index);
  } else {
    n = n.replace(/-latest$/, "");
  }
  return snapshot ? { family: n, snapshot } : { family: n };
}

/**
 * Whether two names denote the same model: the same family, and the same snapshot when both
 * names pin one (an alias stands for any snapshot of its family).
 */
export function sameModel(a: string, b: string): boolean {
  if (a === b) return true;
  const x = modelIdentity(a);
  const y = modelIdentity(b);
  return x.family === y.family && (x.snapshot === undefined || y.snapshot === undefined || x.snapshot === y.snapshot);
}

/** A `modelUsage` key as Langfuse's price table knows it: without the CLI's bracketed suffix. */
export function priceableModelName(modelUsageKey: string): string {
  return modelUsageKey.replace(/\[[^\]]*\]$/, "");
}

/** One model call of a turn, as far as accounting is concerned. */
export interface CallUsage {
  /** The model the API answered with; absent when the source did not record it. */
  model?: string;
  usage: UsageDetails;
  /** The `modelUsage` key this call counts under, when it is already known (a gap's own call). */
  modelUsageKey?: string;
}

/**
 * The `modelUsage` key each call's tokens count under (undefined: none). A call goes to the key
 * naming the same model, an exact name first. A turn with exactly one key and calls of exactly
 * one model is one model, whatever the names say (a proxy or gateway may rename it).
 */
export function attributeCalls(calls: readonly CallUsage[], keys: readonly string[]): Array<string | undefined> {
  const models = new Set(calls.flatMap((c) => (c.model === undefined || c.modelUsageKey !== undefined ? [] : [c.model])));
  const oneModel = keys.length === 1 && models.size === 1;
  return calls.map((c) => {
    if (c.modelUsageKey !== undefined) return keys.includes(c.modelUsageKey) ? c.modelUsageKey : undefined;
    if (c.model === undefined) return undefined;
    if (keys.includes(c.model)) return c.model;
    return keys.find((k) => sameModel(k, c.model!)) ?? (oneModel ? keys[0] : undefined);
  });
}

/** What a turn's calls miss of one `modelUsage` entry. */
export interface UsageGap {
  modelUsageKey: string;
  /**
   * The name to price the gap under: the answered name of the calls counted under the key, else
   * the key without its bracketed suffix.
   */
  model: string;
  reportedByCli: UsageDetails;
  tracedInCalls: UsageDetails;
  missing: UsageDetails;
}

/**
 * The CLI's `modelUsage` counts every call of the turn, including ones a stream shows with
 * placeholder output counts or not at all (compaction, helpers, a sub-agent's last call). Per
 * key, what it reports beyond the calls counted under it; keys with nothing missing are left out.
 */
export function reconcile(calls: readonly CallUsage[], modelUsage: Readonly<Record<string, ModelUsageEntry>>): UsageGap[] {
  const keys = Object.keys(modelUsage);
  const owners = attributeCalls(calls, keys);
  const gaps: UsageGap[] = [];
  for (const key of keys) {
    const mine = calls.filter((_, i) => owners[i] === key);
    const traced = mine.reduce((sum, c) => addUsage(sum, c.usage), ZERO_USAGE);
    const reported = usageFromModelUsage(modelUsage[key]!);
    const missing = usageShortfall(reported, traced);
    if (isZeroUsage(missing)) continue;
    // The names the API answered with; a gap's own call carries a name chosen here.
    const answered = mine.flatMap((c) => (c.model !== undefined && c.modelUsageKey === undefined ? [c.model] : []));
    gaps.push({ modelUsageKey: key, model: answered.at(-1) ?? priceableModelName(key), reportedByCli: reported, tracedInCalls: traced, missing });
  }
  return gaps;
}

/** Anthropic's prices relative to input, the same for every Claude model. */
export const ANTHROPIC_PRICE_WEIGHTS: Readonly<UsageDetails> = Object.freeze({
  input: 1,
  output: 5,
  cache_read_input_tokens: 0.1,
  cache_creation_input_tokens: 1.25,
});

/**
 * Spreads `totalUsd` over calls by the price weight of their usage, so the shares add up to
 * exactly the total. Calls with no weight at all share it equally.
 */
export function spreadCost(usages: readonly UsageDetails[], totalUsd: number, weights: Readonly<UsageDetails> = ANTHROPIC_PRICE_WEIGHTS): number[] {
  const weight = (u: UsageDetails) =>
    u.input * weights.input + u.output * weights.output + u.cache_read_input_tokens * weights.cache_read_input_tokens + u.cache_creation_input_tokens * weights.cache_creation_input_tokens;
  const all = usages.map(weight);
  const sum = all.reduce((a, b) => a + b, 0);
  return all.map((w) => (sum > 0 ? (totalUsd * w) / sum : totalUsd / usages.length));
}

/**
 * Each call's share of the CLI's own cost: per `modelUsage` key, its `costUSD` spread over the
 * calls counted under it. Undefined for calls under no key, or under a key without a cost.
 */
export function allocateCost(calls: readonly CallUsage[], modelUsage: Readonly<Record<string, ModelUsageEntry>>): Array<number | undefined> {
  const owners = attributeCalls(calls, Object.keys(modelUsage));
  const costs: Array<number | undefined> = calls.map(() => undefined);
  for (const [key, entry] of Object.entries(modelUsage)) {
    if (typeof entry.costUSD !== "number") continue;
    const mine = calls.flatMap((c, i) => (owners[i] === key ? [i] : []));
    if (mine.length === 0) continue;
    const shares = spreadCost(mine.map((i) => calls[i]!.usage), entry.costUSD);
    mine.forEach((callIndex, j) => (costs[callIndex] = shares[j]));
  }
  return costs;
}

/**
 * A `result` message's figures. Over a multi-turn session (stream-json input, the Agent SDKs)
 * CLI 2.1.332 reports `total_cost_usd`, `duration_api_ms` and `modelUsage` cumulatively, and
 * `num_turns` and `duration_ms` for the run that just ended.
 */
export interface ResultFigures {
  costUsd: number;
  numTurns: number;
  durationMs: number;
  durationApiMs: number;
  modelUsage: Record<string, ModelUsageEntry>;
}

/** modelUsage fields that are limits, not counts: never differenced. */
const LIMIT_FIELDS = new Set(["contextWindow", "maxOutputTokens"]);
const TOKEN_FIELDS = ["inputTokens", "outputTokens", "cacheReadInputTokens", "cacheCreationInputTokens"] as const;

/**
 * One turn's figures from the session's: the cumulative ones less the previous result's, the
 * per-run ones as they are. A result whose cumulative figures fall below the previous one's
 * (another session, `/clear`) starts a new count and is taken as it is.
 */
export function turnFigures(current: ResultFigures, previous?: ResultFigures): ResultFigures {
  if (!previous || startsNewCount(current, previous)) return current;
  const modelUsage: Record<string, ModelUsageEntry> = {};
  for (const [model, entry] of Object.entries(current.modelUsage)) {
    const before = previous.modelUsage[model];
    if (!before) {
      modelUsage[model] = entry;
      continue;
    }
    const diff: ModelUsageEntry = {};
    for (const [k, v] of Object.entries(entry)) {
      const b = before[k];
      diff[k] = typeof v === "number" && typeof b === "number" && !LIMIT_FIELDS.has(k) ? v - b : v;
    }
    modelUsage[model] = diff;
  }
  return {
    costUsd: current.costUsd - previous.costUsd,
    numTurns: current.numTurns,
    durationMs: current.durationMs,
    durationApiMs: current.durationApiMs >= previous.durationApiMs ? current.durationApiMs - previous.durationApiMs : current.durationApiMs,
    modelUsage,
  };
}

/** Whether a turn's figures hold no cost and no tokens at all. */
export function spendsNothing(f: ResultFigures): boolean {
  return f.costUsd === 0 && Object.values(f.modelUsage).every((e) => TOKEN_FIELDS.every((k) => !Number(e[k])));
}

function startsNewCount(current: ResultFigures, previous: ResultFigures): boolean {
  if (current.costUsd < previous.costUsd) return true;
  return Object.entries(previous.modelUsage).some(([model, before]) => {
    const now = current.modelUsage[model];
    return !now || TOKEN_FIELDS.some((f) => (Number(now[f]) || 0) < (Number(before[f]) || 0));
  });
}
