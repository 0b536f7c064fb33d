import * as fs from "node:fs";
import * as path from "node:path";
import { readConfig } from "../config";
import { resolveRealCli, SKIP_ENV, skipListForChild } from "../shim";
import { readCliArguments } from "./cliArguments";
import { runExec } from "./run";
import type { ExitOutcome } from "./signals";

export const EXEC_USAGE = `Usage: claude-langfuse exec -- <cli> [args...]
       claude-langfuse <claude arguments...>      (shim: runs \${CLAUDE_LANGFUSE_CLI:-claude})

Runs the Claude Code CLI with stdin, stdout and stderr passed through unchanged and traces the
stream-json it writes to Langfuse; exits as the CLI exits.
`;

export interface ExecCommandIo {
  env: NodeJS.ProcessEnv;
  /** The file the wrapper runs from (process.argv[1]). */
  self: string;
  stderr: (text: string) => void;
}

/** `exec [--] <cli> [args...]`. */
export function execCommand(rest: string[], io: ExecCommandIo): Promise<ExitOutcome> {
  const argv = rest[0] === "--" ? rest.slice(1) : rest;
  if (argv.length === 0) {
    io.stderr(EXEC_USAGE);
    return Promise.resolve({ code: 2 });
  }
  return start(argv[0]!, argv.slice(1), io);
}

/** Shim mode: the arguments are the CLI's own, as the Python SDK passes them to `cli_path`. */
export function shimCommand(args: string[], io: ExecCommandIo): Promise<ExitOutcome> {
  const found = resolveRealCli({ env: io.env, self: io.self });
  if (!found.ok) {
    io.stderr(`claude-langfuse: ${found.message}\n`);
    return Promise.resolve({ code: 127 });
  }
  return start(found.path, args, io, writesStreamJson(args));
}

/**
 * Whether the CLI's arguments ask for stream-json on stdout. Without it (`claude -v`, which the
 * Python SDK runs first; an interactive `claude`) there is nothing to trace, and the wrapper
 * passes everything through without starting its tracer.
 */
export function writesStreamJson(args: string[]): boolean {
  return readCliArguments(args).outputFormat === "stream-json";
}

function start(command: string, args: string[], io: ExecCommandIo, traceable = true): Promise<ExitOutcome> {
  const resolveOptions = { env: io.env, self: io.self };
  // Started by another wrapper (shim chains, nested runners): that one traces the session.
  const nested = (io.env[SKIP_ENV] ?? "") !== "";
  const invocation = readCliArguments(cliArgumentsOf(command, args));
  return runExec({
    command,
    args,
    childEnv: { ...io.env, [SKIP_ENV]: skipListForChild(resolveOptions) },
    config: readConfig(io.env),
    trace: !nested && traceable,
    entry: realEntry(io.self),
    stderr: io.stderr,
    prompt: { argument: invocation.inputFormat === "text" ? invocation.prompt : undefined, stdinFormat: invocation.inputFormat },
    timingsFile: io.env.CLAUDE_LANGFUSE_TIMINGS_FILE || undefined,
  });
}

/** Runtimes a JavaScript build of the CLI can be started with: `exec -- node cli.js -p …`. */
const RUNTIMES = /^(node|nodejs|bun)(\.exe)?$/;

/** The CLI's own arguments: after the script when the command is a JavaScript runtime. */
export function cliArgumentsOf(command: string, args: string[]): string[] {
  if (!RUNTIMES.test(path.basename(command))) return args;
  const script = args.findIndex((a) => !a.startsWith("-"));
  return script === -1 ? [] : args.slice(script + 1);
}

/** Whether the wrapper was started under the CLI's own name (linked as `claude`). */
export function invokedAsCli(self: string): boolean {
  return path.basename(self).replace(/\.[cm]?js$/, "") === "claude";
}

function realEntry(self: string): string {
  try {
    return fs.realpathSync(self);
  } catch {
    return self;
  }
}
