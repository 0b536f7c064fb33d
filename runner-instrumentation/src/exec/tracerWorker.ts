import { parentPort, workerData } from "node:worker_threads";
import type { TracingConfig } from "../config";
import type { ExportLedger } from "../exportLedger";
import type { Tracer } from "../tracer";
import { LineTap } from "./lineTap";
import { StreamTracer } from "./streamTracer";
import type { FromTracer, ToTracer, TracerWorkerData } from "./tracerProtocol";

/** How often, at most, the main thread is told what became of the spans. */
const LEDGER_EVERY_MS = 100;

/** Share of the flush deadline that parsing the CLI's last output may take. */
const FINAL_PARSE_SHARE = 0.5;

/**
 * The tracing thread: parsing, mapping and export happen here, so that neither their CPU nor
 * their garbage collection can delay the bytes the main thread forwards.
 */
export function runTracerWorker(): void {
  const port = parentPort!;
  const { config, prompt } = workerData as TracerWorkerData;
  const post = (m: FromTracer) => port.postMessage(m);
  const fault = (kind: string, message: string) => post({ type: "fault", kind, message });
  routeConsole(fault);

  const stream = new StreamTracer({ ...prompt, at: new Date(prompt.at) });
  const consumed = (bytes: number) => post({ type: "consumed", bytes });
  const stdoutTap = new LineTap({
    onLine: (line, at) => stream.stdoutLine(line, at),
    onConsumed: consumed,
    onSkipped: (reason) => fault(`skip-${reason}`, reason === "backlog" ? "the tracer fell behind the CLI's output; some lines were passed through untraced." : "a line longer than the tracer keeps was passed through untraced."),
  });
  const stdinTap = new LineTap({ onLine: (line, at) => stream.stdinLine(line, at), onConsumed: consumed, maxLineBytes: 8 * 1024 * 1024 });
  // The main thread hears of the ledger at most every LEDGER_EVERY_MS, and at once at the end.
  let ledgerTimer: NodeJS.Timeout | undefined;
  const postLedger = () => {
    ledgerTimer = undefined;
    const ledger = started?.ledger();
    if (ledger) post({ type: "ledger", ledger });
  };
  const started = startTracer(config, fault, () => {
    ledgerTimer ??= setTimeout(postLedger, LEDGER_EVERY_MS).unref();
  });
  const tracer = started?.tracer;
  stream.attach(tracer);
  // The thread keeps the process's priority. Lowered (nice 10, as it once was), it starved on a
  // busy machine: with two busy loops on both cores and a 1 s deadline, it missed the deadline in
  // 2 of 6 runs and dropped lines it had no time to parse, where at the CLI's priority all 6
  // were done in time; the added latency per line showed no gain from it.
  post({ type: "ready" });

  port.on("message", (m: ToTracer) => {
    switch (m.type) {
      case "stdout":
        stdoutTap.push(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength), new Date(m.at));
        break;
      case "stdin":
        // A prompt belongs after everything the CLI wrote before it arrived (a turn's result,
        // say): the two streams are cut in the order their bytes came.
        stdoutTap.catchUp();
        stdinTap.push(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength), new Date(m.at));
        stdinTap.catchUp();
        break;
      case "gap":
        (m.stream === "stdout" ? stdoutTap : stdinTap).gap(m.endsLine);
        break;
      case "stdin-end":
        stdoutTap.catchUp();
        stdinTap.finish();
        break;
      case "end":
        void end(m.reason, m.deadlineAt);
        break;
    }
  });

  async function end(reason: string | undefined, deadlineAt: number): Promise<void> {
    // Measured from when the main thread asked, not from now: this thread may have been busy.
    const left = () => Math.max(0, deadlineAt - Date.now());
    stdinTap.finish(left() * FINAL_PARSE_SHARE * 0.2);
    stdoutTap.finish(left() * FINAL_PARSE_SHARE);
    tracer?.end(reason);
    clearTimeout(ledgerTimer);
    postLedger();
    const { malformed, unknown, messages } = stream.counts;
    // A stream with no message at all was not stream-json (a version check, a usage error).
    if (malformed > 0 && messages > 0) fault("malformed", `${malformed} stdout line(s) were not JSON; passed through unchanged and not traced (${messages} traced, ${unknown} of other types).`);
    await tracer?.shutdown(left());
    post({ type: "done", ledger: started?.ledger() });
  }
}

/**
 * Loads the tracer (the Langfuse SDK with it). Kept apart so that how long the thread takes to be
 * ready can be measured on its own.
 */
function startTracer(
  config: TracingConfig,
  fault: (kind: string, message: string) => void,
  onProgress: () => void,
): { tracer: Tracer; ledger: () => ExportLedger | undefined } | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createTracer, langfuseExporterFor } = withoutLazyHeaders(() => require("../tracer") as typeof import("../tracer"));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { STREAM_MAPPING } = require("../sources/streamJson") as typeof import("../sources/streamJson");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { tracerFaultKind } = require("../faultReporter") as typeof import("../faultReporter");
    const warn = (m: string) => fault(tracerFaultKind(m), m);
    const exporter = langfuseExporterFor(config, warn, onProgress);
    if (!exporter) return undefined;
    return { tracer: createTracer({ config, exporter, mapping: STREAM_MAPPING, warn }), ledger: () => exporter.ledger?.() };
  } catch (e) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { internalErrorText } = require("../faultReporter") as typeof import("../faultReporter");
    fault("internal", `tracing is off: it could not be started (${internalErrorText(e)}).`);
    return undefined;
  }
}

/**
 * The Langfuse SDK's core module looks at `globalThis.Headers` when it loads (for an HTTP client
 * the tracer never uses: export goes through OpenTelemetry's exporter on `node:http`). In Node 20
 * that global is a lazy getter which loads Node's whole fetch implementation (undici): about 35 ms
 * of CPU in a fresh thread, every session. While the SDK loads, the getter is hidden (the SDK
 * then keeps its own small Headers class); it is put back right after.
 */
function withoutLazyHeaders<T>(load: () => T): T {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, "Headers");
  if (!descriptor?.get || !descriptor.configurable) return load();
  Object.defineProperty(globalThis, "Headers", { value: undefined, configurable: true, writable: true, enumerable: false });
  try {
    return load();
  } finally {
    Object.defineProperty(globalThis, "Headers", descriptor);
  }
}

/**
 * A worker's console writes to the process's stdout, which belongs to the CLI. Libraries that log
 * through `console` (the Langfuse SDK does) are turned into fault reports instead.
 */
function routeConsole(fault: (kind: string, message: string) => void): void {
  const route = (kind: string) => (...args: unknown[]) => {
    const text = args.map((a) => (a instanceof Error ? a.message : typeof a === "string" ? a : safeJson(a))).join(" ");
    // Keys, tokens and credentials in URLs are redacted before anything is said.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { redactText } = require("../redact") as typeof import("../redact");
    fault(`console-${kind}`, redactText(text.slice(0, 500)));
  };
  console.log = route("log");
  console.info = route("info");
  console.debug = () => undefined;
  console.trace = () => undefined;
  console.warn = route("warn");
  console.error = route("error");
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
