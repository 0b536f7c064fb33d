import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { performance } from "node:perf_hooks";
import type { TracingConfig } from "../config";
import { createFaultReporter, exporterFaultKind, type FaultReporter } from "../faultReporter";
import type { Tracer } from "../tracer";
import { LineTap } from "./lineTap";
import { exitLike, forwardSignals, STOPPING_SIGNALS, type ExitOutcome } from "./signals";
import { StreamTracer } from "./streamTracer";

export interface ExecOptions {
  command: string;
  args: string[];
  /** The CLI's environment (the wrapper's own, plus what the wrapper adds). */
  childEnv: NodeJS.ProcessEnv;
  config: TracingConfig;
  /** False when another wrapper above this one traces the session: pass through only. */
  trace: boolean;
  /** Where the wrapper's own messages go (stderr); never stdout. */
  stderr?: (text: string) => void;
}

/** How long the CLI's stdout may stay open after it exited (a grandchild can hold it). */
const CLOSE_GRACE_MS = 100;
/** Share of the flush deadline that parsing the CLI's last output may take. */
const FINAL_PARSE_SHARE = 0.25;

/**
 * Runs the CLI with its stdin, stdout and stderr passed through and traces the stream-json it
 * writes. The CLI comes first: each stdout chunk is written on before the tracer sees it, the
 * tracer parses on later turns of the event loop, and export never holds the CLI's stdout.
 * Resolves, at most the flush deadline after the CLI exited, with how the CLI ended.
 */
export function runExec(options: ExecOptions): Promise<ExitOutcome> {
  const stderr = options.stderr ?? ((t: string) => void process.stderr.write(t));
  const faults = createFaultReporter(stderr);
  const { config } = options;
  // An interactive terminal session has no stream-json to trace and needs the terminal itself.
  const tracing = options.trace && config.enabled && !process.stdout.isTTY;
  if (options.trace && !config.enabled) faults.report("disabled", `tracing is off (${config.disabledReason ?? "not configured"}); the CLI runs untraced.`);
  const pipeStdin = tracing && !process.stdin.isTTY;
  const stdio: StdioOptions = tracing ? [pipeStdin ? "pipe" : "inherit", "pipe", "inherit"] : "inherit";

  if (tracing) quietConsole(faults);

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

    const stopForwarding = forwardSignals(child, (signal) => {
      if (STOPPING_SIGNALS.has(signal)) stopSignal ??= signal;
      // Told to stop again while flushing: the CLI is gone, so stop waiting for Langfuse.
      if (outcome && finishing && STOPPING_SIGNALS.has(signal)) exitLike(outcome);
    });

    const stream = new StreamTracer();
    let tracer: Tracer | undefined;
    const stdoutTap = new LineTap({
      onLine: (line, at) => stream.stdoutLine(line, at),
      onSkipped: (reason) =>
        faults.report(`skip-${reason}`, reason === "backlog" ? "the tracer fell behind the CLI's output; some lines were passed through untraced." : "a line longer than the tracer keeps was passed through untraced."),
    });
    const stdinTap = new LineTap({ onLine: (line, at) => stream.stdinLine(line, at), maxPendingBytes: 8 * 1024 * 1024, maxLineBytes: 8 * 1024 * 1024 });

    if (tracing) {
      wireStdout(child, stdoutTap, faults);
      if (pipeStdin) wireStdin(child, stdinTap);
      // Loading and starting the exporter waits until the CLI is on its way.
      setImmediate(() => {
        tracer = startTracer(config, faults);
        stream.attach(tracer);
      });
    }

    child.on("error", (e: NodeJS.ErrnoException) => {
      if (exitedAt !== undefined || outcome) return;
      faults.report("spawn", `cannot start ${options.command}: ${e.message}`);
      stopForwarding();
      outcome = { code: e.code === "EACCES" ? 126 : 127 };
      resolve(outcome);
    });

    const finish = async () => {
      if (finishing) return;
      finishing = true;
      const since = exitedAt ?? performance.now();
      const deadline = config.flushTimeoutMs;
      if (tracing) {
        if (!tracer) {
          tracer = startTracer(config, faults);
          stream.attach(tracer);
        }
        stdinTap.finish(deadline * FINAL_PARSE_SHARE * 0.2);
        stdoutTap.finish(deadline * FINAL_PARSE_SHARE);
        const reason = stopSignal ? "interrupted" : "signal" in outcome! ? `the CLI was killed by ${outcome!.signal}` : undefined;
        tracer?.end(reason);
        const { malformed, unknown, messages } = stream.counts;
        if (malformed > 0) faults.report("malformed", `${malformed} stdout line(s) were not JSON; passed through unchanged and not traced (${messages} traced, ${unknown} of other types).`);
        const left = Math.max(0, Math.round(deadline - (performance.now() - since)));
        await tracer?.shutdown(left);
      }
      stopForwarding();
      resolve(outcome!);
    };

    child.on("exit", (code, signal) => {
      exitedAt = performance.now();
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

function startTracer(config: TracingConfig, faults: FaultReporter): Tracer | undefined {
  try {
    // Required here, not at the top: the CLI starts before the OpenTelemetry modules load.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createTracer, langfuseExporterFor } = require("../tracer") as typeof import("../tracer");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { STREAM_MAPPING } = require("../sources/streamJson") as typeof import("../sources/streamJson");
    const warn = (m: string) => faults.report(exporterFaultKind(m), m);
    for (const w of config.warnings) faults.report(`config:${w}`, `langfuse: ${w}`);
    const exporter = langfuseExporterFor(config, warn);
    if (!exporter) return undefined;
    return createTracer({ config, exporter, mapping: STREAM_MAPPING, warn });
  } catch (e) {
    faults.report("internal", `tracing is off: it could not be started (${(e as Error).message}).`);
    return undefined;
  }
}

function wireStdout(child: ChildProcess, tap: LineTap, faults: FaultReporter): void {
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
    // The reader of our stdout sets the pace, as it would for the CLI itself; the tracer never does.
    if (!broken && !process.stdout.write(chunk)) {
      source.pause();
      process.stdout.once("drain", () => source.resume());
    }
    tap.push(chunk);
  });
}

function wireStdin(child: ChildProcess, tap: LineTap): void {
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
    tap.push(chunk);
  });
  process.stdin.on("end", () => input.end());
  child.on("exit", () => {
    process.stdin.removeAllListeners("data");
    process.stdin.pause();
  });
}

/**
 * In exec mode stdout belongs to the CLI. Libraries that log through `console` (the Langfuse SDK
 * does) are sent to stderr, once per kind, so nothing of the wrapper's can reach the protocol.
 */
function quietConsole(faults: FaultReporter): void {
  const toStderr = (kind: string) => (...args: unknown[]) => {
    const text = args.map((a) => (a instanceof Error ? a.message : typeof a === "string" ? a : safeJson(a))).join(" ");
    faults.report(`console-${kind}`, text.slice(0, 500));
  };
  console.log = toStderr("log");
  console.info = toStderr("info");
  console.debug = () => undefined;
  console.warn = toStderr("warn");
  console.error = toStderr("error");
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
