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
  /** LANGFUSE_TRACING_ENVIRONMENT and LANGFUSE_RELEASE, which the Langfuse SDK puts on every span. */
  environment?: string;
  release?: string;
  /** Problems with optional settings, each already phrased for stderr. */
  warnings: string[];
}

export const DEFAULT_MAX_FIELD_BYTES = 32_768;
export const DEFAULT_FLUSH_TIMEOUT_MS = 2_000;
export const DEFAULT_MAX_QUEUED = 10_000;

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);
/**
 * The values that turn masking off, exactly as the platform's Python runner reads
 * LANGFUSE_MASK_MESSAGES (ambient_runner/observability_privacy.py): anything else, unset and
 * empty included, masks.
 */
const UNMASKED = new Set(["0", "false", "no"]);

/** Masking as the runner decides it: on unless LANGFUSE_MASK_MESSAGES is 0, false or no. */
export function masksMessages(value: string | undefined): boolean {
  return !UNMASKED.has((value ?? "").trim().toLowerCase());
}

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
  const urlName = env.LANGFUSE_BASE_URL !== undefined ? "LANGFUSE_BASE_URL" : "LANGFUSE_HOST";
  const given = nonEmpty(env[urlName])?.replace(/\/+$/, "");
  // Langfuse authenticates with the key pair (the Authorization header); credentials in the URL
  // would never be used, only risk being shown.
  const baseUrl = given !== undefined && hasUserinfo(given) ? withoutUserinfo(given) : given;
  if (baseUrl !== given) warnings.push(`${urlName} carries a user name or password; they are not used (Langfuse takes LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY) and were removed.`);

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
  for (const name of ["LANGFUSE_ENABLED", "LANGFUSE_SEND_COST", "INTERACTIVE"] as const) {
    const raw = env[name];
    if (raw !== undefined && raw.trim() !== "" && flag(raw) === undefined) {
      warnings.push(`${name} is "${raw}": use true or false.`);
    }
  }
  const maskRaw = env.LANGFUSE_MASK_MESSAGES;
  if (maskRaw !== undefined && maskRaw.trim() !== "" && masksMessages(maskRaw) && !TRUE.has(maskRaw.trim().toLowerCase())) {
    warnings.push(`LANGFUSE_MASK_MESSAGES is "${maskRaw}": messages stay masked; only false (or 0, no) sends them.`);
  }

  const config: TracingConfig = {
    enabled: true,
    publicKey,
    secretKey,
    baseUrl,
    maskMessages: masksMessages(env.LANGFUSE_MASK_MESSAGES),
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
  // Read as the Langfuse SDK reads them (any value, as it is), and set only when given.
  if (env.LANGFUSE_TRACING_ENVIRONMENT) config.environment = env.LANGFUSE_TRACING_ENVIRONMENT;
  if (env.LANGFUSE_RELEASE) config.release = env.LANGFUSE_RELEASE;

  const missing = [
    !publicKey && "LANGFUSE_PUBLIC_KEY",
    !secretKey && "LANGFUSE_SECRET_KEY",
    // No default endpoint: session data must never go to a hosted service nobody configured.
    !baseUrl && "LANGFUSE_BASE_URL (or LANGFUSE_HOST)",
  ].filter((m): m is string => typeof m === "string");
  if (flag(env.LANGFUSE_ENABLED) === false) {
    config.enabled = false;
    config.disabledReason = "LANGFUSE_ENABLED is false";
  } else if (missing.length > 0) {
    config.enabled = false;
    config.disabledReason = `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set`;
  } else if (!isHttpUrl(baseUrl)) {
    config.enabled = false;
    // The value itself is not repeated: a URL can carry credentials.
    config.disabledReason = `${urlName} is not an http(s) URL`;
  }
  return config;
}

function hasUserinfo(value: string): boolean {
  try {
    const url = new URL(value);
    return url.username !== "" || url.password !== "";
  } catch {
    return false;
  }
}

function withoutUserinfo(value: string): string {
  const url = new URL(value);
  url.username = "";
  url.password = "";
  return url.href.replace(/\/+$/, "");
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
