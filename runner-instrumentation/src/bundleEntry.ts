import { run } from "./cli";
import { exitLike } from "./exec/signals";

// The process entry point, shared by the bin (through tsx) and the runner image's bundle.
run(process.argv.slice(2), process.argv[1] ?? "").then(exitLike, (error: unknown) => {
  process.stderr.write(`claude-langfuse: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
