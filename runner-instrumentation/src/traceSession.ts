import type { SDKMessage } from "@anthropic-ai/claude-agent-sdk";
import { readConfig, type TracingConfig } from "./config";
import { displayUrl } from "./displayUrl";
import type { Exporter } from "./exporter";
import { unsentReport } from "./exportLedger";
import type { IdSource } from "./ids";
import { SDK_STREAM_MAPPING, sdkInput } from "./sources/sdkStream";
import { createTracer, langfuseExporterFor } from "./tracer";

export interface TraceSessionOptions {
  /** Settings; read from the environment (`readConfig`) when absent. */
  config?: TracingConfig;
  /** Where observations go; the Langfuse exporter built from `config` when absent. */
  exporter?: Exporter;
  /** How long the end of the stream may wait for the last export. Default 5 s. */
  flushDeadlineMs?: number;
  /** Where warnings go (never secrets); stderr when absent. */
  warn?: (message: string) => void;
  ids?: IdSource;
}

let saidDisabled = false;

/**
 * Passes every message of an Agent SDK `query()` through unchanged, as soon as it arrives, and
 * traces the session to Langfuse on the side. Tracing failures are reported, never thrown; an
 * error of the stream itself is traced and then rethrown as it was.
 */
export async function* traceSession(
  messages: AsyncIterable<SDKMessage>,
  options: TraceSessionOptions = {},
): AsyncGenerator<SDKMessage, void, undefined> {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`${m}\n`));
  const config = options.config ?? readConfig();
  for (const w of config.warnings) warn(`langfuse: ${w}`);
  const exporter = options.exporter ?? langfuseExporterFor(config, warn);
  if (!exporter) {
    if (!saidDisabled) {
      saidDisabled = true;
      warn(`langfuse: tracing is off (${config.disabledReason ?? "no exporter"})`);
    }
    yield* messages;
    return;
  }
  const tracer = createTracer({ config, exporter, mapping: SDK_STREAM_MAPPING, warn, ids: options.ids });
  let failure: string | undefined;
  try {
    for await (const message of messages) {
      tracer.push(sdkInput(message));
      yield message;
    }
  } catch (e) {
    failure = `the message stream failed: ${(e as Error)?.message ?? String(e)}`;
    throw e;
  } finally {
    tracer.end(failure);
    const deadlineMs = options.flushDeadlineMs ?? 5_000;
    await tracer.shutdown(deadlineMs);
    const ledger = exporter.ledger?.();
    const report = ledger && unsentReport(ledger, { url: displayUrl(config.baseUrl), deadlineMs, deadlineFrom: "after the stream ended", maxQueued: config.maxQueued });
    if (report) warn(report);
  }
}
