import { LANGFUSE_SDK_VERSION, LANGFUSE_TRACER_NAME, LangfuseOtelSpanAttributes as A } from "@langfuse/core";
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type AttributeValue, type HrTime, type SpanContext } from "@opentelemetry/api";
import { millisToHrTime } from "@opentelemetry/core";
import { defaultResource, type Resource } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { Observation, ObservationEvent, TraceInfo } from "./events";

/**
 * An observation as the span OpenTelemetry's OTLP serializer reads: the span the Langfuse SDK
 * would have built for it (`@langfuse/tracing`'s attributes, `@langfuse/otel`'s span processor,
 * OpenTelemetry's tracer provider), built directly, without the SDK's span, tracer and processor
 * objects. Pure apart from the process's resource, made once. `test/sdkOracle.test.ts` shows that
 * both paths send the same spans.
 */

/** What the Langfuse span processor adds from its own settings (LANGFUSE_TRACING_ENVIRONMENT, LANGFUSE_RELEASE). */
export interface SpanSettings {
  environment?: string;
  release?: string;
}

/** OpenTelemetry's default span attribute limit: later new keys are dropped and counted. */
const ATTRIBUTE_COUNT_LIMIT = 128;

/** The SDK's tracer: its scope name and version are how Langfuse knows spans of a Langfuse SDK. */
const SCOPE = { name: LANGFUSE_TRACER_NAME, version: LANGFUSE_SDK_VERSION, schemaUrl: undefined };

let resource: Resource | undefined;
/** The resource OpenTelemetry's tracer provider gives its spans by default (service name, SDK). */
function processResource(): Resource {
  resource ??= defaultResource();
  return resource;
}

/** One span per observation, in the shape OpenTelemetry's exporters take. */
export function observationSpan({ trace, observation: o }: ObservationEvent, settings: SpanSettings = {}): ReadableSpan {
  const attributes = new SpanAttributes();
  // The span processor's own, first: its environment and release, then the app-root mark (every
  // span the exporter starts has no started parent; children are set back to false below).
  attributes.set(A.ENVIRONMENT, settings.environment);
  attributes.set(A.RELEASE, settings.release);
  attributes.set(A.IS_APP_ROOT, true);
  setObservationAttributes(attributes, o);
  setTraceAttributes(attributes, trace);
  if (o.parentId) attributes.set(A.IS_APP_ROOT, false);

  const startTime = millisToHrTime(o.startTime.getTime());
  // A span cannot end before it started: OpenTelemetry's span ends it at its start then.
  const endTime = o.endTime.getTime() < o.startTime.getTime() ? startTime : millisToHrTime(o.endTime.getTime());
  const context: SpanContext = { traceId: trace.id, spanId: o.id, traceFlags: TraceFlags.SAMPLED };
  return {
    name: o.name,
    kind: SpanKind.INTERNAL,
    spanContext: () => context,
    parentSpanContext: o.parentId ? { traceId: trace.id, spanId: o.parentId, traceFlags: TraceFlags.SAMPLED, isRemote: false } : undefined,
    startTime,
    endTime,
    duration: hrDuration(startTime, endTime),
    status: { code: SpanStatusCode.UNSET },
    attributes: attributes.values,
    links: [],
    events: [],
    ended: true,
    resource: processResource(),
    instrumentationScope: SCOPE,
    droppedAttributesCount: attributes.dropped,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** `@langfuse/tracing`'s observation attributes, in its order, absent values left out. */
function setObservationAttributes(attributes: SpanAttributes, o: Observation): void {
  attributes.set(A.OBSERVATION_TYPE, o.type);
  attributes.set(A.OBSERVATION_LEVEL, o.level);
  attributes.set(A.OBSERVATION_STATUS_MESSAGE, o.statusMessage);
  attributes.set(A.OBSERVATION_INPUT, serialized(o.input));
  attributes.set(A.OBSERVATION_OUTPUT, serialized(o.output));
  attributes.set(A.OBSERVATION_MODEL, o.model);
  attributes.set(A.OBSERVATION_USAGE_DETAILS, serialized(o.usageDetails));
  attributes.set(A.OBSERVATION_COST_DETAILS, serialized(o.costDetails));
  attributes.set(A.OBSERVATION_COMPLETION_START_TIME, serialized(o.completionStartTime));
  if (o.metadata) {
    for (const key of Object.keys(o.metadata)) {
      const value = o.metadata[key];
      // Empty values are left out, as the SDK leaves them out.
      const text = typeof value === "string" ? value : serialized(value);
      if (text) attributes.set(`${A.OBSERVATION_METADATA}.${key}`, text);
    }
  }
}

/** Langfuse reads trace attributes from any span of the trace; every span carries them. */
function setTraceAttributes(attributes: SpanAttributes, trace: TraceInfo): void {
  attributes.set(A.TRACE_NAME, trace.name);
  if (trace.sessionId) attributes.set(A.TRACE_SESSION_ID, trace.sessionId);
  if (trace.userId) attributes.set(A.TRACE_USER_ID, trace.userId);
  if (trace.tags.length > 0) attributes.set(A.TRACE_TAGS, trace.tags);
  for (const key of Object.keys(trace.metadata)) {
    const value = trace.metadata[key];
    attributes.set(`${A.TRACE_METADATA}.${key}`, typeof value === "string" ? value : JSON.stringify(value));
  }
}

/** How the SDK writes a value into an attribute: strings as they are, anything else as JSON. */
function serialized(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) return undefined;
  try {
    return JSON.stringify(value);
  } catch {
    return "<failed to serialize>";
  }
}

/** A span's attributes as OpenTelemetry's span keeps them: absent values ignored, a count limit on new keys. */
class SpanAttributes {
  readonly values: Attributes = Object.create(null) as Attributes;
  private count = 0;
  dropped = 0;

  set(key: string, value: AttributeValue | undefined): void {
    if (value === undefined || value === null) return;
    if (!(key in this.values)) {
      if (this.count >= ATTRIBUTE_COUNT_LIMIT) {
        this.dropped++;
        return;
      }
      this.count++;
    }
    this.values[key] = value;
  }
}

function hrDuration(start: HrTime, end: HrTime): HrTime {
  let seconds = end[0] - start[0];
  let nanos = end[1] - start[1];
  if (nanos < 0) {
    seconds -= 1;
    nanos += 1e9;
  }
  return [seconds, nanos];
}
