/**
 * What the mapper produces and every exporter consumes: finished Langfuse observations, each
 * carrying the attributes of the trace it belongs to. Plain data, so the dry run can print
 * exactly what the Langfuse exporter would send.
 */

/** `event`: a moment, not a span of time (an API retry); its end is its start. */
export type ObservationType = "agent" | "generation" | "tool" | "event";
export type ObservationLevel = "DEFAULT" | "WARNING" | "ERROR";

/** Exactly the four keys Langfuse prices Claude usage by; a `total` would double count. */
export interface UsageDetails {
  input: number;
  output: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

export interface TraceInfo {
  /** 32 lowercase hex characters, as OpenTelemetry writes a trace id. */
  id: string;
  name: string;
  sessionId?: string;
  userId?: string;
  tags: string[];
  metadata: Record<string, unknown>;
}

export interface Observation {
  /** 16 lowercase hex characters, as OpenTelemetry writes a span id. */
  id: string;
  /** Absent on the root observation of a trace. */
  parentId?: string;
  type: ObservationType;
  name: string;
  model?: string;
  usageDetails?: UsageDetails;
  costDetails?: Record<string, number>;
  level: ObservationLevel;
  statusMessage?: string;
  startTime: Date;
  endTime: Date;
  completionStartTime?: Date;
  input?: unknown;
  output?: unknown;
  metadata?: Record<string, unknown>;
}

/** One finished observation, ready for export. Children may arrive before their parents. */
export interface ObservationEvent {
  trace: TraceInfo;
  observation: Observation;
}
