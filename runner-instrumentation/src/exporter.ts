import { LANGFUSE_SDK_VERSION, LANGFUSE_TRACER_NAME, LangfuseOtelSpanAttributes } from "@langfuse/core";
import { LangfuseSpanProcessor } from "@langfuse/otel";
import { createObservationAttributes } from "@langfuse/tracing";
import { ROOT_CONTEXT, trace as otelTrace, TraceFlags, type SpanContext, type Tracer } from "@opentelemetry/api";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { BasicTracerProvider, type IdGenerator, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import * as http from "node:http";
import * as https from "node:https";
import type { Observation, ObservationEvent, TraceInfo } from "./events";
import { countLoss, emptyLedger, failureReason, type ExportLedger, type LossReason } from "./exportLedger";

/** Below the span processor's queue of 2,048, with room for one batch in flight. */
const MAX_UNDRAINED_SPANS = 1_500;
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

export interface LangfuseExporterSettings {
  publicKey: string;
  secretKey: string;
  baseUrl: string;
  /** Seconds one export request may take. */
  timeoutSeconds?: number;
  /** Spans per export request. */
  flushAt?: number;
  /** Seconds between scheduled exports. */
  flushIntervalSeconds?: number;
  /** Observations that may wait here for Langfuse (memory stays bounded when it is unreachable). */
  maxBacklog?: number;
  /** Told each time the ledger changes (observations handed over or dropped, an export answered); `ledger()` has it. */
  onProgress?: () => void;
}

/**
 * The mapper chooses every id up front (children can then be sent before their parents, and the
 * dry run shows the ids that will be sent). OpenTelemetry asks its id generator for a span's
 * ids synchronously inside `startSpan`, so the exporter sets the next ids right before each call.
 */
class PresetIdGenerator implements IdGenerator {
  nextTraceId: string | undefined;
  nextSpanId: string | undefined;
  generateTraceId(): string {
    const id = this.nextTraceId;
    this.nextTraceId = undefined;
    return id ?? "";
  }
  generateSpanId(): string {
    const id = this.nextSpanId;
    this.nextSpanId = undefined;
    return id ?? "";
  }
}

/** The only place that knows the Langfuse SDK: each observation becomes one OpenTelemetry span. */
export class LangfuseExporter implements Exporter {
  private readonly ids = new PresetIdGenerator();
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly waiting: ObservationEvent[] = [];
  private sentSinceDrain = 0;
  private readonly account = emptyLedger();
  private draining: Promise<void> | undefined;
  private readonly openedTraces = new Set<string>();

  constructor(private readonly settings: LangfuseExporterSettings) {
    const processor = new LangfuseSpanProcessor({
      publicKey: settings.publicKey,
      secretKey: settings.secretKey,
      baseUrl: settings.baseUrl,
      exporter: countedOtlpExporter(settings, {
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
      }),
      flushAt: settings.flushAt ?? 100,
      flushInterval: settings.flushIntervalSeconds ?? 2,
      // Media upload would call other endpoints with the content; the tracer sends none.
      mediaUploadEnabled: false,
    });
    this.provider = new BasicTracerProvider({ idGenerator: this.ids, spanProcessors: [processor] });
    // A private provider, registered nowhere: neither the host's OpenTelemetry setup nor its own
    // use of the Langfuse SDK sees these spans, and several exporters can run side by side. The
    // tracer takes the SDK's own scope name, which Langfuse reads as "spans of the Langfuse SDK".
    this.tracer = this.provider.getTracer(LANGFUSE_TRACER_NAME, LANGFUSE_SDK_VERSION);
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
    this.pump();
  }

  private progress(): void {
    try {
      this.settings.onProgress?.();
    } catch {
      // A failing listener must not turn into a failing host.
    }
  }

  /**
   * The SDK's span processor queues at most 2,048 finished spans and silently drops the rest,
   * and drains only as its exports complete. Spans go to it in bursts of at most
   * MAX_UNDRAINED_SPANS; the rest wait here until a flush has emptied its queue.
   *
   * Langfuse dates a trace by the first of its spans that it processes, and the span processor
   * does not keep the order it is given spans in (spans with more attributes take longer to
   * reach its queue). So the first span of each trace (the mapper sends one that starts with the
   * turn) goes out on its own flush, and nothing else is handed over until that request is done.
   */
  private pump(): void {
    let opened = false;
    while (!this.draining && this.waiting.length > 0 && this.sentSinceDrain < MAX_UNDRAINED_SPANS) {
      const event = this.waiting.shift()!;
      this.sentSinceDrain++;
      try {
        this.send(event);
      } catch {
        countLoss(this.account, "not-recorded", 1);
      }
      if (this.opens(event.trace.id)) {
        opened = true;
        break;
      }
    }
    if (!this.draining && (opened || this.waiting.length > 0)) {
      this.draining = this.provider
        .forceFlush()
        // Failed requests are counted in the ledger, span by span, as they come back.
        .catch(() => undefined)
        .then(() => {
          this.sentSinceDrain = 0;
          this.draining = undefined;
          this.pump();
        });
    }
  }

  /** Whether this is the first span sent of the trace. */
  private opens(traceId: string): boolean {
    if (this.openedTraces.has(traceId)) return false;
    // Forgotten in bulk: a late span of a forgotten trace only costs one more flush.
    if (this.openedTraces.size >= OPENED_TRACES_KEPT) this.openedTraces.clear();
    this.openedTraces.add(traceId);
    return true;
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.draining) await this.draining;
      else if (this.waiting.length > 0) this.pump();
      else break;
    }
    await this.provider.forceFlush();
    this.sentSinceDrain = 0;
  }

  private send({ trace, observation: o }: ObservationEvent): void {
    const parentSpanContext: SpanContext | undefined = o.parentId
      ? { traceId: trace.id, spanId: o.parentId, traceFlags: TraceFlags.SAMPLED, isRemote: false }
      : undefined;
    if (!o.parentId) this.ids.nextTraceId = trace.id;
    this.ids.nextSpanId = o.id;
    // Roots start from the empty context, so a host's active span never adopts them.
    const parent = parentSpanContext ? otelTrace.setSpanContext(ROOT_CONTEXT, parentSpanContext) : ROOT_CONTEXT;
    const span = this.tracer.startSpan(o.name, { startTime: o.startTime }, parent);
    span.setAttributes(createObservationAttributes(o.type, observationAttributes(o)));
    span.setAttributes(traceAttributes(trace));
    // The span processor calls every span whose parent it has not started yet an "app root"
    // (Langfuse then lists it as a root). Children are sent before their parents here, so only
    // the true root may keep that mark; a later write wins over the processor's.
    if (o.parentId) span.setAttribute(LangfuseOtelSpanAttributes.IS_APP_ROOT, false);
    span.end(o.endTime);
  }

  /** Sends what is queued, giving up after `deadlineMs`; what is still waiting then stays in the ledger as waiting. */
  async flush(deadlineMs: number): Promise<void> {
    await withDeadline(deadlineMs, () => this.drain());
  }

  async shutdown(deadlineMs: number): Promise<void> {
    await withDeadline(deadlineMs, async () => {
      await this.drain();
      await this.provider.shutdown();
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

function observationAttributes(o: Observation) {
  return {
    input: o.input,
    output: o.output,
    metadata: o.metadata,
    level: o.level,
    statusMessage: o.statusMessage,
    model: o.model,
    usageDetails: o.usageDetails as Record<string, number> | undefined,
    costDetails: o.costDetails,
    completionStartTime: o.completionStartTime,
  };
}

/** Langfuse reads trace attributes from any span of the trace; every span carries them. */
function traceAttributes(trace: TraceInfo): Record<string, string | string[]> {
  const attributes: Record<string, string | string[]> = { [LangfuseOtelSpanAttributes.TRACE_NAME]: trace.name };
  if (trace.sessionId) attributes[LangfuseOtelSpanAttributes.TRACE_SESSION_ID] = trace.sessionId;
  if (trace.userId) attributes[LangfuseOtelSpanAttributes.TRACE_USER_ID] = trace.userId;
  if (trace.tags.length > 0) attributes[LangfuseOtelSpanAttributes.TRACE_TAGS] = trace.tags;
  for (const [key, value] of Object.entries(trace.metadata)) {
    attributes[`${LangfuseOtelSpanAttributes.TRACE_METADATA}.${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return attributes;
}
