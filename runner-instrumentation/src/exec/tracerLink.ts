import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import type { TracingConfig } from "../config";
import { displayUrl } from "../displayUrl";
import { countLoss, grouped, unsentReport, waiting, type ExportLedger } from "../exportLedger";
import type { FaultReporter } from "../faultReporter";
import { redactText } from "../redact";
import type { PromptSource } from "./streamTracer";
import type { FromTracer, ToTracer, TracerWorkerData } from "./tracerProtocol";

/** Bytes handed to the tracing thread and not yet parsed; beyond it chunks go untraced. */
const MAX_IN_FLIGHT_BYTES = 32 * 1024 * 1024;
/** The tracing thread's heap: past it the thread dies (and tracing with it), never the wrapper. */
const TRACER_HEAP_MB = 256;
/** Time left, at the end, for the tracing thread's last messages to arrive. */
const REPORT_MARGIN_MS = 100;

/**
 * The tracing thread's own code, set by the bundle's build (`scripts/bundle.mjs`): the thread
 * runs only that (the tracer, the OTLP export), and the main thread never loads it. Undefined in
 * the workspace bin, whose thread loads the sources from `entry`.
 */
declare const TRACER_THREAD_SOURCE: string | undefined;

/** The main thread's end of the tracing thread. Nothing here blocks or throws. */
export interface TracerLink {
  stdout(chunk: Buffer): void;
  stdin(chunk: Buffer): void;
  /** The CLI's stdin was closed. */
  stdinEnd(): void;
  /**
   * Ends the trace (as failed when `reason` is given) and waits for the export, at most `deadlineMs`;
   * then says once, on stderr, what was not sent and why.
   */
  end(reason: string | undefined, deadlineMs: number): Promise<void>;
  /** The wrapper was told to stop while waiting for the export: says what was not sent, now. */
  abandon(signal: NodeJS.Signals): void;
  /** When the thread was started, ready, asked to end and done (performance.now(), ms); for benchmarks. */
  timings(): TracerTimings;
}

export interface TracerTimings {
  startedAt: number;
  readyAt?: number;
  endAskedAt?: number;
  doneAt?: number;
}

/**
 * Starts the tracing thread: the bundle's own tracer code, or else `entry`, the file the wrapper
 * runs from (the bin that loads the TypeScript sources), which becomes the tracer when it sees its
 * worker data.
 */
