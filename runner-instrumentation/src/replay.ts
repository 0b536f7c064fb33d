import type { TracingConfig } from "./config";
import type { ObservationEvent } from "./events";
import type { Exporter } from "./exporter";
import type { IdSource } from "./ids";
import { createMapper, type MapperInput, type MapperOptions } from "./mapper";
import { detectCaptureKind, type CaptureKind } from "./sources/detect";
import { jsonLines, type JsonRecord } from "./sources/jsonLines";
import { STREAM_MAPPING, streamJsonInput } from "./sources/streamJson";
import { TRANSCRIPT_MAPPING, transcriptReader } from "./sources/transcript";
import { createTracer } from "./tracer";

export interface Capture {
  file: string;
  kind: CaptureKind;
  inputs: MapperInput[];
  mapping: Pick<MapperOptions, "turnBoundary" | "assistantLinesHaveFinalUsage">;
}

/** How many leading values decide whether a file is a transcript or a stream-json capture. */
const DETECTION_WINDOW = 50;

export interface OpenCapture {
  file: string;
  kind: CaptureKind;
  mapping: Capture["mapping"];
  /** The file's mapper inputs, read as they are consumed. */
  inputs: AsyncIterable<MapperInput>;
}

/** Opens a capture for streaming: only its first lines are read to tell its kind. */
export async function openCapture(file: string, warn: (message: string) => void): Promise<OpenCapture> {
  const records = jsonLines(file, warn)[Symbol.asyncIterator]();
  const head: JsonRecord[] = [];
  while (head.length < DETECTION_WINDOW) {
    const next = await records.next();
    if (next.done) break;
    head.push(next.value);
  }
  const kind = detectCaptureKind(head);
  const toInputs = kind === "transcript" ? transcriptReader().push : (r: JsonRecord) => {
    const input = streamJsonInput(r);
    return input ? [input] : [];
  };
  async function* inputs(): AsyncGenerator<MapperInput> {
    for (const record of head) yield* toInputs(record);
    head.length = 0;
    for (;;) {
      const next = await records.next();
      if (next.done) return;
      yield* toInputs(next.value);
    }
  }
  return { file, kind, mapping: kind === "transcript" ? TRANSCRIPT_MAPPING : STREAM_MAPPING, inputs: inputs() };
}

/** Reads a saved stream-json capture or transcript (told apart by its lines) into mapper inputs. */
export async function readCapture(file: string, warn: (message: string) => void): Promise<Capture> {
  const open = await openCapture(file, warn);
  const inputs: MapperInput[] = [];
  for await (const input of open.inputs) inputs.push(input);
  return { file, kind: open.kind, inputs, mapping: open.mapping };
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

/** Observations an exporter may hold before replay waits for it (rather than have it drop them). */
const REPLAY_BACKLOG = 2_000;

/** Sends each file's traces through the same pipeline a live session uses, streaming each file. */
export async function replayFiles(files: string[], settings: ReplaySettings): Promise<Array<{ file: string; kind: CaptureKind; messages: number }>> {
  const summary: Array<{ file: string; kind: CaptureKind; messages: number }> = [];
  for (const file of files) {
    const capture = await openCapture(file, settings.warn);
    const tracer = createTracer({ config: settings.config, exporter: settings.exporter, mapping: capture.mapping, ids: settings.ids, warn: settings.warn });
    let messages = 0;
    for await (const input of capture.inputs) {
      tracer.push(input);
      messages++;
      // Offline, there is time: wait for Langfuse instead of dropping what it has not taken yet.
      if ((settings.exporter.backlog?.() ?? 0) > REPLAY_BACKLOG) await tracer.flush(60_000);
    }
    tracer.end();
    summary.push({ file, kind: capture.kind, messages });
  }
  return summary;
}
