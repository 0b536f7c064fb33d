import * as http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for Anthropic's Messages API on 127.0.0.1, for running the real Claude Code CLI (or
 * any Anthropic client) with no network and no model. Each test scripts the answers, call by
 * call; the stand-in streams them as the API does and records what it served, so a test can
 * compare a trace with the tokens that were actually "spent".
 *
 * - `POST /v1/messages` (with or without `?beta=true`), streamed (`stream: true`: SSE events
 *   `message_start` with a placeholder output count, content blocks, `message_delta` with the
 *   final usage, `message_stop`) or not (one JSON message).
 * - `POST /v1/messages/count_tokens`: an estimate; not a served call.
 * - Aliases are answered with dated ids (`claude-sonnet-4-5` -> `claude-sonnet-4-5-20250929`).
 * - A scripted error (an overloaded 529, a 429 with `retry-after`, ...) answers one call.
 * - `GET /_standin/served` and `PUT /_standin/script` let another process (a benchmark) read
 *   what was served and change the script; `test/messagesApiServer.ts` runs it on its own.
 */

/** Usage as the API reports it (the four figures Langfuse prices). */
export interface ServedUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

export interface ToolUseAnswer {
  name: string;
  input: Record<string, unknown>;
}

/** A model answer. Blocks come in this order: thinking, text, tool uses. */
export interface ReplyAnswer {
  thinking?: string;
  text?: string;
  toolUses?: ToolUseAnswer[];
  /** Default: `tool_use` when the answer uses a tool, else `end_turn`. */
  stopReason?: "end_turn" | "tool_use" | "max_tokens" | "stop_sequence";
  /** Figures to serve instead of the computed ones (see `defaultUsage`). */
  usage?: Partial<ServedUsage>;
}

/** An API error instead of an answer. */
export interface ErrorAnswer {
  error: { status: number; type: string; message: string; retryAfterSeconds?: number };
}

export type Answer = ReplyAnswer | ErrorAnswer;

/**
 * One scripted step. Steps are taken in order; a step with `when` only answers a request whose
 * first user message contains that text (how a sub-agent's calls, which start from its own
 * prompt, are told from the main thread's), and is preferred to steps without one.
 */
export type ScriptStep = Answer & {
  when?: string;
  /** The same answer for this many calls (default 1). */
  times?: number;
  /** Wait this long before answering (a slow call; another conversation overtaking this one). */
  delayMs?: number;
};

/** One call the stand-in answered. */
export interface ServedCall {
  /** 1-based, in the order requests arrived. */
  call: number;
  requestedModel: string;
  /** The model named in the answer; absent for errors. */
  answeredModel?: string;
  status: number;
  stream: boolean;
  messageId?: string;
  /** The final usage; absent for errors. */
  usage?: ServedUsage;
  stopReason?: string;
  toolUseIds: string[];
  /**
   * The first user message's text without the CLI's `<system-reminder>` blocks, cut to 200
   * characters: which conversation (main thread, a sub-agent) the call belongs to.
   */
  conversation: string;
  /** False when the script had no step left for it and the fallback answered. */
  scripted: boolean;
}

export interface MessagesApiOptions {
  /** Alias -> the id the API answers with, on top of `DATED_MODEL_IDS`. */
  models?: Record<string, string>;
  /**
   * A snapshot date (`20260101`) to answer every other undated name with, as the API would
   * answer an alias it knows (for model names newer than `DATED_MODEL_IDS`). Default: none, the
   * name is answered as it was asked for.
   */
  dateOtherAliases?: string;
  /**
   * The output count `message_start` carries before the answer is written (the API's own is a
   * small placeholder). Default 1.
   */
  placeholderOutputTokens?: number;
  /**
   * What `message_delta.usage` carries: `full` (the current API: all four figures, final) or
   * `output` (older APIs: only the output count). Default `full`.
   */
  deltaUsage?: "full" | "output";
  /** Pause between SSE events, to spread a stream out in time. Default 0. */
  eventDelayMs?: number;
  /** Usage of a reply that does not script its own; default `defaultUsage`. */
  usage?: (served: number, answer: ReplyAnswer) => ServedUsage;
}

/** Dated ids the API answers aliases with. */
export const DATED_MODEL_IDS: Readonly<Record<string, string>> = {
  "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
  "claude-haiku-4-5": "claude-haiku-4-5-20251001",
  "claude-opus-4-5": "claude-opus-4-5-20251101",
  "claude-opus-4-1": "claude-opus-4-1-20250805",
  "claude-opus-4-0": "claude-opus-4-20250514",
  "claude-sonnet-4-0": "claude-sonnet-4-20250514",
  "claude-3-7-sonnet-latest": "claude-3-7-sonnet-20250219",
  "claude-3-5-haiku-latest": "claude-3-5-haiku-20241022",
};

export const FALLBACK_TEXT = "(the stand-in's script has no answer for this call)";

