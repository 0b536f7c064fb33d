/**
 * The Claude Agent SDK's `query()` as a tracer sees it, for the peer benchmark: it yields a
 * recorded stream's messages (already parsed, as the SDK parses the CLI's lines) and calls the
 * hooks the caller registered in `options.hooks` where the real SDK calls them: PreToolUse after
 * the assistant message that asks for a tool, PostToolUse (PostToolUseFailure for an error) before
 * the user message that carries its result, Stop before each result.
 */

type HookCallback = (input: Record<string, unknown>, toolUseId: string | undefined, options: { signal: AbortSignal }) => Promise<unknown>;
interface HookMatcher {
  matcher?: string;
  hooks: HookCallback[];
}
export interface QueryParams {
  prompt: unknown;
  options?: { hooks?: Record<string, HookMatcher[]>; [key: string]: unknown };
}

interface Block {
  type?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
}
interface Message {
  type?: string;
  session_id?: string;
  message?: { content?: unknown };
}

const blocksOf = (m: Message): Block[] => (Array.isArray(m.message?.content) ? (m.message!.content as Block[]) : []);

/** A `query` over `messages`, with the SDK's hook calls around tools. */
export function sdkQuery(messages: readonly unknown[]): (params: QueryParams) => AsyncGenerator<unknown, void> {
  return async function* query(params: QueryParams) {
    const hooks = params.options?.hooks ?? {};
    const signal = new AbortController().signal;
    const tools = new Map<string, { name: string; input: unknown }>();
    const call = async (event: string, input: Record<string, unknown>, toolUseId?: string) => {
      for (const matcher of hooks[event] ?? []) {
        if (matcher.matcher && typeof input.tool_name === "string" && !new RegExp(matcher.matcher).test(input.tool_name)) continue;
        for (const hook of matcher.hooks) await hook({ hook_event_name: event, cwd: "/workspace", transcript_path: "/nonexistent/transcript.jsonl", ...input }, toolUseId, { signal });
      }
    };
    for (const value of messages) {
      const m = value as Message;
      const session = { session_id: m.session_id ?? "" };
      if (m.type === "user") {
        for (const b of blocksOf(m)) {
          if (b.type !== "tool_result" || !b.tool_use_id) continue;
          const tool = tools.get(b.tool_use_id);
          tools.delete(b.tool_use_id);
          const event = b.is_error ? "PostToolUseFailure" : "PostToolUse";
          const outcome = b.is_error ? { error: typeof b.content === "string" ? b.content : JSON.stringify(b.content) } : { tool_response: b.content };
          await call(event, { ...session, tool_name: tool?.name ?? "", tool_input: tool?.input ?? {}, tool_use_id: b.tool_use_id, ...outcome }, b.tool_use_id);
        }
      }
      if (m.type === "result") await call("Stop", { ...session, stop_hook_active: false });
      yield value;
      if (m.type === "assistant") {
        for (const b of blocksOf(m)) {
          if (b.type !== "tool_use" || !b.id) continue;
          tools.set(b.id, { name: b.name ?? "", input: b.input });
          await call("PreToolUse", { ...session, tool_name: b.name, tool_input: b.input, tool_use_id: b.id }, b.id);
        }
      }
    }
  };
}
