import type { Observation, ObservationEvent, TraceInfo } from "./events";
import type { Exporter } from "./exporter";

/** An observation as printed: times as ISO-8601 UTC strings, absent fields left out. */
export type PrintedObservation = Omit<Observation, "startTime" | "endTime" | "completionStartTime"> & {
  startTime: string;
  endTime: string;
  completionStartTime?: string;
};

/** The dry run's output: every trace, with its observations in the order they would be sent. */
export interface DryRunDocument {
  traces: Array<TraceInfo & { observations: PrintedObservation[] }>;
}

/**
 * An exporter that keeps what it is given instead of sending it. It sits behind the same export
 * filter as the Langfuse exporter, so its document is what Langfuse would have received.
 */
export class DryRunExporter implements Exporter {
  private readonly traces = new Map<string, { trace: TraceInfo; observations: Observation[]; ended: boolean }>();
  private written = 0;
  private closed = false;

  /**
   * With `write`, each trace is printed as soon as the batch holding its root is in, and then
   * forgotten, so a replay of any length holds one trace at a time; the text is the same as
   * `document()`'s, pretty-printed, and is complete once `shutdown()` has resolved.
   */
  constructor(private readonly write?: (text: string) => void) {}

  emit(events: ObservationEvent[]): void {
    const ended: string[] = [];
    for (const { trace, observation } of events) {
      const entry = this.traces.get(trace.id);
      if (entry) {
        // Observations emitted after the root carry the trace's attributes as they were earlier.
        if (observation.parentId === undefined || !entry.ended) entry.trace = trace;
        entry.observations.push(observation);
      } else {
        this.traces.set(trace.id, { trace, observations: [observation], ended: false });
      }
      if (observation.parentId === undefined) {
        this.traces.get(trace.id)!.ended = true;
        ended.push(trace.id);
      }
    }
    if (!this.write) return;
    // A turn ends within one batch: its root, and what the mapper held back until then.
    for (const id of ended) {
      const done = this.traces.get(id)!;
      this.traces.delete(id);
      this.print(printedTrace(done.trace, done.observations));
    }
  }

  async flush(): Promise<void> {}

  async shutdown(): Promise<void> {
    if (!this.write || this.closed) return;
    this.closed = true;
    for (const { trace, observations } of this.traces.values()) this.print(printedTrace(trace, observations));
    this.traces.clear();
    this.write(this.written === 0 ? '{\n  "traces": []\n}\n' : "\n  ]\n}\n");
  }

  document(): DryRunDocument {
    return { traces: [...this.traces.values()].map(({ trace, observations }) => printedTrace(trace, observations)) };
  }

  private print(trace: DryRunDocument["traces"][number]): void {
    // Nested two levels deep in the document, as JSON.stringify(document, null, 2) would put it.
    const text = `    ${JSON.stringify(trace, null, 2).replace(/\n/g, "\n    ")}`;
    this.write!(this.written === 0 ? `{\n  "traces": [\n${text}` : `,\n${text}`);
    this.written++;
  }
}

function printedTrace(trace: TraceInfo, observations: Observation[]): DryRunDocument["traces"][number] {
  return {
    id: trace.id,
    name: trace.name,
    ...(trace.sessionId !== undefined ? { sessionId: trace.sessionId } : {}),
    ...(trace.userId !== undefined ? { userId: trace.userId } : {}),
    tags: trace.tags,
    metadata: trace.metadata,
    observations: observations.map(observationJson),
  };
}

const FIELD_ORDER = [
  "id",
  "parentId",
  "type",
  "name",
  "model",
  "usageDetails",
  "costDetails",
  "level",
  "statusMessage",
  "startTime",
  "endTime",
  "completionStartTime",
  "input",
  "output",
  "metadata",
] as const;

function observationJson(o: Observation): PrintedObservation {
  const out: Record<string, unknown> = {};
  for (const key of FIELD_ORDER) {
    const value = o[key];
    if (value === undefined) continue;
    out[key] = value instanceof Date ? value.toISOString() : value;
  }
  return out as PrintedObservation;
}