/** Builders for scripts that read like the conversation they stand for. */
export const say = (text: string, extra: Omit<ReplyAnswer, "text"> = {}): ReplyAnswer => ({ ...extra, text });
export const useTool = (name: string, input: Record<string, unknown>, text?: string): ReplyAnswer => ({ text, toolUses: [{ name, input }] });
export const overloaded = (): ErrorAnswer => ({ error: { status: 529, type: "overloaded_error", message: "Overloaded" } });
export const rateLimited = (retryAfterSeconds = 1): ErrorAnswer => ({
  error: { status: 429, type: "rate_limit_error", message: "Number of request tokens has exceeded your per-minute rate limit", retryAfterSeconds },
});
export const inConversation = (when: string, ...steps: ScriptStep[]): ScriptStep[] => steps.map((s) => ({ ...s, when }));

/**
 * Figures that look like a coding agent's and differ call by call: a growing cached prefix, a
 * small new tail, and output in proportion to what the answer says.
 */
export function defaultUsage(served: number, answer: ReplyAnswer): ServedUsage {
  const written = (answer.thinking ?? "").length + (answer.text ?? "").length + (answer.toolUses ?? []).reduce((n, t) => n + t.name.length + JSON.stringify(t.input).length, 0);
  return {
    input_tokens: 3 + served,
    output_tokens: 20 + Math.ceil(written / 4) + 7 * served,
    cache_read_input_tokens: served === 1 ? 0 : 14_000 + 1_100 * served,
    cache_creation_input_tokens: served === 1 ? 16_000 : 400 + 23 * served,
  };
}

interface PendingStep {
  step: ScriptStep;
  left: number;
}

export class MessagesApiStandIn {
  private server?: http.Server;
  private steps: PendingStep[] = [];
  private calls: ServedCall[] = [];
  private replies = 0;
  private readonly models: Record<string, string>;

  constructor(script: ScriptStep[] = [], private readonly options: MessagesApiOptions = {}) {
    this.models = { ...DATED_MODEL_IDS, ...options.models };
    this.script(script);
  }

  /** Replaces the script and forgets what was served (one stand-in can serve several tests). */
  script(steps: ScriptStep[]): void {
    this.steps = steps.map((step) => ({ step, left: step.times ?? 1 }));
    this.calls = [];
    this.replies = 0;
  }

  /** Every call answered since the script was set, in arrival order. */
  served(): ServedCall[] {
    return this.calls.map((c) => ({ ...c, usage: c.usage && { ...c.usage }, toolUseIds: [...c.toolUseIds] }));
  }

  /** Steps not used yet (a test whose CLI made fewer calls than scripted). */
  unusedSteps(): number {
    return this.steps.reduce((n, s) => n + s.left, 0);
  }

