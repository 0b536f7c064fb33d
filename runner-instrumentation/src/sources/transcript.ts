import type { ContentBlock, LooseMessage } from "../claudeMessage";
import { contentBlocks, SUBAGENT_TOOL_NAMES } from "../claudeMessage";
import type { MapperInput, MapperOptions } from "../mapper";
import type { JsonRecord } from "./jsonLines";

/** How a saved transcript is mapped: turns split at prompts; the last line per message id is final. */
export const TRANSCRIPT_MAPPING: Pick<MapperOptions, "turnBoundary" | "assistantLinesHaveFinalUsage"> = {
  turnBoundary: "prompt",
  assistantLinesHaveFinalUsage: true,
};

/** A line of `~/.claude/projects/**\/<session>.jsonl`, as far as the tracer reads it. */
interface TranscriptLine {
  type?: string;
  uuid?: string;
  parentUuid?: string | null;
  isSidechain?: boolean;
  sessionId?: string;
  version?: string;
  timestamp?: string;
  message?: LooseMessage["message"];
  toolUseResult?: unknown;
  parentToolUseID?: string;
  data?: { type?: string; message?: { type?: string; timestamp?: string; uuid?: string; message?: LooseMessage["message"] } };
}

/**
 * Turns transcript lines into the SDK's message shapes. Two things need state: sub-agent lines
 * written inline (`isSidechain`) name no tool call, so each sidechain is tied to the `Task`/
 * `Agent` call whose prompt it starts with; and sub-agent messages nested in `progress` lines are
 * unwrapped and marked, because their usage stays at the message's start.
 */
export function transcriptInputs(records: JsonRecord[]): MapperInput[] {
  const reader = transcriptReader();
  const inputs: MapperInput[] = [];
  for (const record of records) for (const input of reader.push(record)) inputs.push(input);
  return inputs;
}

/** The same conversion one line at a time, so a transcript of any length can be streamed. */
export function transcriptReader(): { push(record: JsonRecord): MapperInput[] } {
  const subagentCalls: Array<{ toolUseId: string; prompt?: string; claimed: boolean }> = [];
  const sidechainToolOf = new Map<string, string | null>();
  let lastTime: Date | undefined;

  const timeOf = (iso: string | undefined, fallback: Date): Date => {
    const t = iso ? new Date(iso) : undefined;
    return t && !Number.isNaN(t.getTime()) ? t : (lastTime ?? fallback);
  };

  const claimSubagentCall = (promptText: string): string | null => {
    const open = subagentCalls.filter((c) => !c.claimed);
    const call = open.find((c) => c.prompt === promptText) ?? open[0];
    if (!call) return null;
    call.claimed = true;
    return call.toolUseId;
  };

  const push = ({ value, readAt }: JsonRecord): MapperInput[] => {
    const inputs: MapperInput[] = [];
    if (typeof value !== "object" || value === null) return inputs;
    const line = value as TranscriptLine;
    const at = timeOf(line.timestamp, readAt);
    lastTime = at;
    const common = { session_id: line.sessionId, uuid: line.uuid };

    if (line.type === "progress") {
      const nested = line.data?.type === "agent_progress" ? line.data.message : undefined;
      if (nested && (nested.type === "assistant" || nested.type === "user") && nested.message) {
        inputs.push({
          message: { type: nested.type, message: nested.message, parent_tool_use_id: line.parentToolUseID ?? null, ...common },
          at: timeOf(nested.timestamp, at),
          origin: "progress",
          cliVersion: line.version,
        });
      }
      return inputs;
    }
    if (line.type !== "assistant" && line.type !== "user") return inputs;
    if (!line.message) return inputs;

    let parentToolUseId: string | null = null;
    if (line.isSidechain && line.uuid) {
      const parent = line.parentUuid ?? undefined;
      if (parent !== undefined && sidechainToolOf.has(parent)) {
        parentToolUseId = sidechainToolOf.get(parent) ?? null;
      } else {
        parentToolUseId = claimSubagentCall(promptText(line.message.content));
      }
      sidechainToolOf.set(line.uuid, parentToolUseId);
    }

    if (line.type === "assistant") {
      for (const block of contentBlocks(line.message.content)) {
        if (block.type === "tool_use" && block.id && SUBAGENT_TOOL_NAMES.has(block.name ?? "")) {
          subagentCalls.push({ toolUseId: block.id, prompt: promptOf(block), claimed: false });
        }
      }
    }
    const message: LooseMessage = { type: line.type, message: line.message, parent_tool_use_id: parentToolUseId, ...common };
    if (line.toolUseResult !== undefined) message.tool_use_result = line.toolUseResult;
    inputs.push({ message, at, origin: "line", cliVersion: line.version });
    return inputs;
  };
  return { push };
}

function promptText(content: string | ContentBlock[] | undefined): string {
  return contentBlocks(content)
    .filter((b) => b.type === "text" && typeof b.text === "string")
    .map((b) => b.text)
    .join("\n");
}

function promptOf(block: ContentBlock): string | undefined {
  const input = block.input as { prompt?: unknown } | undefined;
  return typeof input?.prompt === "string" ? input.prompt : undefined;
}
