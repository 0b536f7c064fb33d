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

/**
 * Turns the lines seen on the CLI's stdout (and the prompts the runner writes to its stdin) into
 * mapper inputs. Nothing here can throw into the wrapper: a line that does not parse is counted.
 */
export class StreamTracer {
  readonly counts: LineCounts = { messages: 0, unknown: 0, malformed: 0 };
  private sink: StreamTracerSink | undefined;

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
      read = true;
      this.deliver({ message: value as MapperInput["message"], at });
    }
    if (read) this.counts.messages++;
    else this.counts.unknown++;
  }

  /**
   * A line the runner wrote to the CLI's stdin. With `--input-format stream-json` the prompts
   * arrive there, not on stdout; they become the turn's input. Their `session_id` is the SDK's
   * placeholder, not the CLI's session, so it is left out.
   */
  stdinLine(line: string, at: Date): void {
    if (line.trim() === "") return;
    const { values } = parseJsonLine(line);
    for (const value of values) {
      if (typeof value !== "object" || value === null) continue;
      const m = value as { type?: unknown; message?: unknown; parent_tool_use_id?: unknown };
      if (m.type !== "user" || typeof m.message !== "object" || m.message === null) continue;
      this.deliver({
        message: { type: "user", message: m.message, parent_tool_use_id: typeof m.parent_tool_use_id === "string" ? m.parent_tool_use_id : null } as MapperInput["message"],
        at,
      });
    }
  }

  private deliver(input: MapperInput): void {
    this.sink?.push(input);
  }
}
