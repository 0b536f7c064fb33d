import type { TracingConfig } from "../config";
import { DryRunExporter } from "../dryRunExporter";
import { replayFiles } from "../replay";
import type { SessionObservation, UsageKey } from "./compare";
import { USAGE_KEYS } from "./compare";

export interface ExpectedSession {
  /** The Langfuse session ids the dry run's traces carry, in order of first appearance. */
  sessionIds: string[];
  /** Every observation of the dry run, with the session of its trace. */
  observations: Array<SessionObservation & { sessionId?: string }>;
  /** The messages replay gave about the capture (lines it would skip, a file it cannot read), each naming lines by number only. */
  problems: string[];
  /** Lines of a Claude session read: 0 means there is nothing to compare. */
  messages: number;
}

/**
 * A dry run of the capture through replay's own pipeline (the same reading, mapping and export
 * filter as `replay`), kept in memory: what Langfuse should hold once the session has arrived.
 */
export async function expectedSession(file: string, config: TracingConfig): Promise<ExpectedSession> {
  const exporter = new DryRunExporter();
  const problems: string[] = [];
  const [replayed] = await replayFiles([file], { config, exporter, warn: (m) => problems.push(m) });
  await exporter.shutdown();
  const sessionIds: string[] = [];
  const observations: ExpectedSession["observations"] = [];
  for (const trace of exporter.document().traces) {
    if (trace.sessionId !== undefined && !sessionIds.includes(trace.sessionId)) sessionIds.push(trace.sessionId);
    for (const o of trace.observations) {
      const messageId = o.metadata?.messageId;
      observations.push({
        traceId: trace.id,
        sessionId: trace.sessionId,
        type: o.type,
        name: o.name,
        model: o.model,
        usage: o.usageDetails && (Object.fromEntries(USAGE_KEYS.map((k) => [k, o.usageDetails![k]])) as Record<UsageKey, number>),
        messageId: typeof messageId === "string" ? messageId : undefined,
        startTime: o.startTime,
      });
    }
  }
  return { sessionIds, observations, problems, messages: replayed?.messages ?? 0 };
}
