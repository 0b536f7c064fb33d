import { postgresRegex } from "./postgresRegex";
import { parseStructuredSetting } from "./structuredSetting";

/**
 * `modelPrices`: model definitions registered in every Langfuse project the stack's runners write
 * into, so that a session on a model newer than the server's own price table is not costed $0.
 * Langfuse prices a generation from the first definition whose pattern matches its model name
 * (a project's own definitions before Langfuse's), by the price of each usage key it carries.
 */

/**
 * The usage keys the tracer sends on every generation (runner-instrumentation's UsageDetails,
 * which a test holds this list to): a price for any other key would never apply.
 */
export const TRACER_USAGE_KEYS = ["input", "output", "cache_read_input_tokens", "cache_creation_input_tokens"] as const;
export type TracerUsageKey = (typeof TRACER_USAGE_KEYS)[number];

/** One validated entry. */
export interface ModelPriceSetting {
  /** Where it was written, for messages and resource names: `modelPrices[0]`. */
  entry: string;
  /** The definition's name in Langfuse (one per name in a project). */
  modelName: string;
  /** A PostgreSQL regular expression, as Langfuse matches it against a generation's model name. */
  matchPattern: string;
  /** The day it applies from, as Langfuse's ISO date-time (`2026-09-01T00:00:00.000Z`). */
  startDate: string;
  /** USD per token, per usage key. */
  prices: Partial<Record<TracerUsageKey, number>>;
  /** Model names the pattern must match: what the entry is for. */
  examples: string[];
}

const SETTING = "ambient-langfuse:modelPrices";
const ENTRY_KEYS = ["modelName", "matchPattern", "startDate", "prices", "examples"];
/** Above this a per-token price is a per-million price given by mistake ($1,000 per million tokens). */
const MAX_PRICE_PER_TOKEN = 0.001;
const EXAMPLE = "{modelName, matchPattern, startDate, prices: {input, output, …}, examples: [model names]}";

/** Reads `modelPrices` (JSON text, as Pulumi hands it over), pushing each problem, named by its entry. */
export function parseModelPrices(raw: string | undefined, problems: string[]): ModelPriceSetting[] {
  if (raw === undefined || raw === "") return [];
  const parsed = parseStructuredSetting(raw);
  if (!Array.isArray(parsed)) {
    problems.push(`${SETTING} must be a list of model definitions, each ${EXAMPLE}`);
    return [];
  }
  const settings: ModelPriceSetting[] = [];
  const names = new Map<string, string>();
  parsed.forEach((value: unknown, index) => {
    const entry = `modelPrices[${index}]`;
    const setting = readEntry(value, `${SETTING}[${index}]`, problems);
    if (setting === undefined) return;
    const at = `${SETTING}[${index}] (${setting.modelName})`;
    const earlier = names.get(setting.modelName);
    if (earlier !== undefined) {
      problems.push(`${at} names the model of ${SETTING}${earlier.slice("modelPrices".length)} again: Langfuse keeps one definition per model name in a project; merge the two`);
      return;
    }
    names.set(setting.modelName, entry);
    settings.push({ entry, ...setting });
  });
  return settings;
}

function readEntry(value: unknown, at: string, problems: string[]): Omit<ModelPriceSetting, "entry"> | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    problems.push(`${at} must be an object ${EXAMPLE}`);
    return undefined;
  }
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !ENTRY_KEYS.includes(k));
  const { modelName, matchPattern, startDate, prices, examples } = fields;
  if (typeof modelName !== "string" || modelName.trim() === "") {
    problems.push(`${at} has no modelName: give the model definition's name, e.g. "claude-opus-4-8"`);
    return undefined;
  }
  const named = `${at} (${modelName})`;
  const before = problems.length;
  if (unknown.length > 0) problems.push(`${named} has unknown keys ${unknown.join(", ")}: use ${ENTRY_KEYS.join(", ")}`);

  const date = readStartDate(startDate, named, problems);
  const readPrices = readPriceTable(prices, named, problems);

  let exampleNames: string[] = [];
  if (!Array.isArray(examples) || examples.length === 0 || !examples.every((e) => typeof e === "string" && e !== "")) {
    problems.push(`${named} needs examples: a list of the model names its pattern must match, e.g. ["${modelName}"]`);
  } else {
    exampleNames = examples as string[];
  }

  if (typeof matchPattern !== "string" || matchPattern === "") {
    problems.push(`${named} has no matchPattern: give the PostgreSQL regular expression Langfuse matches model names with, e.g. "(?i)^${escapeName(modelName)}$"`);
  } else {
    const compiled = postgresRegex(matchPattern);
    if ("problem" in compiled) {
      problems.push(`${named}: its matchPattern cannot be evaluated as PostgreSQL would: ${compiled.problem}; write it with the constructs Langfuse's own table uses, e.g. "(?i)^${escapeName(modelName)}$"`);
    } else if (exampleNames.length > 0) {
      const missed = exampleNames.filter((e) => !compiled.regex.test(e));
      if (missed.length === exampleNames.length) {
        problems.push(`${named}: its matchPattern matches none of its examples (${quoted(missed)}), so it would price none of them: fix the pattern or the examples`);
      } else if (missed.length > 0) {
        problems.push(`${named}: its matchPattern does not match the examples ${quoted(missed)}: sessions on ${missed.length === 1 ? "that model" : "those models"} would not be priced by it; fix the pattern or drop ${missed.length === 1 ? "that example" : "those examples"}`);
      }
    }
  }
  if (problems.length > before || date === undefined || readPrices === undefined) return undefined;
  return { modelName, matchPattern: matchPattern as string, startDate: date, prices: readPrices, examples: exampleNames };
}

function readStartDate(value: unknown, named: string, problems: string[]): string | undefined {
  const day = typeof value === "string" ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  const date = day ? new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]))) : undefined;
  if (!day || !date || date.toISOString().slice(0, 10) !== value) {
    problems.push(`${named} needs startDate, the day its prices apply from, as YYYY-MM-DD (e.g. "2026-09-01")`);
    return undefined;
  }
  return date.toISOString();
}

function readPriceTable(value: unknown, named: string, problems: string[]): ModelPriceSetting["prices"] | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value) || Object.keys(value).length === 0) {
    problems.push(`${named} needs prices: USD per token for any of ${TRACER_USAGE_KEYS.join(", ")}`);
    return undefined;
  }
  const prices: ModelPriceSetting["prices"] = {};
  let ok = true;
  for (const [key, price] of Object.entries(value)) {
    if (!(TRACER_USAGE_KEYS as readonly string[]).includes(key)) {
      problems.push(
        `${named} prices the usage key "${key}", which the tracer does not send (it sends ${TRACER_USAGE_KEYS.join(", ")}): that price would never apply; remove it`,
      );
      ok = false;
    } else if (typeof price !== "number" || !Number.isFinite(price) || price < 0) {
      problems.push(`${named}: prices.${key} must be a number of USD per token, 0 or more (e.g. 0.000005 for $5 per million tokens)`);
      ok = false;
    } else if (price > MAX_PRICE_PER_TOKEN) {
      problems.push(`${named}: prices.${key} is ${price} USD per token: prices are per token, not per million tokens (e.g. 0.000005 for $5 per million)`);
      ok = false;
    } else {
      prices[key as TracerUsageKey] = price;
    }
  }
  return ok ? prices : undefined;
}

/** A model name as a pattern's literal (dots escaped). */
function escapeName(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function quoted(names: string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}
