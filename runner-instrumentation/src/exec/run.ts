import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import * as fs from "node:fs";
import { performance } from "node:perf_hooks";
import type { TracingConfig } from "../config";
import { createFaultReporter, type FaultReporter } from "../faultReporter";
import { exitLike, forwardSignals, STOPPING_SIGNALS, type ExitOutcome } from "./signals";
import type { PromptSource } from "./streamTracer";
import { startTracerLink, type TracerLink } from "./tracerLink";

export interface ExecOptions {
  command: string;
  args: string[];
  /** The CLI's environment (the wrapper's own, plus what the wrapper adds). */
  childEnv: NodeJS.ProcessEnv;
  config: TracingConfig;
  /** False when another wrapper above this one traces the session: pass through only. */
  trace: boolean;
  /** The file the wrapper runs from; it also runs the tracing thread. */
  entry: string;
  /** Where the wrapper's own messages go (stderr); never stdout. */
  stderr?: (text: string) => void;
  /** Where the CLI takes its prompt from, as its arguments say (default: stream-json on stdin). */
  prompt?: Omit<PromptSource, "at">;
  /** CLAUDE_LANGFUSE_TIMINGS_FILE: where to append how long the tracing thread and the exit took (benchmarks). */
  timingsFile?: string;
}

/** How long the CLI's stdout may stay open after it exited (a grandchild can hold it). */
const CLOSE_GRACE_MS = 100;

/**
 * Runs the CLI with its stdin, stdout and stderr passed through and traces the stream-json it
 * writes. The CLI comes first: each stdout chunk is written on before the tracer is handed a copy,
 * and the tracer (parsing, mapping, export) runs on its own thread, so neither its work nor a slow
 * Langfuse can hold the CLI's output. Resolves, at most the flush deadline after the CLI exited,
 * with how the CLI ended.
 */
export function runExec(options: ExecOptions): Promise<ExitOutcome> {
  const stderr = options.stderr ?? ((t: string) => void process.stderr.write(t));
  const faults = createFaultReporter(stderr);
  const { config } = options;
  // An interactive terminal session has no stream-json to trace and needs the terminal itself.
  const tracing = options.trace && config.enabled && !process.stdout.isTTY;
  if (options.trace) for (const w of config.warnings) faults.report(`config:${w}`, `langfuse: ${w}`);
  if (options.trace && !config.enabled) faults.report("disabled", `tracing is off (${config.disabledReason ?? "not configured"}); the CLI runs untraced.`);
  const pipeStdin = tracing && !process.stdin.isTTY;
  const stdio: StdioOptions = tracing ? [pipeStdin ? "pipe" : "inherit", "pipe", "inherit"] : "inherit";

  const startedAt = new Date();
  const spawnedAt = performance.now();
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, { stdio, env: options.childEnv });
  } catch (e) {
    faults.report("spawn", `cannot start ${options.command}: ${(e as Error).message}`);
    return Promise.resolve({ code: 127 });
  }

  return new Promise<ExitOutcome>((resolve) => {
    let stopSignal: NodeJS.Signals | undefined;
    let exitedAt: number | undefined;
    let outcome: ExitOutcome | undefined;
    let finishing = false;
    /** The CLI's CPU as this process counted it once the CLI was reaped (for the timings file). */
    let cliCpuMs: number | undefined;

    const stopForwarding = forwardSignals(child, (signal) => {
      if (STOPPING_SIGNALS.has(signal)) stopSignal ??= signal;
      // Told to stop while flushing: the CLI is gone, so stop waiting for Langfuse, saying what is lost.
      if (outcome && finishing && STOPPING_SIGNALS.has(signal)) {
        link?.abandon(signal);
        exitLike(outcome);
      }
    });

    let link: TracerLink | undefined;
    if (tracing) {
      // Started in the same tick as the CLI, so that it loads while the CLI does; the CLI never
      // waits for it (spawn comes first, and the thread boots on its own).
      link = startTracerLink(options.entry, config, faults, { stdinFormat: "stream-json", ...options.prompt, at: startedAt });
      wireStdout(child, link, faults);
      if (pipeStdin) wireStdin(child, link);
    }

    child.on("error", (e: NodeJS.ErrnoException) => {
      if (exitedAt !== undefined || outcome) return;
      faults.report("spawn", `cannot start ${options.command}: ${e.message}`);
      stopForwarding();
      outcome = { code: e.code === "EACCES" ? 126 : 127 };
      void link?.end("the CLI could not be started", 0);
      resolve(outcome);
    });

    const finish = async () => {
      if (finishing) return;
      finishing = true;
      if (link) {
        const reason = stopSignal ? "interrupted" : "signal" in outcome! ? `the CLI was killed by ${outcome!.signal}` : undefined;
        const left = Math.max(0, Math.round(config.flushTimeoutMs - (performance.now() - (exitedAt ?? performance.now()))));
        await link.end(reason, left);
        if (options.timingsFile) writeTimings(options.timingsFile, spawnedAt, exitedAt, link, cliCpuMs);
      }
      stopForwarding();
      resolve(outcome!);
    };

    child.on("exit", (code, signal) => {
      exitedAt = performance.now();
      if (options.timingsFile) cliCpuMs = reapedChildrenCpuMs();
      outcome = signal ? { signal } : { code: code ?? 1 };
      if (!tracing || !child.stdout || child.stdout.readableEnded || child.stdout.destroyed) {
        void finish();
        return;
      }
      const source = child.stdout;
      let grace: NodeJS.Timeout;
      const giveUp = () => {
        // Paused: our reader is still taking the CLI's last output; that is worth waiting for.
        if (source.isPaused()) {
          grace = setTimeout(giveUp, CLOSE_GRACE_MS);
          return;
        }
        source.destroy();
        void finish();
      };
      grace = setTimeout(giveUp, CLOSE_GRACE_MS);
      source.once("close", () => {
        clearTimeout(grace);
        void finish();
      });
    });
  });
}

