import type { TracingConfig } from "./config";
import type { ObservationEvent } from "./events";
import type { Exporter } from "./exporter";
import type { IdSource } from "./ids";
import { createMapper, type MapperInput, type MapperOptions } from "./mapper";
import { detectCaptureKind, isSessionLine, type CaptureKind } from "./sources/detect";
import { type BadLine, jsonLines, type JsonRecord, MAX_LINE_BYTES } from "./sources/jsonLines";
import { STREAM_MAPPING, streamJsonInput } from "./sources/streamJson";
import { TRANSCRIPT_MAPPING, transcriptReader } from "./sources/transcript";
import { createTracer, type Tracer } from "./tracer";

export interface Capture {
  file: string;
  kind: CaptureKind;
  inputs: MapperInput[];
  mapping: Pick<MapperOptions, "turnBoundary" | "assistantLinesHaveFinalUsage">;
}

/** How many leading values decide whether a file is a transcript or a stream-json capture. */
const DETECTION_WINDOW = 50;

/** Bad lines named per file, by number; beyond them they are only counted. */
export const BAD_LINES_NAMED = 10;

export interface OpenCapture {
  file: string;
  kind: CaptureKind;
  mapping: Capture["mapping"];
  /** The file's mapper inputs, read as they are consumed. */
  inputs: AsyncIterable<MapperInput>;
  /**
   * Once `inputs` is drained: says what else was wrong with the file (bad lines beyond those
   * named, no line of a Claude session) and whether it was clean.
   */
  finish(): boolean;
}

/**
 * Opens a capture for streaming: only its first lines are read to tell its kind. Lines that are
 * not JSON are reported by number (at most BAD_LINES_NAMED), never by their text. A file that
 * cannot be read throws its fs error, here or while `inputs` is read.
 */
export async function openCapture(file: string, warn: (message: string) => void): Promise<OpenCapture> {
  let badLines = 0;
  let sessionLines = 0;
  const onBadLine = ({ lineNumber, reason }: BadLine) => {
    badLines++;
    if (badLines > BAD_LINES_NAMED) return;
    warn(`${file}:${lineNumber}: ${reason === "too-long" ? `longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB` : "not JSON"}; line skipped`);
  };
  const lines = jsonLines(file, onBadLine)[Symbol.asyncIterator]();
  // Only lines of a Claude session reach the readers: JSON of any other shape is passed over.
  const records = {
    async next(): Promise<IteratorResult<JsonRecord>> {
      for (;;) {
        const next = await lines.next();
        if (next.done) return next;
        if (!isSessionLine(next.value.value)) continue;
        sessionLines++;
        return next;
      }
    },
  };
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
  const finish = () => {
    if (badLines > BAD_LINES_NAMED) warn(`${file}: ${badLines - BAD_LINES_NAMED} more lines skipped as above (${badLines} in all)`);
    if (sessionLines === 0) warn(`${file}: no line of a Claude session (a stream-json message or a transcript entry); nothing to replay`);
    return badLines === 0 && sessionLines > 0;
  };
  return { file, kind, mapping: kind === "transcript" ? TRANSCRIPT_MAPPING : STREAM_MAPPING, inputs: inputs(), finish };
}

/** Reads a saved stream-json capture or transcript (told apart by its lines) into mapper inputs. */
export async function readCapture(file: string, warn: (message: string) => void): Promise<Capture> {
  const open = await openCapture(file, warn);
  const inputs: MapperInput[] = [];
  for await (const input of open.inputs) inputs.push(input);
  open.finish();
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

/** What replay made of one file. */
export interface ReplayedFile {
  file: string;
  /** Unknown when the file could not be read far enough to tell. */
  kind?: CaptureKind;
  messages: number;
  /** Read whole, every line JSON, at least one line of a Claude session. */
  clean: boolean;
}

/**
 * Sends each file's traces through the same pipeline a live session uses, streaming each file.
 * Every file is replayed, whatever happened to the ones before it; what was wrong with each is
 * said through `warn`, naming the file (and lines by number), never quoting it.
 */
export async function replayFiles(files: string[], settings: ReplaySettings): Promise<ReplayedFile[]> {
  const summary: ReplayedFile[] = [];
  for (const file of files) {
    let capture: OpenCapture | undefined;
    let tracer: Tracer | undefined;
    let messages = 0;
    try {
      capture = await openCapture(file, settings.warn);
      tracer = createTracer({ config: settings.config, exporter: settings.exporter, mapping: capture.mapping, ids: settings.ids, warn: settings.warn });
      for await (const input of capture.inputs) {
        tracer.push(input);
        messages++;
        // Offline, there is time: wait for Langfuse instead of dropping what it has not taken yet.
        if ((settings.exporter.backlog?.() ?? 0) > REPLAY_BACKLOG) await tracer.flush(60_000);
      }
      tracer.end();
      summary.push({ file, kind: capture.kind, messages, clean: capture.finish() });
    } catch (e) {
      const failure = readFailure(e);
      if (failure === undefined) throw e;
      // What was read before the failure is traced, as a cut-off session would be.
      tracer?.end();
      settings.warn(`${file}: cannot be read: ${failure}`);
      summary.push({ file, kind: capture?.kind, messages, clean: false });
    }
  }
  return summary;
}

/** A file system error in words (the path is named by the caller); undefined for any other error. */
function readFailure(e: unknown): string | undefined {
  const { code, syscall } = (e ?? {}) as NodeJS.ErrnoException;
  if (typeof code !== "string" || typeof syscall !== "string") return undefined;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "it is a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    default:
      return `${code} (${syscall})`;
  }
}
