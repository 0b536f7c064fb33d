/**
 * Secrets that leak into prompts and tool output (an `env` dump, a `cat .env`, a curl with a
 * header) are replaced before anything leaves the process. Patterns follow each vendor's
 * published token format; the label says which rule fired, never what matched.
 */
interface Rule {
  label: string;
  pattern: RegExp;
  /** Replacement; `$1`-style groups keep the non-secret part (a key name, a scheme). */
  replacement?: string;
  /** Text every match contains: without it the rule is not run (a cheap test before a costly scan). */
  requires?: string;
}

const RULES: Rule[] = [
  { label: "private-key", pattern: /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----[\s\S]*?-----END \1PRIVATE KEY\2-----/g },
  { label: "anthropic-key", pattern: /\bsk-ant-[A-Za-z0-9]{2,10}-[A-Za-z0-9_-]{20,}/g },
  { label: "langfuse-key", pattern: /\b[sp]k-lf-[A-Za-z0-9-]{8,}/g },
  { label: "openai-key", pattern: /\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}/g },
  { label: "github-token", pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/g },
  { label: "gitlab-token", pattern: /\bgl(?:pat|dt|rt|ptt|cbt|oas|ft|imt|soat|ffct|agent)-[A-Za-z0-9_-]{20,}/g },
  { label: "aws-access-key-id", pattern: /\b(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z0-9]{16}\b/g },
  {
    label: "aws-secret-access-key",
    pattern: /(aws_secret_access_key|AWS_SECRET_ACCESS_KEY|aws_session_token|AWS_SESSION_TOKEN)(["']?\s*[=:]\s*["']?)[A-Za-z0-9/+=]{16,}/g,
    replacement: "$1$2[REDACTED:aws-secret-access-key]",
  },
  { label: "google-api-key", pattern: /\bAIza[0-9A-Za-z_-]{35}/g },
  { label: "google-oauth-token", pattern: /\bya29\.[0-9A-Za-z_-]{20,}/g },
  // A token has a digit or punctuation somewhere; prose ("Bearer authentication") has neither.
  {
    label: "bearer-token",
    pattern: /\b(Bearer)\s+(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}/gi,
    replacement: "$1 [REDACTED:bearer-token]",
  },
  // Base64 credentials look like words, so only the header form counts.
  { label: "basic-auth", pattern: /\b(Authorization["']?\s*[:=]\s*["']?Basic)\s+[A-Za-z0-9+/]{4,}={0,2}/gi, replacement: "$1 [REDACTED:basic-auth]" },
  { label: "url-credentials", pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/g, replacement: "$1:[REDACTED:url-credentials]@", requires: "@" },
  {
    label: "password",
    // `password=…`, `DB_PASSWORD: …`, `"client_secret": "…"`: the name stays, the value goes.
    pattern:
      /(?<![A-Za-z0-9])((?:password|passwd|pwd|secret|secret_key|secret_access_key|api_key|apikey|access_token|auth_token|refresh_token|client_secret|private_key)["']?\s*[=:]\s*["']?)(?!\[REDACTED)[^\s"'&,;]+/gi,
    replacement: "$1[REDACTED:password]",
  },
];

/**
 * Something every rule needs to see before it can match. Most text (code, prose, tool output)
 * has none of it, and one scan is far cheaper than every rule's own. Each alternative is the
 * narrowest one that still contains every match of its rules: `passw` (password, passwd), not
 * `pass`, and `access_token|auth_token|refresh_token`, not `token`, since tool output says
 * "passed" and "input_tokens" all the time.
 */
const MAY_HOLD_A_SECRET = /PRIVATE KEY|sk-|k-lf-|gh[pousr]_|github_pat_|gl[a-z]{1,6}-|A[KSBCRI][A-Z]A[A-Z0-9]{16}|aws_|AIza|ya29\.|bearer|authorization|:\/\/|passw|pwd|secret|api_?key|access_token|auth_token|refresh_token|private_key/i;

export function redactText(text: string): string {
  if (text.length < 5 || !MAY_HOLD_A_SECRET.test(text)) return text;
  let out = text;
  for (const rule of RULES) {
    if (rule.requires !== undefined && !out.includes(rule.requires)) continue;
    out = out.replace(rule.pattern, rule.replacement ?? `[REDACTED:${rule.label}]`);
  }
  return out;
}

/** Redacts every string inside a JSON-like value; object keys are kept. */
export function redactValue<T>(value: T): T {
  return walk(value) as T;
}

function walk(value: unknown): unknown {
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return value.map(walk);
  if (value instanceof Date) return value;
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v);
    return out;
  }
  return value;
}