/**
 * One JSON line per run, in milliseconds from the CLI's start: when the tracing thread was ready,
 * when the CLI exited, when the thread was done (absent: it was not, by the deadline) and when
 * the wrapper was ready to exit; and the CLI's CPU (its process tree, as reaped), so that a
 * benchmark can tell the wrapper's own CPU from the CLI's. For benchmarks; a failure to write is ignored.
 */
function writeTimings(file: string, spawnedAt: number, exitedAt: number | undefined, link: TracerLink, cliCpuMs: number | undefined): void {
  const t = link.timings();
  const since = (at: number | undefined) => (at === undefined ? undefined : Math.round((at - spawnedAt) * 1000) / 1000);
  const line = { tracerStartMs: since(t.startedAt), tracerReadyMs: since(t.readyAt), cliExitMs: since(exitedAt), tracerDoneMs: since(t.doneAt), exitMs: since(performance.now()), cliCpuMs };
  try {
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  } catch {
    // a benchmark's file is no reason to disturb the CLI
  }
}

/** CPU of this process's reaped children (ms), from /proc/self/stat (Linux; undefined elsewhere). */
function reapedChildrenCpuMs(): number | undefined {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

function wireStdout(child: ChildProcess, link: TracerLink, faults: FaultReporter): void {
  let broken = false;
  process.stdout.on("error", () => {
    // Whoever read our stdout has gone: close the CLI's stdout too, so it sees what it would
    // have seen writing to the closed pipe itself.
    if (broken) return;
    broken = true;
    faults.report("stdout-closed", "stdout was closed by its reader; the CLI's output is no longer passed on.");
    child.stdout?.destroy();
  });
  const source = child.stdout!;
  source.on("data", (chunk: Buffer) => {
    if (!broken) forward(chunk, source);
    link.stdout(chunk);
  });
}

/**
 * Writes a chunk of the CLI's output to our stdout. Straight to the file descriptor when nothing
 * is queued (the cheapest way out, and the bytes leave before anything else happens); what the
 * descriptor does not take right away goes through the stream, and then the reader of our stdout
 * sets the pace, as it would for the CLI itself. The tracer never does.
 */
function forward(chunk: Buffer, source: NodeJS.ReadableStream): void {
  let offset = 0;
  if (process.stdout.writableLength === 0) {
    try {
      offset = fs.writeSync(1, chunk);
    } catch (e) {
      // EAGAIN: the pipe is full; anything else is left for the stream to report.
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") offset = 0;
    }
  }
  if (offset >= chunk.length) return;
  if (!process.stdout.write(offset === 0 ? chunk : chunk.subarray(offset))) {
    source.pause();
    process.stdout.once("drain", () => source.resume());
  }
}

function wireStdin(child: ChildProcess, link: TracerLink): void {
  const input = child.stdin!;
  input.on("error", () => {
    // EPIPE once the CLI has exited or closed its stdin; nothing left to deliver to.
  });
  process.stdin.on("error", () => input.end());
  process.stdin.on("data", (chunk: Buffer) => {
    if (!input.write(chunk)) {
      process.stdin.pause();
      input.once("drain", () => process.stdin.resume());
    }
    link.stdin(chunk);
  });
  process.stdin.on("end", () => {
    input.end();
    link.stdinEnd();
  });
  child.on("exit", () => {
    process.stdin.removeAllListeners("data");
    process.stdin.pause();
  });
}
