import { LANGFUSE_SDK_VERSION, LANGFUSE_TRACER_NAME, LangfuseOtelSpanAttributes } from "@langfuse/core";
import { LangfuseSpanProcessor } from "@langfuse/otel";
import { createObservationAttributes } from "@langfuse/tracing";
import { ROOT_CONTEXT, trace as otelTrace, TraceFlags, type SpanContext } from "@opentelemetry/api";
import { BasicTracerProvider, type IdGenerator } from "@opentelemetry/sdk-trace-base";
import type { Observation, ObservationEvent, TraceInfo } from "../src/events";

/**
 * The oracle for the exporter: the same observations sent through the Langfuse SDK itself
 * (`@langfuse/tracing`'s attributes on spans of an OpenTelemetry tracer provider, exported by
 * `@langfuse/otel`'s span processor), as the tracer sent them before it wrote OTLP directly.
 * Tests send the same events both ways and compare what arrives.
 */
export async function sendThroughLangfuseSdk(
  events: ObservationEvent[],
  settings: { publicKey: string; secretKey: string; baseUrl: string; environment?: string; release?: string },
): Promise<void> {
  const ids = new PresetIdGenerator();
  const processor = new LangfuseSpanProcessor({
    publicKey: settings.publicKey,
    secretKey: settings.secretKey,
    baseUrl: settings.baseUrl,
    environment: settings.environment,
    release: settings.release,
    flushAt: 100,
    mediaUploadEnabled: false,
  });
  const provider = new BasicTracerProvider({ idGenerator: ids, spanProcessors: [processor] });
  const tracer = provider.getTracer(LANGFUSE_TRACER_NAME, LANGFUSE_SDK_VERSION);
  for (const { trace, observation: o } of events) {
    const parentSpanContext: SpanContext | undefined = o.parentId
      ? { traceId: trace.id, spanId: o.parentId, traceFlags: TraceFlags.SAMPLED, isRemote: false }
      : undefined;
    if (!o.parentId) ids.nextTraceId = trace.id;
    ids.nextSpanId = o.id;
    const parent = parentSpanContext ? otelTrace.setSpanContext(ROOT_CONTEXT, parentSpanContext) : ROOT_CONTEXT;
    const span = tracer.startSpan(o.name, { startTime: o.startTime }, parent);
    span.setAttributes(createObservationAttributes(o.type, observationAttributes(o)));
    span.setAttributes(traceAttributes(trace));
    // The span processor marks every span whose parent it has not started as an app root; the
    // tracer sends children before their parents, so only the true root keeps the mark.
    if (o.parentId) span.setAttribute(LangfuseOtelSpanAttributes.IS_APP_ROOT, false);
    span.end(o.endTime);
  }
  await provider.forceFlush();
  await provider.shutdown();
}

/** Hands OpenTelemetry the ids the mapper chose, right before each `startSpan`. */
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
