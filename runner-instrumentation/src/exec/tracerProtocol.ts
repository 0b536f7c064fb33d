import { workerData } from "node:worker_threads";
import type { TracingConfig } from "../config";
import type { ExportLedger } from "../exportLedger";
import type { PromptSource } from "./streamTracer";

/**
 * How the wrapper's two threads talk: the main thread (forwarding, `tracerLink.ts`) and the
 * tracing thread (`tracerWorker.ts`). Kept apart from both, so that neither loads the other's code.
 */

/** What the wrapper's main thread tells the tracing thread. */
export type ToTracer =
  | { type: "stdout" | "stdin"; chunk: Uint8Array; at: number }
  /** Bytes the main thread dropped because this thread fell behind; `endsLine`: they ended a line. */
  | { type: "gap"; stream: "stdout" | "stdin"; endsLine: boolean }
  /** The runner closed the CLI's stdin: its last line is complete. */
  | { type: "stdin-end" }
  /** `deadlineAt`: wall-clock time (Date.now()) by which the export must have given up. */
  | { type: "end"; reason?: string; deadlineAt: number };

/** What the tracing thread tells the main thread. */
export type FromTracer =
  /** The tracer is loaded: from now on lines become spans. */
  | { type: "ready" }
  | { type: "consumed"; bytes: number }
  | { type: "fault"; kind: string; message: string }
  /** What became of the spans so far: the main thread reports what was not sent, even if this thread is late. */
  | { type: "ledger"; ledger: ExportLedger }
  | { type: "done"; ledger?: ExportLedger };

export interface TracerWorkerData {
  claudeLangfuseRole: "tracer";
  config: TracingConfig;
  /** Where the CLI takes its prompt from (`at` as Date.now()). */
  prompt: Omit<PromptSource, "at"> & { at: number };
}

export function isTracerWorker(): boolean {
  return (workerData as Partial<TracerWorkerData> | undefined)?.claudeLangfuseRole === "tracer";
}
