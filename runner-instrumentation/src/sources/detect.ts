import type { JsonRecord } from "./jsonLines";

export type CaptureKind = "transcript" | "stream-json";

const TRANSCRIPT_ONLY_TYPES = new Set(["summary", "file-history-snapshot", "progress"]);

/**
 * Saved transcripts chain their lines (`parentUuid`, `isSidechain`, camel-case `sessionId`);
 * stream-json lines carry snake-case `session_id` and none of those.
 */
export function detectCaptureKind(records: JsonRecord[]): CaptureKind {
  for (const { value } of records.slice(0, 50)) {
    if (typeof value !== "object" || value === null) continue;
    const o = value as Record<string, unknown>;
    if ("parentUuid" in o || "isSidechain" in o || "sessionId" in o) return "transcript";
    if (typeof o.type === "string" && TRANSCRIPT_ONLY_TYPES.has(o.type)) return "transcript";
    if ("session_id" in o) return "stream-json";
  }
  return "stream-json";
}

/**
 * Whether a JSON value is a line of a Claude session: a stream-json message (every one names its
 * `session_id`) or a transcript entry (chained by `uuid`, or a summary or file snapshot pointing
 * at one). Anything else, however well-formed, is not a session.
 */
export function isSessionLine(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const o = value as Record<string, unknown>;
  if (typeof o.type !== "string") return false;
  return ["session_id", "sessionId", "uuid", "leafUuid", "messageId"].some((key) => typeof o[key] === "string");
}
