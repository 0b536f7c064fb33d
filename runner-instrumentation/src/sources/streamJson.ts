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
  for (const { value, readAt } of records) {
    if (typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string") {
      inputs.push({ message: value as MapperInput["message"], at: readAt });
    }
  }
  return inputs;
}
