import type { MapperInput, MapperOptions } from "../mapper";
import type { JsonRecord } from "./jsonLines";

/** How a stream-json capture (or the SDK stream, which has the same shapes) is mapped. */
export const STREAM_MAPPING: Pick<MapperOptions, "turnBoundary" | "assistantLinesHaveFinalUsage"> = {
  turnBoundary: "result",
  assistantLinesHaveFinalUsage: false,
};

/** stream-json lines are SDK messages as they are; they have no timestamps: the read time stands in. */
export function streamJsonInputs(records: JsonRecord[]): MapperInput[] {
  const inputs: MapperInput[] = [];
  for (const record of records) {
    const input = streamJsonInput(record);
    if (input) inputs.push(input);
  }
  return inputs;
}

/** One record as a mapper input; undefined for values that are no message. */
export function streamJsonInput({ value, readAt }: JsonRecord): MapperInput | undefined {
  if (typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string") {
    return { message: value as MapperInput["message"], at: readAt };
  }
  return undefined;
}
