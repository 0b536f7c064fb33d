/**
 * What became of the observations an exporter was handed, and the one report at exit that says
 * what was not sent and why. Counts, reasons, the deadline and the endpoint as `displayUrl` shows
 * it: never a span's content, a header or a key.
 */

/** Why observations were not sent. `http-<status>`, `network-<code>` and `failed-<error name>` carry their detail. */
export type LossReason =
  | "queue-full"
  | "refused"
  | "timed-out"
  | "not-recorded"
  | "thread-stopped"
  | `http-${number}`
  | `network-${string}`
  | `failed-${string}`;

export interface ExportLedger {
  /** Observations handed to the exporter. */
  handed: number;
  /** Accepted by Langfuse (a 2xx answer). */
  sent: number;
  /** Given up on, by reason. What is neither sent nor lost was still waiting. */
  lost: Partial<Record<LossReason, number>>;
  /**
   * What the last request met on the wire when it failed (cleared by a success): why what is
   * still waiting waits, since refusals, timeouts and 429/502/503/504 are retried first.
   */
  lastProblem?: LossReason;
}

export function emptyLedger(): ExportLedger {
  return { handed: 0, sent: 0, lost: {} };
}

export function countLoss(ledger: ExportLedger, reason: LossReason, n: number): void {
  if (n > 0) ledger.lost[reason] = (ledger.lost[reason] ?? 0) + n;
}

/** Observations handed over and neither sent nor given up on: in the queue or in flight. */
export function waiting(ledger: ExportLedger): number {
  let lost = 0;
  for (const n of Object.values(ledger.lost)) lost += n ?? 0;
  return ledger.handed - ledger.sent - lost;
}

/**
 * The reason an export request failed, from what OpenTelemetry's OTLP exporter gives back: a
 * network error's code, an HTTP status (`OTLPExporterError.code`), a timeout. A status the
 * exporter retries (429, 502, 503, 504) comes back without its number; `lastStatus` is the last
 * failing status seen on the wire.
 */
export function failureReason(error: unknown, lastStatus?: number): LossReason {
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | undefined;
  if (typeof e?.code === "number" && e.code >= 100) return `http-${e.code}`;
  if (e?.code === "ECONNREFUSED") return "refused";
  if (e?.code === "ETIMEDOUT" || e?.message === "Request timed out") return "timed-out";
  if (typeof e?.code === "string" && /^[A-Z][A-Z0-9_]+$/.test(e.code)) return `network-${e.code}`;
  if (typeof e?.message === "string" && /retryable status/.test(e.message) && lastStatus) return `http-${lastStatus}`;
  const name = typeof e?.name === "string" && /^\w+$/.test(e.name) ? e.name : "Error";
  return `failed-${name}`;
}

export interface ReportContext {
  /** The endpoint as people see it (`displayUrl`). */
  url: string;
  /** The deadline the export had, and from when (`after the CLI exited`). */
  deadlineMs: number;
  deadlineFrom?: string;
  /** CLAUDE_LANGFUSE_MAX_QUEUED, named when observations were dropped for it. */
  maxQueued?: number;
}

/**
 * A whole number with thousands separators, as `toLocaleString("en")` writes it, without loading
 * ICU's locale data (tens of milliseconds of CPU in a fresh process, at the wrapper's exit).
 */
export function grouped(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

const plural = (n: number, one: string, many = `${one}s`) => `${grouped(n)} ${n === 1 ? one : many}`;

/** What went wrong with a request, in words. */
function requestProblem(reason: LossReason): string {
  if (reason === "refused") return "the connection was refused";
  if (reason === "timed-out") return "Langfuse did not answer in time";
  if (reason.startsWith("http-")) return `Langfuse answered HTTP ${reason.slice(5)}`;
  if (reason.startsWith("network-")) return `a network error (${reason.slice(8)})`;
  return `an error (${reason.slice(7)})`;
}

function lossPhrase(reason: LossReason, n: number, ctx: ReportContext): string {
  const count = grouped(n);
  if (reason === "queue-full") return `${count} dropped because more than ${grouped(ctx.maxQueued ?? 0)} were waiting (the queue was full: CLAUDE_LANGFUSE_MAX_QUEUED)`;
  if (reason === "not-recorded") return `${count} could not be recorded (an internal error)`;
  if (reason === "thread-stopped") return `${count} lost when the tracing thread stopped`;
  return `${count} failed: ${requestProblem(reason)}`;
}

/**
 * One line saying what was not sent, or undefined when everything handed over was sent. What was
 * still waiting is put down to the deadline.
 */
export function unsentReport(ledger: ExportLedger, ctx: ReportContext): string | undefined {
  const late = waiting(ledger);
  const parts: string[] = [];
  if (late > 0) {
    const why = ledger.lastProblem ? ` (retrying: ${requestProblem(ledger.lastProblem)})` : "";
    parts.push(`${grouped(late)} still waiting when the deadline passed${why}`);
  }
  const reasons = Object.entries(ledger.lost).filter(([, n]) => (n ?? 0) > 0) as Array<[LossReason, number]>;
  reasons.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [reason, n] of reasons) parts.push(lossPhrase(reason, n, ctx));
  if (parts.length === 0) return undefined;
  const unsent = ledger.handed - ledger.sent;
  const deadline = `deadline ${grouped(ctx.deadlineMs)} ms${ctx.deadlineFrom ? ` ${ctx.deadlineFrom}` : ""}`;
  return `langfuse: ${grouped(unsent)} of ${plural(ledger.handed, "span")} not sent to ${ctx.url} (${deadline}): ${parts.join(", ")}.`;
}
