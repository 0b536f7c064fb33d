import type { ObservationEvent } from "./events";
import { createMapper, type MapperInput, type MapperOptions } from "./mapper";
import { detectCaptureKind, type CaptureKind } from "./sources/detect";
import { readJsonLines } from "./sources/jsonLines";
import { STREAM_MAPPING, streamJsonInputs } from "./sources/streamJson";
import { TRANSCRIPT_MAPPING, transcriptInputs } from "./sources/transcript";

/** What the mapper needs besides the capture's own kind. */
export type ReplaySettings = Omit<MapperOptions, "turnBoundary" | "assistantLinesHaveFinalUsage">;

export interface ReplayedFile {
  file: string;
  kind: CaptureKind;
  events: ObservationEvent[];
}

/** Reads one saved capture (stream-json or transcript, detected from its lines) into finished observations. */
export async function replayFile(file: string, settings: ReplaySettings, warn: (message: string) => void): Promise<ReplayedFile> {
  const records = await readJsonLines(file, warn);
  const kind = detectCaptureKind(records);
  const inputs: MapperInput[] = kind === "transcript" ? transcriptInputs(records) : streamJsonInputs(records);
  const mapper = createMapper({ ...settings, ...(kind === "transcript" ? TRANSCRIPT_MAPPING : STREAM_MAPPING) });
  const events: ObservationEvent[] = [];
  for (const input of inputs) events.push(...mapper.push(input));
  events.push(...mapper.end());
  return { file, kind, events };
}
