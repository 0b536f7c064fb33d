/**
 * What the wrapper needs to know from the Claude Code CLI's own arguments, read the way the CLI
 * reads them (commander): the prompt given as `claude -p "<prompt>"` or as the positional
 * argument (stream-json never repeats it), and the input and output formats. The arguments are
 * passed to the CLI unchanged; this only reads them.
 */

/** How an option takes its value: none, exactly one, one if the next argument is not an option, or several. */
type Arity = "flag" | "value" | "optional" | "variadic";

/**
 * The CLI's options that take values. Public ones as `claude --help` (2.1.332) lists them (a
 * test checks this table against the real CLI's help); hidden ones as the Agent SDKs pass them.
 * Every other known option is a flag.
 */
const VALUE_OPTIONS: Readonly<Record<string, Arity>> = {
  "--add-dir": "variadic",
  "--agent": "value",
  "--agents": "value",
  "--allowedTools": "variadic",
  "--allowed-tools": "variadic",
  "--append-system-prompt": "value",
  "--autocompact": "value",
  "--betas": "variadic",
  "--cloud": "optional",
  "--debug": "optional",
  "-d": "optional",
  "--debug-file": "value",
  "--disallowedTools": "variadic",
  "--disallowed-tools": "variadic",
  "--effort": "value",
  "--environment": "value",
  "--fallback-model": "value",
  "--file": "variadic",
  "--from-pr": "optional",
  "--input-format": "value",
  "--json-schema": "value",
  "--max-budget-usd": "value",
  "--mcp-config": "variadic",
  "--model": "value",
  "--name": "value",
  "-n": "value",
  "--output-format": "value",
  "--permission-mode": "value",
  "--permission-prompts": "value",
  "--plugin-dir": "value",
  "--plugin-url": "value",
  "--prompt-suggestions": "optional",
  "--remote-control": "optional",
  "--remote-control-session-name-prefix": "value",
  "--resume": "optional",
  "-r": "optional",
  "--session-id": "value",
  "--setting-sources": "value",
  "--settings": "value",
  "--system-prompt": "value",
  "--system-prompt-snapshot": "value",
  "--teleport": "optional",
  "--tools": "variadic",
  "--worktree": "optional",
  "-w": "optional",
  // Hidden, as the Agent SDKs pass them.
  "--max-turns": "value",
  "--max-thinking-tokens": "value",
  "--permission-prompt-tool": "value",
  "--resume-session-at": "value",
  "--system-prompt-file": "value",
  "--append-system-prompt-file": "value",
  "--task-budget": "value",
  "--thinking": "value",
  "--thinking-display": "value",
  "--project-config-root": "value",
  "--plugin-dir-no-mcp": "value",
  "--sdk-url": "value",
};

/** The CLI's options that take no value, as `claude --help` lists them, and hidden ones the SDKs pass. */
const FLAGS: ReadonlySet<string> = new Set([
  "--allow-dangerously-skip-permissions",
  "--ax-screen-reader",
  "--bg",
  "--background",
  "--bare",
  "--brief",
  "--chrome",
  "--continue",
  "-c",
  "--dangerously-skip-permissions",
  "--desktop",
  "--disable-slash-commands",
  "--exclude-dynamic-system-prompt-sections",
  "--fork-session",
  "--forward-subagent-text",
  "--help",
  "-h",
  "--ide",
  "--include-hook-events",
  "--include-partial-messages",
  "--no-chrome",
  "--no-session-persistence",
  "--print",
  "-p",
  "--replay-user-messages",
  "--restricted",
  "--safe-mode",
  "--strict-mcp-config",
  "--tmux",
  "--verbose",
  "--version",
  "-v",
  // Hidden, as the Agent SDKs pass them.
  "--await-initialize",
  "--managed-settings-in-initialize",
  "--session-mirror",
]);

/** The CLI's subcommands: a first positional argument naming one is a command, not a prompt. */
const COMMANDS: ReadonlySet<string> = new Set([
  "agents",
  "attach",
  "auth",
  "auto-mode",
  "doctor",
  "gateway",
  "import",
  "install",
  "kill",
  "logs",
  "mcp",
  "plugin",
  "plugins",
  "purge",
  "respawn",
  "rm",
  "setup-token",
  "stop",
  "ultrareview",
  "update",
  "upgrade",
]);

export interface CliInvocation {
  /**
   * The prompt given on the command line. Absent when there is none, or when the arguments hold
   * an option this table does not know (the CLI refuses those; a prompt read past one could be
   * an option's value).
   */
  prompt?: string;
  inputFormat: "text" | "stream-json";
  outputFormat?: string;
}

export function readCliArguments(args: readonly string[]): CliInvocation {
  const values = new Map<string, string>();
  const positional: string[] = [];
  let understood = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const arity = VALUE_OPTIONS[name] ?? (FLAGS.has(name) ? "flag" : undefined);
    if (arity === undefined) {
      if (!shortFlagsTogether(arg)) understood = false;
      continue;
    }
    if (eq > 0) {
      values.set(name, arg.slice(eq + 1));
      continue;
    }
    const next = args[i + 1];
    if (arity === "value" && next !== undefined) {
      values.set(name, next);
      i++;
    } else if (arity === "optional" && next !== undefined && !next.startsWith("-")) {
      values.set(name, next);
      i++;
    } else if (arity === "variadic") {
      while (args[i + 1] !== undefined && !args[i + 1]!.startsWith("-")) i++;
    }
  }
  const invocation: CliInvocation = { inputFormat: values.get("--input-format") === "stream-json" ? "stream-json" : "text" };
  const outputFormat = values.get("--output-format");
  if (outputFormat !== undefined) invocation.outputFormat = outputFormat;
  const first = positional[0];
  if (understood && first !== undefined && first !== "" && !COMMANDS.has(first)) invocation.prompt = first;
  return invocation;
}

/** `-pc`: short flags written together, each one a known flag. */
function shortFlagsTogether(arg: string): boolean {
  return /^-[a-zA-Z]{2,}$/.test(arg) && [...arg.slice(1)].every((c) => FLAGS.has(`-${c}`));
}

/** The option table, for the test that holds it against the real CLI's `--help`. */
export function knownOptionArity(name: string): Arity | undefined {
  return VALUE_OPTIONS[name] ?? (FLAGS.has(name) ? "flag" : undefined);
}
