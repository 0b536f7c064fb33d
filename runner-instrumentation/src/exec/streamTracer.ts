import type { MapperInput } from "../mapper";
import { parseJsonLine } from "../sources/jsonLines";

/** Message types the mapper reads; anything else on the stream is passed over (and counted). */
const KNOWN_TYPES = new Set(["system", "assistant", "user", "result", "stream_event"]);

export interface LineCounts {
  /** Lines that held at least one message the mapper reads. */
  messages: number;
  /** Lines with JSON the tracer does not read (other message types, control messages, non-objects). */
  unknown: number;
  /** Lines that are not JSON at all (or only partly): passed through, not traced. */
  malformed: number;
}

export interface StreamTracerSink {
  push(input: MapperInput): void;
}

/** Where the CLI takes its prompt from, as its arguments say. */
export interface PromptSource {
  /** The prompt on the command line (`claude -p "<prompt>"`). */
  argument?: string;
  /**
   * `stream-json`: stdin carries user messages, one prompt each (the Agent SDKs). `text`: the
   * whole of stdin is one prompt, after the command line's (`echo … | claude -p`).
   */
  stdinFormat: "text" | "stream-json";
  /** When the CLI was started: the time of a command-line or text prompt. */
  at: Date;
}

/** The most of a text prompt on stdin kept for the trace. */
const MAX_TEXT_PROMPT_CHARS = 1024 * 1024;


/**
 * Turns the lines seen on the CLI's stdout (and the prompts the runner writes to its stdin) into
 * mapper inputs. Nothing here can throw into the wrapper: a line that does not parse is counted.
 */
export class StreamTracer {
  readonly counts: LineCounts = { messages: 0, unknown: 0, malformed: 0 };
  private sink: StreamTracerSink | undefined;
  private textPrompt: string[] = [];
  private textPromptChars = 0;
  private promptDelivered = false;
  private sawStdinPrompt = false;

  constructor(private readonly prompt: PromptSource = { stdinFormat: "stream-json", at: new Date() }) {}

  /** Where messages go; without a sink (tracing off) lines are still counted. */
  attach(sink: StreamTracerSink | undefined): void {
    this.sink = sink;
  }

  /** A line of the CLI's stdout. */
  stdoutLine(line: string, at: Date): void {
    if (line.trim() === "") return;
    const { values, errors } = parseJsonLine(line);
    if (errors.length > 0 || values.length === 0) {
      this.counts.malformed++;
      return;
    }
    let read = false;
    for (const value of values) {
      const type = typeof value === "object" && value !== null ? (value as { type?: unknown }).type : undefined;
      if (typeof type !== "string" || !KNOWN_TYPES.has(type)) continue;
      // Prompts the runner wrote to stdin, echoed back (--replay-user-messages): already seen there.
      if (type === "user" && this.sawStdinPrompt && (value as { isReplay?: unknown }).isReplay === true) continue;
      read = true;
      this.deliverPrompt();
      this.deliver({ message: value as MapperInput["message"], at });
    }
    if (read) this.counts.messages++;
    else this.counts.unknown++;
  }

  /**
   * A line the runner wrote to the CLI's stdin. With `--input-format stream-json` the prompts
   * arrive there, not on stdout; they become the turn's input. Their `session_id` is the SDK's
   * placeholder, not the CLI's session, so it is left out. Text on stdin is part of the prompt.
   */
  stdinLine(line: string, at: Date): void {
    if (this.prompt.stdinFormat === "text") {
      if (this.promptDelivered || this.textPromptChars >= MAX_TEXT_PROMPT_CHARS) return;
      this.textPrompt.push(line.slice(0, MAX_TEXT_PROMPT_CHARS - this.textPromptChars));
      this.textPromptChars += line.length + 1;
      return;
    }
    if (line.trim() === "") return;
    const { values } = parseJsonLine(line);
    for (const value of values) {
      if (typeof value !== "object" || value === null) continue;
      const m = value as { type?: unknown; message?: unknown; parent_tool_use_id?: unknown };
      if (m.type !== "user" || typeof m.message !== "object" || m.message === null) continue;
      this.sawStdinPrompt = true;
      // A prompt written while a turn runs is that turn's: the CLI folds it into the running turn.
      this.deliver({
        message: { type: "user", message: m.message, parent_tool_use_id: typeof m.parent_tool_use_id === "string" ? m.parent_tool_use_id : null } as MapperInput["message"],
        at,
      });
    }
  }

  /**
   * The command line's prompt and any text on stdin, as the CLI joins them: delivered once,
   * before the first message the CLI writes (the CLI reads all of it before it starts).
   */
  private deliverPrompt(): void {
    if (this.promptDelivered) return;
    this.promptDelivered = true;
    const text = [this.prompt.argument, this.textPrompt.join("\n").trimEnd()].filter((t) => t !== undefined && t !== "").join("\n");
    this.textPrompt = [];
    if (text) this.deliver({ message: { type: "user", message: { role: "user", content: text }, parent_tool_use_id: null } as MapperInput["message"], at: this.prompt.at });
  }

  private deliver(input: MapperInput): void {
    this.sink?.push(input);
  }
}
