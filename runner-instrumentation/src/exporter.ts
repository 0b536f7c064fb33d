import { LANGFUSE_SDK_VERSION, LANGFUSE_TRACER_NAME, LangfuseOtelSpanAttributes } from "@langfuse/core";
import { LangfuseSpanProcessor } from "@langfuse/otel";
import { createObservationAttributes } from "@langfuse/tracing";
import { ROOT_CONTEXT, trace as otelTrace, TraceFlags, type SpanContext, type Tracer } from "@opentelemetry/api";
import { BasicTracerProvider, type IdGenerator } from "@opentelemetry/sdk-trace-base";
import type { Observation, ObservationEvent, TraceInfo } from "./events";

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
  /** Told about failures, once each; never given secrets. */
  onError?: (message: string) => void;
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
  private readonly reported = new Set<string>();
  private readonly waiting: ObservationEvent[] = [];
  private sentSinceDrain = 0;
  /** Observations dropped because Langfuse did not keep up. */
  droppedTotal = 0;
  private draining: Promise<void> | undefined;
  private readonly openedTraces = new Set<string>();

  constructor(private readonly settings: LangfuseExporterSettings) {
    const processor = new LangfuseSpanProcessor({
      publicKey: settings.publicKey,
      secretKey: settings.secretKey,
      baseUrl: settings.baseUrl,
      timeout: settings.timeoutSeconds ?? 10,
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

  emit(events: ObservationEvent[]): void {
    for (const e of events) this.waiting.push(e);
    const max = this.settings.maxBacklog ?? MAX_BACKLOG;
    if (this.waiting.length > max) {
      const dropped = this.waiting.splice(0, this.waiting.length - max).length;
      this.droppedTotal += dropped;
      this.report(`Langfuse is not keeping up: dropped ${dropped} observations, keeping the latest ${max}`);
    }
    this.pump();
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
      } catch (e) {
        this.report(`could not record observation "${event.observation.name}": ${describeError(e)}`);
      }
      if (this.opens(event.trace.id)) {
        opened = true;
        break;
      }
    }
    if (!this.draining && (opened || this.waiting.length > 0)) {
      this.draining = this.provider
        .forceFlush()
        .catch((e: unknown) => this.report(`export to ${this.settings.baseUrl} failed: ${describeError(e)}`))
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

  async flush(deadlineMs: number): Promise<void> {
    await this.withDeadline("flush", deadlineMs, () => this.drain());
  }

  async shutdown(deadlineMs: number): Promise<void> {
    await this.withDeadline("shutdown", deadlineMs, async () => {
      await this.drain();
      await this.provider.shutdown();
    });
  }

  private async withDeadline(what: string, deadlineMs: number, work: () => Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), deadlineMs);
      timer.unref?.();
    });
    try {
      const outcome = await Promise.race([work().then(() => "done" as const), deadline]);
      if (outcome === "late") this.report(`${what} to ${this.settings.baseUrl} did not finish within ${deadlineMs} ms; unsent spans are dropped`);
    } catch (e) {
      this.report(`${what} to ${this.settings.baseUrl} failed: ${describeError(e)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private report(message: string): void {
    if (this.reported.has(message)) return;
    this.reported.add(message);
    try {
      this.settings.onError?.(message);
    } catch {
      // A failing reporter must not turn into a failing host.
    }
  }
}

/** OpenTelemetry rejects flushes with an array of the processors' errors. */
function describeError(e: unknown): string {
  if (Array.isArray(e)) return e.map(describeError).join("; ");
  if (e instanceof Error) return e.message;
  return String(e);
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
