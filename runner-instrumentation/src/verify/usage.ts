/** `verify`'s usage text, apart from the command so that the CLI shows it without loading replay and the exporter. */
export const DEFAULT_TIMEOUT_SECONDS = 120;

export const VERIFY_USAGE = `Usage: claude-langfuse verify [--session <id>] [--timeout <seconds>] [--] <capture>

Checks that a live Langfuse holds what a session produced: waits (at most --timeout seconds,
default 120) until the session's traces hold as many observations as a dry run of the capture
(as replay --dry-run makes it), then compares observation counts by type, each generation's
model and usage (input, output, cache_read_input_tokens, cache_creation_input_tokens) and the
totals, and prints a table. The session is --session, else the one the dry run names
(AGENTIC_SESSION_NAME, else the Claude session id). Reads LANGFUSE_BASE_URL (or LANGFUSE_HOST),
LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY. Exits 0 on a match, 1 on a difference, 2 on bad
usage or settings (keys Langfuse refuses included), 3 when the traces did not arrive in time.
`;