export function startTracerLink(entry: string, config: TracingConfig, faults: FaultReporter, prompt: PromptSource): TracerLink {
  let worker: Worker | undefined;
  let alive = true;
  let inFlight = 0;
  let done: (() => void) | undefined;
  const timings: TracerTimings = { startedAt: performance.now() };
  /** The last account the thread gave; its final one when `finished`. */
  let ledger: ExportLedger | undefined;
  let finished = false;
  let stoppedEarly = false;
  /** What was handed to the thread, for the report when it never got ready. */
  const handed = { lines: 0, bytes: 0 };
  const stop = (why: string) => {
    if (!alive) return;
    alive = false;
    stoppedEarly = true;
    faults.report("tracer-thread", `tracing stopped: ${why}; the CLI is not affected.`);
    done?.();
  };
  try {
    const data: TracerWorkerData = { claudeLangfuseRole: "tracer", config, prompt: { ...prompt, at: prompt.at.getTime() } };
    const options = { workerData: data, stdout: true, stderr: true, resourceLimits: { maxOldGenerationSizeMb: TRACER_HEAP_MB } };
    worker = typeof TRACER_THREAD_SOURCE === "string" ? new Worker(TRACER_THREAD_SOURCE, { ...options, eval: true }) : new Worker(entry, options);
    // A worker's own stdout would land in ours, which is the CLI's: it is reported instead.
    const relay = (d: Buffer) => faults.report("tracer-output", redactText(d.toString("utf8").trim().slice(0, 500)));
    worker.stdout.on("data", relay);
    worker.stderr.on("data", relay);
    worker.on("message", (m: FromTracer) => {
      if (m.type === "consumed") inFlight -= m.bytes;
      else if (m.type === "fault") faults.report(m.kind, m.message);
      else if (m.type === "ready") timings.readyAt = performance.now();
      else if (m.type === "ledger") ledger = m.ledger;
      else if (m.type === "done") {
        if (m.ledger) ledger = m.ledger;
        finished = true;
        timings.doneAt = performance.now();
        done?.();
      }
    });
    worker.on("error", (e) => stop(`the tracing thread failed (${e.message})`));
    worker.on("exit", () => stop("the tracing thread ended early"));
    // The tracing thread must not keep the wrapper alive on its own.
    worker.unref();
  } catch (e) {
    stop(`the tracing thread could not start (${(e as Error).message})`);
  }

  const dropped = { stdout: false, stdin: false };
  const send = (stream: "stdout" | "stdin", chunk: Buffer) => {
    if (!alive || !worker) return;
    if (inFlight + chunk.length > MAX_IN_FLIGHT_BYTES) {
      dropped[stream] = true;
      post({ type: "gap", stream, endsLine: chunk[chunk.length - 1] === 0x0a });
      faults.report("skip-backlog", "the tracer fell behind the CLI's output; some lines were passed through untraced.");
      return;
    }
    inFlight += chunk.length;
    if (stream === "stdout") {
      handed.bytes += chunk.length;
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) handed.lines++;
    }
    // A chunk read from a pipe is a view into a larger buffer (64 KiB), which a message would copy
    // whole: its bytes alone go, in a buffer of their own that is handed over, not copied.
    const bytes = new Uint8Array(chunk.length);
    bytes.set(chunk);
    post({ type: stream, chunk: bytes, at: Date.now() }, [bytes.buffer]);
  };
  const post = (m: ToTracer, transfer?: ArrayBuffer[]) => {
    try {
      worker!.postMessage(m, transfer);
    } catch (e) {
      stop(`the tracing thread could not be reached (${(e as Error).message})`);
    }
  };

  return {
    stdout: (chunk) => send("stdout", chunk),
    stdin: (chunk) => send("stdin", chunk),
    stdinEnd: () => {
      if (alive && worker) post({ type: "stdin-end" });
    },
    end(reason, deadlineMs) {
      timings.endAskedAt = performance.now();
      const ended = !alive || !worker
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(finish, deadlineMs);
            function finish() {
              clearTimeout(timer);
              alive = false;
              resolve();
            }
            done = finish;
            // The thread stops short of the deadline, so that its last reports reach us in time.
            post({ type: "end", reason, deadlineAt: Date.now() + Math.max(0, deadlineMs - REPORT_MARGIN_MS) });
          });
      return ended.then(() => {
        const report = lossReport();
        if (report) faults.report("unsent", report);
      });
    },
    abandon(signal) {
      alive = false;
      const report = lossReport(`; cut short by ${signal}`);
      if (report) faults.report("unsent", report);
    },
    timings: () => ({ ...timings }),
  };

  /**
   * What was not sent, said once by this thread whatever state the tracing thread is in: not
   * ready by the deadline, stopped, late with its last account, or done.
   */
  function lossReport(cutShort = ""): string | undefined {
    const url = displayUrl(config.baseUrl);
    if (timings.readyAt === undefined && !finished && handed.lines + handed.bytes > 0) {
      return (
        `langfuse: the tracing thread was not ready by the deadline (${grouped(config.flushTimeoutMs)} ms after the CLI exited${cutShort}): ` +
        `${grouped(handed.lines)} lines (${grouped(handed.bytes)} bytes) of the CLI's output were never traced, ` +
        `so nothing of this session was sent to ${url}.`
      );
    }
    if (!ledger) return undefined;
    const account: ExportLedger = { ...ledger, lost: { ...ledger.lost } };
    // A thread that stopped took what it still held with it.
    if (stoppedEarly && !finished) countLoss(account, "thread-stopped", waiting(account));
    return unsentReport(account, { url, deadlineMs: config.flushTimeoutMs, deadlineFrom: `after the CLI exited${cutShort}`, maxQueued: config.maxQueued });
  }
}
