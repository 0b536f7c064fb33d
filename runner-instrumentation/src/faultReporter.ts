/**
 * Tracing problems reported on stderr at most once per kind. A runner's stderr may be a pipe
 * that nobody drains (the Python SDK reads it only when asked to), so a failure that repeats on
 * every export must not turn into an unbounded stream of lines that could fill that pipe.
 */
export interface FaultReporter {
  /** Writes `message` unless a fault of this `kind` was already reported. */
  report(kind: string, message: string): void;
  /** How many reports each kind received, the written one included. */
  counts(): Record<string, number>;
}

export function createFaultReporter(write: (line: string) => void, prefix = "claude-langfuse"): FaultReporter {
  const seen = new Map<string, number>();
  return {
    report(kind, message) {
      const n = seen.get(kind) ?? 0;
      seen.set(kind, n + 1);
      if (n > 0) return;
      try {
        write(`${prefix}: ${message}\n`);
      } catch {
        // stderr itself failing is no reason to disturb the CLI.
      }
    },
    counts: () => Object.fromEntries(seen),
  };
}

/** Sorts the tracer's messages into kinds, so that each kind is said once. */
export function tracerFaultKind(message: string): string {
  if (/tracing stopped after an internal error/.test(message)) return "internal";
  if (/tracing is off/.test(message)) return "disabled";
  return "tracer";
}

/** Errors whose messages V8 writes itself, naming code and never data. */
const CODE_ERRORS = new Set(["TypeError", "RangeError", "ReferenceError"]);

/**
 * An internal error as a message may show it: its class, and its text only where V8 wrote it
 * (a JSON SyntaxError quotes its input, a library's Error may carry anything).
 */
export function internalErrorText(e: unknown): string {
  const name = e instanceof Error && /^\w+$/.test(e.name) ? e.name : "Error";
  return e instanceof Error && CODE_ERRORS.has(e.name) ? `${name}: ${e.message.slice(0, 200)}` : name;
}
