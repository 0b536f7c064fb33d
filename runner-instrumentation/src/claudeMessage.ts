import type { MessageUsage, ModelUsageEntry } from "./usage";

/**
 * The fields of a Claude message stream entry that the tracer reads, all optional. The SDK's own
 * types describe the newest CLI; recordings from older CLIs (and future ones) differ, so the
 * mapper reads every message through this lenient view and ignores what it does not know.
 */
export interface ContentBlock {
  type: string;
  id?: string;
  name?: string;
  input?: unknown;
  text?: string;
  thinking?: string;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean | null;
}

export interface ApiMessage {
  id?: string;
  model?: string;
  role?: string;
  content?: string | ContentBlock[];
  usage?: MessageUsage | null;
  stop_reason?: string | null;
}

export interface StreamEvent {
  type: string;
  message?: ApiMessage;
  usage?: MessageUsage | null;
  delta?: { stop_reason?: string | null; [key: string]: unknown };
  content_block?: ContentBlock;
}

export interface LooseMessage {
  type: string;
  subtype?: string;
  session_id?: string;
  uuid?: string;
  parent_tool_use_id?: string | null;
  message?: ApiMessage;
  tool_use_result?: unknown;
  event?: StreamEvent;
  // system/init
  model?: string;
  claude_code_version?: string;
  cwd?: string;
  // result
  is_error?: boolean;
  total_cost_usd?: number;
  num_turns?: number;
  duration_ms?: number;
  duration_api_ms?: number;
  modelUsage?: Record<string, ModelUsageEntry>;
  result?: string;
  errors?: string[];
  permission_denials?: unknown[];
  // system/task_started, task_notification: a task (a sub-agent, a shell) the CLI runs
  tool_use_id?: string;
  is_backgrounded?: boolean;
  status?: string;
  summary?: string;
  // system/api_retry: the CLI is about to retry a failed API call
  attempt?: number;
  max_retries?: number;
  retry_delay_ms?: number;
  error_status?: number | null;
  error?: string;
}

export function asLoose(message: unknown): LooseMessage | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const type = (message as { type?: unknown }).type;
  return typeof type === "string" ? (message as LooseMessage) : undefined;
}

export function contentBlocks(content: string | ContentBlock[] | undefined): ContentBlock[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? content.filter((b) => typeof b === "object" && b !== null) : [];
}

/** The text of a tool result's content, whether a string or text blocks. */
export function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((b) => (typeof b === "object" && b !== null ? (b as ContentBlock).text : undefined))
      .filter((t): t is string => typeof t === "string" && t.length > 0)
      .join("\n");
  }
  return "";
}

/**
 * A prompt as a turn's input: text blocks (how the TypeScript SDK sends a string prompt) read as
 * the text they hold; anything else (images, documents) kept as it came.
 */
export function promptInput(content: string | ContentBlock[] | undefined): unknown {
  if (!Array.isArray(content) || content.length === 0 || !content.every((b) => b?.type === "text" && typeof b.text === "string")) return content;
  return content.map((b) => b.text).join("\n");
}

export const SUBAGENT_TOOL_NAMES: ReadonlySet<string> = new Set(["Agent", "Task"]);

/** The CLI writes these itself (e.g. "No response requested."); no model was called. */
export const SYNTHETIC_MODEL = "<synthetic>";
