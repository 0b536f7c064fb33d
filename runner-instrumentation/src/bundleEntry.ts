import { run } from "./cli";
import { drained, exitLike, type ExitOutcome } from "./exec/signals";
import { isTracerWorker } from "./exec/tracerProtocol";

// The process entry point, shared by the bin (through tsx) and the runner image's bundle; the
// same file runs the wrapper's tracing thread.
// Writes to a pipe may still be queued in this process: exiting waits for them, since the last
// bytes of the CLI's output are usually its result.
const end = async (outcome: ExitOutcome) => {
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  exitLike(outcome);
};

if (isTracerWorker()) {
  // The workspace bin's tracing thread (the bundle's runs its own, smaller code: see tracerLink.ts).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("./exec/tracerWorker") as typeof import("./exec/tracerWorker")).runTracerWorker();
} else {
  run(process.argv.slice(2), process.argv[1] ?? "").then(end, (error: unknown) => {
    process.stderr.write(`claude-langfuse: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
