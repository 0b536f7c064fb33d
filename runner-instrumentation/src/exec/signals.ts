import type { ChildProcess } from "node:child_process";
import { constants } from "node:os";

/**
 * Signals passed on to the CLI. SIGUSR1 is left alone: Node reserves it for its inspector.
 * SIGKILL and SIGSTOP cannot be caught; a pod's grace period ends in SIGKILL for both anyway.
 */
export const FORWARDED_SIGNALS: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR2", "SIGWINCH"];

/** Signals that ask the session to stop: the open trace is then ended as interrupted. */
export const STOPPING_SIGNALS = new Set<NodeJS.Signals>(["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"]);

/** Forwards every signal in FORWARDED_SIGNALS to `child`; returns the function that stops it. */
export function forwardSignals(child: ChildProcess, onSignal: (signal: NodeJS.Signals) => void): () => void {
  const handlers = FORWARDED_SIGNALS.map((signal) => {
    const handler = () => {
      try {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      } catch {
        // the child is gone already
      }
      onSignal(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
}

export type ExitOutcome = { code: number } | { signal: NodeJS.Signals };

/** Resolves once everything written to `stream` so far has been handed to the OS (or failed). */
export function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) {
      resolve();
      return;
    }
    try {
      stream.write("", () => resolve());
    } catch {
      resolve();
    }
  });
}

/**
 * Ends this process the way the CLI ended: the same exit code, or death by the same signal, so
 * that a supervisor (the Python SDK, a shell, Kubernetes) sees what it would have seen without
 * the wrapper. A signal whose default action is not to terminate falls back to 128 + its number.
 */
export function exitLike(outcome: ExitOutcome): void {
  if ("code" in outcome) {
    process.exit(outcome.code);
    return;
  }
  const { signal } = outcome;
  process.removeAllListeners(signal);
  const fallback = 128 + (constants.signals[signal] ?? 0);
  try {
    process.kill(process.pid, signal);
  } catch {
    process.exit(fallback);
    return;
  }
  setTimeout(() => process.exit(fallback), 200);
}
