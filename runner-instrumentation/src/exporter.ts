import { LANGFUSE_SDK_VERSION } from "@langfuse/core";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import * as http from "node:http";
import * as https from "node:https";
import type { ObservationEvent } from "./events";
import { countLoss, emptyLedger, failureReason, type ExportLedger, type LossReason } from "./exportLedger";
import { observationSpan, type SpanSettings } from "./otlpSpan";

/** Spans per export request by default (the span processor's batch size the tracer used before). */
const DEFAULT_FLUSH_AT = 100;
/** How long, by default, a finished observation may wait for others to share its request. */
const DEFAULT_FLUSH_INTERVAL_SECONDS = 1;
/** What waits for Langfuse at most by default; beyond it the oldest observations are dropped, and said so. */
const MAX_BACKLOG = 10_000;
/** Trace ids remembered as having had their first span sent. */
const OPENED_TRACES_KEPT = 4_096;

/** Where finished observations go: Langfuse, or the dry-run printer. */
export interface Exporter {
  /** Hands events over; never throws, never waits on the network. */
  emit(events: ObservationEvent[]): void;
  /** Sends what is queued, giving up after `deadlineMs`; never rejects. */
  flush(deadlineMs: number): Promise<void>;
  /** Flushes and releases resources, under the same deadline; never rejects. */
  shutdown(deadlineMs: number): Promise<void>;
  /** Observations handed over and not yet passed on (absent: the exporter keeps nothing back). */
  backlog?(): number;
  /** What became of every observation handed over so far (absent: nothing is sent anywhere). */
  ledger?(): ExportLedger;
}

export interface LangfuseExporterSettings extends SpanSettings {
  publicKey: string;
  secretKey: string;
  baseUrl: string;
  /** Seconds one export request may take. */
  timeoutSeconds?: number;
  /** Spans per export request; as many waiting send a request at once. */
  flushAt?: number;
  /** Seconds a finished observation may wait for others before its request goes. */
  flushIntervalSeconds?: number;
  /** Observations that may wait here for Langfuse (memory stays bounded when it is unreachable). */
  maxBacklog?: number;
  /** Told each time the ledger changes (observations handed over or dropped, an export answered); `ledger()` has it. */
  onProgress?: () => void;
}

/**
 * Sends observations to Langfuse as OTLP/HTTP JSON, the form and the attributes the Langfuse SDK
 * sends (`otlpSpan.ts` builds each span; OpenTelemetry's OTLP exporter serializes and posts it,
 * with the URL and headers the SDK gives it). One request at a time, on one kept-alive connection.
 */
export class LangfuseExporter implements Exporter {
  private readonly exporter: SpanExporter;
  private readonly waiting: ObservationEvent[] = [];
  private readonly account = emptyLedger();
  private readonly flushAt: number;
  private readonly intervalMs: number;
  /** The request in flight, if any. */
  private sending: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly openedTraces = new Set<string>();
  private closed = false;

  constructor(private readonly settings: LangfuseExporterSettings) {
    this.flushAt = Math.max(1, settings.flushAt ?? DEFAULT_FLUSH_AT);
    this.intervalMs = (settings.flushIntervalSeconds ?? DEFAULT_FLUSH_INTERVAL_SECONDS) * 1000;
    this.exporter = countedOtlpExporter(settings, {
      outcome: (n, error, lastStatus) => {
        if (error === undefined) this.account.sent += n;
        else countLoss(this.account, failureReason(error, lastStatus), n);
        this.progress();
      },
      wire: (problem) => {
        if (problem === this.account.lastProblem) return;
        this.account.lastProblem = problem;
        this.progress();
      },
    });
  }

  backlog(): number {
    return this.waiting.length;
  }

  ledger(): ExportLedger {
    const { lastProblem, ...counts } = this.account;
    return { ...counts, lost: { ...counts.lost }, ...(lastProblem ? { lastProblem } : {}) };
  }

  emit(events: ObservationEvent[]): void {
    for (const e of events) this.waiting.push(e);
    this.account.handed += events.length;
    const max = this.settings.maxBacklog ?? MAX_BACKLOG;
    if (this.waiting.length > max) {
      // The oldest go: the latest turn is the one a reader of the trace is most likely to want.
      countLoss(this.account, "queue-full", this.waiting.splice(0, this.waiting.length - max).length);
    }
    this.progress();
    this.pump(false);
  }

  private progress(): void {
    try {
      this.settings.onProgress?.();
    } catch {
      // A failing listener must not turn into a failing host.
    }
  }