  /** The id the API answers `requested` with. */
  answeredModel(requested: string): string {
    const bare = requested.replace(/\[[^\]]*\]$/, "");
    const date = this.options.dateOtherAliases;
    return this.models[bare] ?? (date && !/-\d{8}$/.test(bare) ? `${bare}-${date}` : bare);
  }

  async start(port = 0): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.handle(req, Buffer.concat(chunks).toString("utf8"), res).catch((e: unknown) => {
          if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify(apiError("api_error", `stand-in failure: ${(e as Error).message}`)));
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    return this.url();
  }

  url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error("the Messages API stand-in is not listening; call start() first");
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private async handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/_standin/served" && req.method === "GET") return sendJson(res, 200, this.served());
    if (path === "/_standin/script" && req.method === "PUT") {
      this.script(JSON.parse(body) as ScriptStep[]);
      return sendJson(res, 200, { steps: this.unusedSteps() });
    }
    if (req.method !== "POST") {
      // Some CLI versions probe the base URL (HEAD /) before the first call.
      res.writeHead(200);
      res.end();
      return;
    }
    let request: MessagesRequest;
    try {
      request = JSON.parse(body) as MessagesRequest;
    } catch {
      return sendJson(res, 400, apiError("invalid_request_error", "the body is not JSON"));
    }
    if (path === "/v1/messages/count_tokens") return sendJson(res, 200, { input_tokens: Math.ceil(body.length / 4) });
    if (path !== "/v1/messages") return sendJson(res, 404, apiError("not_found_error", `no route ${req.method} ${path}`));
    await this.answer(request, res);
  }

  private async answer(request: MessagesRequest, res: http.ServerResponse): Promise<void> {
    const firstText = firstUserText(request);
    const taken = this.take(firstText);
    const call: ServedCall = {
      call: this.calls.length + 1,
      requestedModel: String(request.model ?? ""),
      status: 200,
      stream: request.stream === true,
      toolUseIds: [],
      conversation: firstText.replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, "").trim().slice(0, 200),
      scripted: taken !== undefined,
    };
    this.calls.push(call);
    if (taken?.delayMs) await new Promise((resolve) => setTimeout(resolve, taken.delayMs));
    const answer: Answer = taken ?? say(FALLBACK_TEXT);
    if ("error" in answer) {
      call.status = answer.error.status;
      const headers: http.OutgoingHttpHeaders = { "request-id": `req_standin_${call.call}` };
      if (answer.error.retryAfterSeconds !== undefined) headers["retry-after"] = String(answer.error.retryAfterSeconds);
      return sendJson(res, answer.error.status, { ...apiError(answer.error.type, answer.error.message), request_id: headers["request-id"] }, headers);
    }

    this.replies += 1;
    const usage: ServedUsage = { ...(this.options.usage ?? defaultUsage)(this.replies, answer), ...answer.usage };
    const messageId = `msg_standin_${String(call.call).padStart(4, "0")}`;
    const blocks = contentOf(answer, call.call);
    const stopReason = answer.stopReason ?? (blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn");
    Object.assign(call, {
      answeredModel: this.answeredModel(call.requestedModel),
      messageId,
      usage,
      stopReason,
      toolUseIds: blocks.flatMap((b) => (b.type === "tool_use" ? [b.id] : [])),
    });
    const message = { id: messageId, type: "message", role: "assistant", model: call.answeredModel, content: blocks, stop_reason: stopReason, stop_sequence: null, usage };
    if (!call.stream) return sendJson(res, 200, message, { "request-id": `req_standin_${call.call}` });
    await this.stream(res, call, message, blocks, usage, stopReason);
  }

  private take(firstUserText: string): ScriptStep | undefined {
    const open = this.steps.filter((s) => s.left > 0);
    const pending = open.find((s) => s.step.when !== undefined && firstUserText.includes(s.step.when)) ?? open.find((s) => s.step.when === undefined);
    if (!pending) return undefined;
    pending.left -= 1;
    return pending.step;
  }

  private async stream(res: http.ServerResponse, call: ServedCall, message: Record<string, unknown>, blocks: Block[], usage: ServedUsage, stopReason: string): Promise<void> {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "request-id": `req_standin_${call.call}` });
    const delay = this.options.eventDelayMs ?? 0;
    const send = async (type: string, data: Record<string, unknown>) => {
      res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    };
    const placeholder = Math.min(usage.output_tokens, this.options.placeholderOutputTokens ?? 1);
    await send("message_start", { message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: placeholder } } });
    for (const [index, block] of blocks.entries()) {
      if (block.type === "tool_use") {
        await send("content_block_start", { index, content_block: { ...block, input: {} } });
        for (const piece of halves(JSON.stringify(block.input))) await send("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: piece } });
      } else if (block.type === "thinking") {
        await send("content_block_start", { index, content_block: { type: "thinking", thinking: "", signature: "" } });
        for (const piece of halves(block.thinking)) await send("content_block_delta", { index, delta: { type: "thinking_delta", thinking: piece } });
        await send("content_block_delta", { index, delta: { type: "signature_delta", signature: block.signature } });
      } else {
        await send("content_block_start", { index, content_block: { type: "text", text: "" } });
        for (const piece of halves(block.text)) await send("content_block_delta", { index, delta: { type: "text_delta", text: piece } });
      }
      await send("content_block_stop", { index });
    }
    const final = this.options.deltaUsage === "output" ? { output_tokens: usage.output_tokens } : { ...usage };
    await send("message_delta", { delta: { stop_reason: stopReason, stop_sequence: null }, usage: final });
    await send("message_stop", {});
    res.end();
  }
}

interface MessagesRequest {
  model?: unknown;
  stream?: unknown;
  messages?: Array<{ role?: string; content?: unknown }>;
}

type Block =
  | { type: "text"; text: string }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

function contentOf(answer: ReplyAnswer, call: number): Block[] {
  const blocks: Block[] = [];
  if (answer.thinking) blocks.push({ type: "thinking", thinking: answer.thinking, signature: `standin-signature-${call}` });
  if (answer.text) blocks.push({ type: "text", text: answer.text });
  for (const [i, tool] of (answer.toolUses ?? []).entries()) {
    blocks.push({ type: "tool_use", id: `toolu_standin_${String(call).padStart(4, "0")}_${i + 1}`, name: tool.name, input: tool.input });
  }
  if (blocks.length === 0) blocks.push({ type: "text", text: "" });
  return blocks;
}

/** A text in two deltas, as the API streams it in pieces. */
function halves(text: string): string[] {
  if (text.length < 2) return [text];
  const mid = Math.ceil(text.length / 2);
  return [text.slice(0, mid), text.slice(mid)];
}

function firstUserText(request: MessagesRequest): string {
  const first = (request.messages ?? []).find((m) => m.role === "user");
  const content = first?.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((b) => (typeof b === "object" && b !== null && typeof (b as { text?: unknown }).text === "string" ? (b as { text: string }).text : ""))
    .filter(Boolean)
    .join("\n");
}

function apiError(type: string, message: string) {
  return { type: "error", error: { type, message } };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** Sums served usage (for totals in tests and benchmarks). */
export function totalServed(calls: ServedCall[]): ServedUsage {
  const total: ServedUsage = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  for (const c of calls) {
    if (!c.usage) continue;
    total.input_tokens += c.usage.input_tokens;
    total.output_tokens += c.usage.output_tokens;
    total.cache_read_input_tokens += c.usage.cache_read_input_tokens;
    total.cache_creation_input_tokens += c.usage.cache_creation_input_tokens;
  }
  return total;
}
