import * as fs from "node:fs";
import * as path from "node:path";

/** Holds the real paths of every wrapper already running above this process, so none runs twice. */
export const SKIP_ENV = "CLAUDE_LANGFUSE_SKIP";
export const CLI_ENV = "CLAUDE_LANGFUSE_CLI";
export const DEFAULT_CLI = "claude";

export interface ResolveOptions {
  env: NodeJS.ProcessEnv;
  /** The file this wrapper runs from (process.argv[1]); its real path is never chosen. */
  self: string;
  cwd?: string;
}

export type Resolution = { ok: true; path: string } | { ok: false; message: string };

function realPath(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Real paths a resolved CLI must not be: this wrapper and any wrapper that started it. */
export function wrapperPaths(options: ResolveOptions): Set<string> {
  const skip = new Set<string>();
  const own = realPath(options.self);
  if (own) skip.add(own);
  for (const p of (options.env[SKIP_ENV] ?? "").split(path.delimiter)) {
    if (p) skip.add(p);
  }
  return skip;
}

/** The value of SKIP_ENV for the child: the inherited list plus this wrapper. */
export function skipListForChild(options: ResolveOptions): string {
  return [...wrapperPaths(options)].join(path.delimiter);
}

/**
 * The real CLI for shim mode: `CLAUDE_LANGFUSE_CLI` (a path, or a name looked up on PATH), else
 * `claude` on PATH. Installed as `/usr/local/bin/claude-langfuse` and also linked as `claude`,
 * the first `claude` on PATH is the wrapper itself: candidates are compared by real path and
 * every wrapper is passed over, so the search cannot pick itself and loop.
 */
export function resolveRealCli(options: ResolveOptions): Resolution {
  const { env } = options;
  const name = env[CLI_ENV]?.trim() || DEFAULT_CLI;
  const skip = wrapperPaths(options);
  if (name.includes("/")) {
    const candidate = path.resolve(options.cwd ?? process.cwd(), name);
    const real = realPath(candidate);
    if (!real || !isExecutableFile(real)) return { ok: false, message: `${CLI_ENV} is "${name}", which is not an executable file.` };
    if (skip.has(real)) return { ok: false, message: `${CLI_ENV} is "${name}", which is this wrapper; point it at the real Claude Code CLI.` };
    return { ok: true, path: candidate };
  }
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(path.resolve(options.cwd ?? process.cwd(), dir), name);
    const real = realPath(candidate);
    if (!real || skip.has(real) || !isExecutableFile(real)) continue;
    return { ok: true, path: candidate };
  }
  return {
    ok: false,
    message: `no "${name}" on PATH other than this wrapper; install the Claude Code CLI or set ${CLI_ENV} to its path.`,
  };
}
