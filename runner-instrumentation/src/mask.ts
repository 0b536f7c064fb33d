import type { Observation, ObservationEvent, TraceInfo } from "./events";
import { redactValue } from "./redact";

export interface ExportFilterSettings {
  /** LANGFUSE_MASK_MESSAGES: drop inputs and outputs; keep structure, timing and usage. */
  maskMessages: boolean;
  /** LANGFUSE_MAX_FIELD_BYTES: the most one field may take once serialized. */
  maxFieldBytes: number;
}

/** Metadata that repeats message content (a sub-agent's task description). */
const CONTENT_METADATA_KEYS = new Set(["description"]);

/**
 * What every exporter applies before sending, the dry run included: secrets redacted, message
 * content dropped when masking, and each field cut to the byte limit. Returns new objects; the
 * mapper's events are not touched.
 */
export function prepareEvent(event: ObservationEvent, settings: ExportFilterSettings): ObservationEvent {
  return { trace: prepareTrace(event.trace, settings), observation: prepareObservation(event.observation, settings) };
}

/** The last trace prepared: every observation of a turn carries the same trace attributes. */
let lastTrace: { key: string; settings: ExportFilterSettings; prepared: TraceInfo } | undefined;

function prepareTrace(trace: TraceInfo, settings: ExportFilterSettings): TraceInfo {
  const key = JSON.stringify(trace);
  if (lastTrace && lastTrace.key === key && lastTrace.settings === settings) return lastTrace.prepared;
  const prepared = { ...trace, metadata: prepareMetadata(trace.metadata, settings) ?? {} };
  lastTrace = { key, settings, prepared };
  return prepared;
}

function prepareObservation(o: Observation, settings: ExportFilterSettings): Observation {
  const out: Observation = { ...o };
  if (settings.maskMessages) {
    delete out.input;
    delete out.output;
    // A failing tool's status message is its output.
    if (o.type === "tool" && o.statusMessage !== undefined) out.statusMessage = "tool call failed (message masked)";
  }
  if (out.input !== undefined) out.input = truncateField(redactValue(out.input), settings.maxFieldBytes);
  if (out.output !== undefined) out.output = truncateField(redactValue(out.output), settings.maxFieldBytes);
  if (out.statusMessage !== undefined) out.statusMessage = truncateField(redactValue(out.statusMessage), settings.maxFieldBytes) as string;
  const metadata = prepareMetadata(o.metadata, settings);
  if (metadata) out.metadata = metadata;
  else delete out.metadata;
  return out;
}

function prepareMetadata(metadata: Record<string, unknown> | undefined, settings: ExportFilterSettings): Record<string, unknown> | undefined {
  if (!metadata) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (settings.maskMessages && CONTENT_METADATA_KEYS.has(key)) continue;
    out[key] = truncateField(redactValue(value), settings.maxFieldBytes);
  }
  return out;
}

export const TRUNCATION_MARK = "…[truncated by claude-langfuse:";

/**
 * A value whose serialized form exceeds `maxBytes` becomes a string: the start of that form, cut
 * on a UTF-8 character boundary, and a mark saying how much was dropped. The result, mark
 * included, stays within `maxBytes`.
 */
export function truncateField(value: unknown, maxBytes: number): unknown {
  const serialized = typeof value === "string" ? value : JSON.stringify(value);
  if (serialized === undefined) return value;
  // A UTF-16 unit takes at most 3 bytes in UTF-8: most fields are far below the limit.
  if (serialized.length * 3 <= maxBytes) return value;
  const bytes = Buffer.from(serialized, "utf8");
  if (bytes.length <= maxBytes) return value;
  const mark = (kept: number) => `${TRUNCATION_MARK} kept ${kept} of ${bytes.length} bytes]`;
  let cut = Math.max(0, maxBytes - Buffer.byteLength(mark(maxBytes)));
  // Step back over UTF-8 continuation bytes so no character is split.
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut).toString("utf8") + mark(cut);
}
