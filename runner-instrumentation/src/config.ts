/**
 * The environment the tracer reads, in one place. The platform injects these into runner pods
 * (Secret `langfuse-keys`, ConfigMap `langfuse-config`, the operator's own variables).
 */
export interface TracingConfig {
  /** False when tracing is off; `disabledReason` then says why, without any secret. */
  enabled: boolean;
  disabledReason?: string;
  publicKey?: string;
  secretKey?: string;
  /** Langfuse's base URL without a trailing slash. */
  baseUrl?: string;
  maskMessages: boolean;
  maxFieldBytes: number;
  sendCost: boolean;
  /** Langfuse session id: the AgenticSession's name. */
  sessionName?: string;
  userId?: string;
  project?: string;
  interactive?: boolean;
  /** LANGFUSE_FLUSH_TIMEOUT_MS: how long the wrapper may wait for Langfuse once the CLI has exited. */
  flushTimeoutMs: number;
  /** CLAUDE_LANGFUSE_MAX_QUEUED: observations that may wait for Langfuse; older ones are dropped beyond it. */
  maxQueued: number;
  /** Problems with optional settings, each already phrased for stderr. */
  warnings: string[];
}

export const DEFAULT_MAX_FIELD_BYTES = 32_768;
export const DEFAULT_FLUSH_TIMEOUT_MS = 2_000;
export const DEFAULT_MAX_QUEUED = 10_000;
/**
 * Read instead of LANGFUSE_ENABLED when set (even empty). A runner image that traces through the
 * wrapper sets LANGFUSE_ENABLED=false for its own Python tracer and hands the original value on
 * under this name, so that one session is traced once.
 */
export const WRAPPER_ENABLED_ENV = "CLAUDE_LANGFUSE_ENABLED";

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);

function flag(value: string | undefined): boolean | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): TracingConfig {
  const warnings: string[] = [];
  const publicKey = nonEmpty(env.LANGFUSE_PUBLIC_KEY);
  const secretKey = nonEmpty(env.LANGFUSE_SECRET_KEY);
  // LANGFUSE_HOST is the platform's older name for the same setting.
  const baseUrl = nonEmpty(env.LANGFUSE_BASE_URL ?? env.LANGFUSE_HOST)?.replace(/\/+$/, "");

  // A bad number falls back to the default and says so once, rather than stopping the runner.
  const wholeNumber = (name: string, fallback: number, min: number, max: number, unit: string): number => {
    const raw = nonEmpty(env[name]);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    const range = max === Number.MAX_SAFE_INTEGER ? `, at least ${min}` : ` from ${min} to ${max}`;
    warnings.push(`${name} is "${raw}": use a whole number of ${unit}${range}; using ${fallback}.`);
    return fallback;
  };
  const maxFieldBytes = wholeNumber("LANGFUSE_MAX_FIELD_BYTES", DEFAULT_MAX_FIELD_BYTES, 256, Number.MAX_SAFE_INTEGER, "bytes");
  const flushTimeoutMs = wholeNumber("LANGFUSE_FLUSH_TIMEOUT_MS", DEFAULT_FLUSH_TIMEOUT_MS, 0, 60_000, "milliseconds");
  const maxQueued = wholeNumber("CLAUDE_LANGFUSE_MAX_QUEUED", DEFAULT_MAX_QUEUED, 100, Number.MAX_SAFE_INTEGER, "observations");
  const enabledName = env[WRAPPER_ENABLED_ENV] !== undefined ? WRAPPER_ENABLED_ENV : "LANGFUSE_ENABLED";
  const enabledRaw = env[enabledName];
  for (const name of [enabledName, "LANGFUSE_MASK_MESSAGES", "LANGFUSE_SEND_COST", "INTERACTIVE"] as const) {
    const raw = env[name];
    if (raw !== undefined && raw.trim() !== "" && flag(raw) === undefined) {
      warnings.push(`${name} is "${raw}": use true or false.`);
    }
  }

  const config: TracingConfig = {
    enabled: true,
    publicKey,
    secretKey,
    baseUrl,
    maskMessages: flag(env.LANGFUSE_MASK_MESSAGES) ?? false,
    maxFieldBytes,
    sendCost: flag(env.LANGFUSE_SEND_COST) ?? false,
    sessionName: nonEmpty(env.AGENTIC_SESSION_NAME),
    userId: nonEmpty(env.USER_ID),
    project: nonEmpty(env.LANGFUSE_PROJECT) ?? nonEmpty(env.AGENTIC_SESSION_NAMESPACE),
    interactive: flag(env.INTERACTIVE),
    flushTimeoutMs,
    maxQueued,
    warnings,
  };

  const missing = [
    !publicKey && "LANGFUSE_PUBLIC_KEY",
    !secretKey && "LANGFUSE_SECRET_KEY",
    // No default endpoint: session data must never go to a hosted service nobody configured.
    !baseUrl && "LANGFUSE_BASE_URL (or LANGFUSE_HOST)",
  ].filter((m): m is string => typeof m === "string");
  if (flag(enabledRaw) === false) {
    config.enabled = false;
    config.disabledReason = `${enabledName} is false`;
  } else if (missing.length > 0) {
    config.enabled = false;
    config.disabledReason = `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set`;
  } else if (!isHttpUrl(baseUrl)) {
    config.enabled = false;
    // The value itself is not repeated: a URL can carry credentials.
    config.disabledReason = `${env.LANGFUSE_BASE_URL ? "LANGFUSE_BASE_URL" : "LANGFUSE_HOST"} is not an http(s) URL`;
  }
  return config;
}

function isHttpUrl(value: string | undefined): boolean {
  if (!value) return false;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
