import { spawn } from "node:child_process";
import * as path from "node:path";
import { BUNDLE } from "./shippedBundle";

/** The workspace bin (the sources through tsx), as `npx claude-langfuse` runs it. */
export const BIN = path.resolve(__dirname, "../bin/claude-langfuse.js");
/** What the runner image runs, and so what the wrapper's tests run (built by the global setup). */
export { BUNDLE };
export const STANDIN = path.resolve(__dirname, "fixtures/claude-standin.js");

export interface WrapperRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** Milliseconds from the stand-in's exit (when it reports it) to the wrapper's. */
  exitDelayMs?: number;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Written to stdin, which is then closed (unless `laterStdin` follows). */
  stdin?: string | Buffer;
  /**
   * Written to stdin once a complete line of stdout has shown `after` (counting from the
   * previous step's marker); stdin is closed after the last one. How an SDK writes its next
   * prompt after a result.
   */
  laterStdin?: Array<{ after: string; write: string }>;
  /** Called with the wrapper's pid once its stdout has produced `whenStdoutHas`. */
  whenStdoutHas?: string;
  onReady?: (pid: number) => void;
  /** The program that runs the wrapper: the shipped bundle under this node by default. */
  entry?: string[];
  timeoutMs?: number;
  /** The working directory (the CLI's workspace). */
  cwd?: string;
}

/**
 * Runs `claude-langfuse <args>` in a child process with only the given environment (plus PATH),
 * collecting stdout as bytes. The stand-in reports its exit on the monotonic clock shared by all
 * processes, so the exit delay is measured from the CLI's own exit.
 */
export function runWrapper(args: string[], options: RunOptions = {}): Promise<WrapperRun> {
  const entry = options.entry ?? [process.execPath, BUNDLE];
  const child = spawn(entry[0]!, [...entry.slice(1), ...args], {
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
    cwd: options.cwd,
  });
  const out: Buffer[] = [];
  let stderr = "";
  let ready = false;
  const later = [...(options.laterStdin ?? [])];
  let seen = 0;
  child.stdout.on("data", (d: Buffer) => {
    out.push(d);
    // Complete lines only, as an SDK acts on a message once it has parsed it.
    const all = Buffer.concat(out).toString("utf8");
    const text = all.slice(0, all.lastIndexOf("\n") + 1);
    while (later.length > 0) {
      const at = text.indexOf(later[0]!.after, seen);
      if (at === -1) break;
      seen = at + later[0]!.after.length;
      child.stdin.write(later.shift()!.write);
      if (later.length === 0) child.stdin.end();
    }
    if (!ready && options.whenStdoutHas && Buffer.concat(out).includes(options.whenStdoutHas)) {
      ready = true;
      options.onReady?.(child.pid!);
    }
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  child.stdin.on("error", () => undefined);
  if (later.length > 0) {
    if (options.stdin !== undefined) child.stdin.write(options.stdin);
  } else if (options.stdin !== undefined) child.stdin.end(options.stdin);
  else if (!options.whenStdoutHas) child.stdin.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      const endedNs = process.hrtime.bigint();
      clearTimeout(timer);
      const m = /standin-exit-ns=(\d+)/.exec(stderr);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out),
        stderr,
        exitDelayMs: m ? Number(endedNs - BigInt(m[1]!)) / 1e6 : undefined,
      });
    });
  });
}

/** The stand-in run directly, without the wrapper: what the wrapper's output must equal. */
export function runDirect(env: Record<string, string> = {}, stdin?: string): Promise<WrapperRun> {
  return runWrapper([], { env, stdin, entry: [process.execPath, STANDIN] });
}