  /**
   * Starts the next request when none is in flight: at once for a trace's first span and for a
   * full batch (or everything, when `now`), else when the interval has passed.
   *
   * Langfuse dates a trace by the first of its spans that it processes. So the first span of each
   * trace (the mapper sends one that starts with the turn) goes out in a request of its own, and
   * nothing after it is sent until that request is answered.
   */
  private pump(now: boolean): void {
    if (this.sending || this.waiting.length === 0) return;
    const opening = this.waiting.findIndex((e) => !this.openedTraces.has(e.trace.id));
    let batch: ObservationEvent[];
    if (opening === 0) {
      batch = this.waiting.splice(0, 1);
      this.opened(batch[0]!.trace.id);
    } else if (now || this.waiting.length >= this.flushAt || opening > 0) {
      // What precedes a new trace's first span goes before it: spans keep the order they finished in.
      batch = this.waiting.splice(0, Math.min(this.flushAt, opening > 0 ? opening : this.waiting.length));
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.pump(true);
      }, this.intervalMs).unref();
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.sending = this.send(batch).then(() => {
      this.sending = undefined;
      if (!this.closed) this.pump(false);
    });
  }

  private send(batch: ObservationEvent[]): Promise<void> {
    const spans: ReadableSpan[] = [];
    for (const event of batch) {
      try {
        spans.push(observationSpan(event, this.settings));
      } catch {
        countLoss(this.account, "not-recorded", 1);
      }
    }
    if (spans.length === 0) return Promise.resolve();
    // Failed requests are counted in the ledger, span by span, as they come back.
    return new Promise<void>((resolve) => this.exporter.export(spans, () => resolve()));
  }

  private opened(traceId: string): void {
    // Forgotten in bulk: a late span of a forgotten trace only costs one more request.
    if (this.openedTraces.size >= OPENED_TRACES_KEPT) this.openedTraces.clear();
    this.openedTraces.add(traceId);
  }

  /** Sends everything waiting, one request after another, until nothing is left. */
  private async drain(): Promise<void> {
    for (;;) {
      if (this.sending) await this.sending;
      else if (this.waiting.length > 0) this.pump(true);
      else return;
    }
  }

  /** Sends what is queued, giving up after `deadlineMs`; what is still waiting then stays in the ledger as waiting. */
  async flush(deadlineMs: number): Promise<void> {
    await withDeadline(deadlineMs, () => this.drain());
  }

  async shutdown(deadlineMs: number): Promise<void> {
    await withDeadline(deadlineMs, async () => {
      await this.drain();
      this.closed = true;
      clearTimeout(this.timer);
      await this.exporter.shutdown();
    });
  }
}

/** Runs `work` until it settles or `deadlineMs` passes, whichever is first; never rejects. */
async function withDeadline(deadlineMs: number, work: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, deadlineMs);
    timer.unref?.();
  });
  try {
    await Promise.race([work().catch(() => undefined), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The OTLP exporter the Langfuse SDK would make for itself (same URL, headers and timeout), wrapped
 * so that every request's outcome is counted, span by span. Its HTTP agent notes the status of
 * each failing answer: OpenTelemetry's exporter retries 429, 502, 503 and 504 and then reports
 * them without their number.
 */
function countedOtlpExporter(
  settings: LangfuseExporterSettings,
  listen: {
    /** A request's final outcome for its spans (`error` undefined: sent). */
    outcome: (spans: number, error: unknown, lastStatus: number | undefined) => void;
    /** Each attempt on the wire: what went wrong, or undefined for a success. */
    wire: (problem: LossReason | undefined) => void;
  },
): SpanExporter {
  let lastStatus: number | undefined;
  const inner = new OTLPTraceExporter({
    url: `${settings.baseUrl}/api/public/otel/v1/traces`,
    headers: {
      Authorization: `Basic ${Buffer.from(`${settings.publicKey}:${settings.secretKey}`).toString("base64")}`,
      "x-langfuse-sdk-name": "javascript",
      "x-langfuse-sdk-version": LANGFUSE_SDK_VERSION,
      "x-langfuse-public-key": settings.publicKey,
    },
    timeoutMillis: (settings.timeoutSeconds ?? 10) * 1000,
    httpAgentOptions: (protocol: string) =>
      attemptNotingAgent(protocol === "https:" ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true }), (status, error) => {
        if (status !== undefined && status >= 300) lastStatus = status;
        listen.wire(error !== undefined ? failureReason(error) : status !== undefined && status >= 300 ? `http-${status}` : undefined);
      }),
  });
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      inner.export(spans, (result) => {
        try {
          listen.outcome(spans.length, result.code === ExportResultCode.SUCCESS ? undefined : (result.error ?? new Error("export failed")), lastStatus);
        } finally {
          done(result);
        }
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush(),
  };
}

/** `agent`, telling `onAttempt` how every request it carries went: the answer's status, or the error. */
function attemptNotingAgent<A extends http.Agent>(agent: A, onAttempt: (status: number | undefined, error?: Error) => void): A {
  // Every ClientRequest passes itself to its agent's addRequest (as proxy agents rely on).
  const carrier = agent as unknown as { addRequest(request: http.ClientRequest, options: unknown): void };
  const addRequest = carrier.addRequest.bind(agent);
  carrier.addRequest = (request, options) => {
    request.once("response", (response: http.IncomingMessage) => onAttempt(response.statusCode ?? 0));
    request.once("error", (error: Error) => onAttempt(undefined, error));
    addRequest(request, options);
  };
  return agent;
}
