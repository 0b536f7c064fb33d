import type { TracingConfig } from "./config";
import type { ObservationEvent } from "./events";
import type { Exporter } from "./exporter";
import type { IdSource } from "./ids";
import { createMapper, type MapperInput, type MapperOptions } from "./mapper";
import { detectCaptureKind, type CaptureKind } from "./sources/detect";
import { readJsonLines } from "./sources/jsonLines";
import { STREAM_MAPPING, streamJsonInputs } from "./sources/streamJson";
import { TRANSCRIPT_MAPPING, transcriptInputs } from "./sources/transcript";
import { createTracer } from "./tracer";

export interface Capture {
  file: string;
  kind: CaptureKind;
  inputs: MapperInput[];
  mapping: Pick<MapperOptions, "turnBoundary" | "assistantLinesHaveFinalUsage">;
}

/** Reads a saved stream-json capture or transcript (told apart by its lines) into mapper inputs. */
export async function readCapture(file: string, warn: (message: string) => void): Promise<Capture> {
  const records = await readJsonLines(file, warn);
  const kind = detectCaptureKind(records);
  return kind === "transcript"
    ? { file, kind, inputs: transcriptInputs(records), mapping: TRANSCRIPT_MAPPING }
    : { file, kind, inputs: streamJsonInputs(records), mapping: STREAM_MAPPING };
}

/** The mapper's own output for a capture, before the export filter. */
export async function mapCapture(
  file: string,
  options: Omit<MapperOptions, "turnBoundary" | "assistantLinesHaveFinalUsage">,
  warn: (message: string) => void,
): Promise<{ kind: CaptureKind; events: ObservationEvent[] }> {
  const capture = await readCapture(file, warn);
  const mapper = createMapper({ ...options, ...capture.mapping });
  const events: ObservationEvent[] = [];
  for (const input of capture.inputs) events.push(...mapper.push(input));
  events.push(...mapper.end());
  return { kind: capture.kind, events };
}

export interface ReplaySettings {
  config: TracingConfig;
  exporter: Exporter;
  ids?: IdSource;
  warn: (message: string) => void;
}

/** Sends each file's traces through the same pipeline a live session uses. */
export async function replayFiles(files: string[], settings: ReplaySettings): Promise<Array<{ file: string; kind: CaptureKind; messages: number }>> {
  const summary: Array<{ file: string; kind: CaptureKind; messages: number }> = [];
  for (const file of files) {
    const capture = await readCapture(file, settings.warn);
    const tracer = createTracer({ config: settings.config, exporter: settings.exporter, mapping: capture.mapping, ids: settings.ids, warn: settings.warn });
    for (const input of capture.inputs) tracer.push(input);
    tracer.end();
    summary.push({ file, kind: capture.kind, messages: capture.inputs.length });
  }
  return summary;
}
