import { performance } from "node:perf_hooks";

export interface LineTapOptions {
  /** A complete line (without its newline), decoded as UTF-8, and when its last byte arrived. */
  onLine: (line: string, at: Date) => void;
  /** Bytes that may wait for the tracer; beyond it chunks go untraced (they were forwarded). */
  maxPendingBytes?: number;
  /** Longest line the tracer will assemble; a longer one is skipped up to its newline. */
  maxLineBytes?: number;
  /** Longest stretch of parsing before the event loop gets a turn (so forwarding never waits long). */
  sliceMs?: number;
  /** Told each time bytes go untraced: `backlog` (the tracer fell behind) or `long-line`. */
  onSkipped?: (reason: "backlog" | "long-line", bytes: number) => void;
  /** Told how many queued bytes have been cut into lines (the producer's flow control). */
  onConsumed?: (bytes: number) => void;
}

export interface LineTapStats {
  lines: number;
  skippedBytes: number;
}

const NEWLINE = 0x0a;

/**
 * The side channel of a byte stream that has already been passed on: it keeps the chunks and
 * cuts them into lines later, on its own turn of the event loop, so whoever forwards the bytes
 * never waits on parsing. What it holds is capped; past the cap it forgets rather than grows.
 */
export class LineTap {
  /** Chunks to cut, and gaps where chunks were dropped (`endsLine`: the dropped bytes ended a line). */
  private readonly queue: Array<{ chunk: Buffer; at: Date } | { gap: true; endsLine: boolean }> = [];
  private queuedBytes = 0;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Inside a line whose start was dropped: ignore bytes up to the next newline. */
  private skippingLine = false;
  private scheduled = false;
  private readonly maxPendingBytes: number;
  private readonly maxLineBytes: number;
  private readonly sliceMs: number;
  readonly stats: LineTapStats = { lines: 0, skippedBytes: 0 };

  constructor(private readonly options: LineTapOptions) {
    this.maxPendingBytes = options.maxPendingBytes ?? 32 * 1024 * 1024;
    this.maxLineBytes = options.maxLineBytes ?? 32 * 1024 * 1024;
    this.sliceMs = options.sliceMs ?? 4;
  }

  push(chunk: Buffer, at: Date = new Date()): void {
    if (this.queuedBytes + chunk.length > this.maxPendingBytes) {
      this.skip("backlog", chunk.length);
      // The lines this chunk touched are incomplete now: the gap tells the cutter to drop them
      // whole rather than glue the pieces on either side into one corrupt line.
      this.gap(chunk[chunk.length - 1] === NEWLINE);
      return;
    }
    this.queue.push({ chunk, at });
    this.queuedBytes += chunk.length;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.work());
  }

  /** Bytes were dropped before reaching the tap; `endsLine`: the dropped bytes ended a line. */
  gap(endsLine: boolean): void {
    const last = this.queue[this.queue.length - 1];
    if (last && "gap" in last) last.endsLine = endsLine;
    else this.queue.push({ gap: true, endsLine });
    this.schedule();
  }

  /** Cuts everything queued so far into lines, now (keeping a last line without its newline for later). */
  catchUp(): void {
    this.drain(Infinity);
  }

  /**
   * Parses what is still queued, within `budgetMs`, then the last line even without its newline
   * (a CLI may end without one). Called once the stream has ended.
   */
  finish(budgetMs = Infinity): void {
    this.drain(performance.now() + budgetMs);
    if (this.queue.length > 0) {
      // Out of time: whatever is left goes untraced (it has been forwarded long ago).
      const left = this.queuedBytes;
      this.queue.length = 0;
      this.queuedBytes = 0;
      this.skip("backlog", left);
      this.partial = [];
      this.partialBytes = 0;
      return;
    }
    if (this.partialBytes > 0 && !this.skippingLine) this.emit(this.lastAt ?? new Date());
    this.partial = [];
    this.partialBytes = 0;
  }

  private lastAt: Date | undefined;

  private work(): void {
    this.scheduled = false;
    this.drain(performance.now() + this.sliceMs);
    if (this.queue.length > 0) this.schedule();
  }

  private drain(until: number): void {
    while (this.queue.length > 0) {
      if (performance.now() > until) return;
      const entry = this.queue.shift()!;
      if ("gap" in entry) {
        this.partial = [];
        this.partialBytes = 0;
        this.skippingLine = !entry.endsLine;
        continue;
      }
      this.queuedBytes -= entry.chunk.length;
      this.lastAt = entry.at;
      this.cut(entry.chunk, entry.at);
      this.options.onConsumed?.(entry.chunk.length);
    }
  }

  private cut(chunk: Buffer, at: Date): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl === -1) break;
      if (this.skippingLine) {
        this.skippingLine = false;
      } else {
        this.append(chunk.subarray(start, nl));
        if (!this.skippingLine) this.emit(at);
        this.skippingLine = false;
      }
      this.partial = [];
      this.partialBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length && !this.skippingLine) this.append(chunk.subarray(start));
  }

  private append(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.partialBytes + piece.length > this.maxLineBytes) {
      this.skip("long-line", this.partialBytes + piece.length);
      this.partial = [];
      this.partialBytes = 0;
      this.skippingLine = true;
      return;
    }
    this.partial.push(piece);
    this.partialBytes += piece.length;
  }

  private emit(at: Date): void {
    const line = this.partial.length === 1 ? this.partial[0]!.toString("utf8") : Buffer.concat(this.partial, this.partialBytes).toString("utf8");
    this.stats.lines++;
    this.options.onLine(line, at);
  }

  private skip(reason: "backlog" | "long-line", bytes: number): void {
    this.stats.skippedBytes += bytes;
    try {
      this.options.onSkipped?.(reason, bytes);
    } catch {
      // reporting must not break the tap
    }
  }
}
