import type { SDKMessage } from "@anthropic-ai/claude-agent-sdk";
import type { MapperInput } from "../mapper";

export { STREAM_MAPPING as SDK_STREAM_MAPPING } from "./streamJson";

/** An Agent SDK message as the mapper takes it; SDK messages carry no time, so arrival stands in. */
export function sdkInput(message: SDKMessage, at: Date = new Date()): MapperInput {
  return { message, at };
}
