import { parseArgs } from "node:util";
import { version } from "../package.json";
import { readConfig } from "./config";
import { displayUrl } from "./displayUrl";
import { unsentReport } from "./exportLedger";
import type { Exporter } from "./exporter";
import { internalErrorText } from "./faultReporter";
import { execCommand, EXEC_USAGE, invokedAsCli, shimCommand } from "./exec/command";
import type { ExitOutcome } from "./exec/signals";
import { VERIFY_USAGE } from "./verify/usage";

const USAGE = `${EXEC_USAGE}
Usage: claude-langfuse replay [--dry-run] [--] <file>...

Replays saved Claude Code sessions (stream-json captures or ~/.claude/projects transcripts,
detected per file) as Langfuse traces. With --dry-run, prints the traces as one JSON document
instead of sending them. Every file is replayed; lines that are not JSON are named by number
(at most 10 per file). Exits 0 when every file was clean, 1 when one had bad lines, no line of a
Claude session or could not be read (or an export failed), 2 on bad usage.

${VERIFY_USAGE}
Usage: claude-langfuse --version

Environment: LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY, LANGFUSE_BASE_URL (or LANGFUSE_HOST),
LANGFUSE_ENABLED, LANGFUSE_MASK_MESSAGES, LANGFUSE_MAX_FIELD_BYTES, LANGFUSE_SEND_COST,
LANGFUSE_PROJECT, AGENTIC_SESSION_NAME, AGENTIC_SESSION_NAMESPACE, USER_ID, INTERACTIVE,
LANGFUSE_FLUSH_TIMEOUT_MS, CLAUDE_LANGFUSE_CLI, CLAUDE_LANGFUSE_MAX_QUEUED.
`;

/** The wrapper's own subcommands; any other first argument belongs to the CLI (shim mode). */
const OWN_COMMANDS = new Set(["exec", "replay", "verify"]);
/** The commands that stay the wrapper's even when it is invoked as `claude`. */
const ALWAYS_OURS = new Set(["replay", "verify"]);
/**
 * Taken by the wrapper only when alone. `-v` is never the wrapper's: the Python Agent SDK sends
 * it through shim mode to learn the CLI's version.
 */
const HELP = new Set(["--help", "-h", "help"]);
const VERSION = "--version";

/**
 * The bin's entry point. \`exec\` and shim mode end the way the CLI ended (code or signal); the
 * wrapper's own commands end with a code.
 */
export async function run(argv: string[], self: string, io: CliIo = processIo): Promise<ExitOutcome> {
  const [command, ...rest] = argv;
  const execIo = { env: io.env, self, stderr: io.stderr };
  if (command === "exec") return execCommand(rest, execIo);
  const ours = command !== undefined && (OWN_COMMANDS.has(command) || ((HELP.has(command) || command === VERSION) && argv.length === 1));
  // Linked as \`claude\`, every invocation is the CLI's, even \`claude --help\` or a bare \`claude\`.
  if (invokedAsCli(self) ? !ALWAYS_OURS.has(command ?? "") : !ours && command !== undefined) return shimCommand(argv, execIo);
  return { code: await main(argv, io) };
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
};

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    io.stdout(USAGE);
    return 0;
  }
  if (command === VERSION && rest.length === 0) {
    io.stdout(`claude-langfuse ${version}\n`);
    return 0;
  }
  if (command === "verify") {
    // Loaded on use, like replay's modules below.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { verifyCommand } = require("./verify/command") as typeof import("./verify/command");
    return verifyCommand(rest, io);
  }
  if (command !== "replay") {
    io.stderr(command ? `claude-langfuse: unknown command "${command}".\n\n${USAGE}` : USAGE);
    return 2;
  }
  const parsed = replayArguments(rest);
  if ("problem" in parsed) {
    io.stderr(`claude-langfuse: ${parsed.problem}.\n\n${USAGE}`);
    return 2;
  }
  const { dryRun, files } = parsed;

  // Loaded on use: in the bundle, the CLI of `exec` and shim mode starts without waiting for them.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { DryRunExporter } = require("./dryRunExporter") as typeof import("./dryRunExporter");
  const { replayFiles } = require("./replay") as typeof import("./replay");
  const { langfuseExporterFor } = require("./tracer") as typeof import("./tracer");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const warn = (m: string) => io.stderr(`claude-langfuse: ${m}\n`);
  const config = readConfig(io.env);
  for (const w of config.warnings) warn(`langfuse: ${w}`);

  let failures = 0;
  const countingWarn = (m: string) => {
    failures++;
    warn(m);
  };
  const exporter: Exporter | undefined = dryRun ? new DryRunExporter(io.stdout) : langfuseExporterFor(config, countingWarn);
  if (!exporter) {
    io.stderr(`claude-langfuse: tracing is off (${config.disabledReason}); nothing to send. Use --dry-run to see the traces.\n`);
    return 1;
  }
  try {
    // Each file's problems are said as they are found, and counted as failures.
    await replayFiles(files, { config, exporter, warn: countingWarn });
  } catch (e) {
    countingWarn(internalErrorText(e));
  }
  await exporter.shutdown(REPLAY_DEADLINE_MS);
  const ledger = exporter.ledger?.();
  const unsent = ledger && unsentReport(ledger, { url: displayUrl(config.baseUrl), deadlineMs: REPLAY_DEADLINE_MS, deadlineFrom: "after the last file", maxQueued: config.maxQueued });
  if (unsent) countingWarn(unsent);
  return failures > 0 ? 1 : 0;
}

/** How long replay waits for Langfuse once every file is read. */
const REPLAY_DEADLINE_MS = 30_000;

/** `replay`'s own arguments, read as `node:util` parses options: `--` ends them. */
function replayArguments(args: string[]): { dryRun: boolean; files: string[] } | { problem: string } {
  const { tokens } = parseArgs({ args, options: { "dry-run": { type: "boolean" } }, strict: false, allowPositionals: true, tokens: true });
  const files: string[] = [];
  let dryRun = false;
  for (const token of tokens) {
    if (token.kind === "positional") files.push(token.value);
    else if (token.kind === "option" && token.name === "dry-run" && !token.inlineValue) dryRun = true;
    else if (token.kind === "option") return { problem: token.name === "dry-run" ? "--dry-run takes no value" : `unknown option ${token.rawName}` };
  }
  return files.length === 0 ? { problem: "replay needs at least one file" } : { dryRun, files };
}
