/**
 * One tracer, in a process of its own, tracing one Claude Agent SDK stream to a receiver in
 * another process: `node peerTracer.cjs <tracer> <stream.jsonl> <receiver url>`, tracer one of
 * `none` (the stream consumed untraced), `this-package` (traceSession, the library entry),
 * `langsmith` (wrapClaudeAgentSDK) or `openinference` (the Claude Agent SDK instrumentation, OTLP/HTTP
 * JSON behind a batch span processor). Prints one JSON line: CPU from just before the tracer is
 * loaded to the end of its flush, and the peak RSS. The benchmark bundles this file with its
 * packages left as they are installed.
 */
import * as fs from "node:fs";
import { sdkQuery, type QueryParams } from "./sdkStandIn";

type Query = (params: QueryParams) => AsyncIterable<unknown>;

async function consume(stream: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of stream) n++;
  return n;
}

const tracers: Record<string, (query: Query, url: string) => Promise<number>> = {
  async none(query) {
    return consume(query({ prompt: "Improve the test coverage." }));
  },

  async "this-package"(query, url) {
    const { traceSession, readConfig } = await import("../src/index");
    const config = readConfig({ LANGFUSE_PUBLIC_KEY: "pk-lf-bench", LANGFUSE_SECRET_KEY: "sk-lf-bench", LANGFUSE_BASE_URL: url, LANGFUSE_MASK_MESSAGES: "false", AGENTIC_SESSION_NAME: "peer-bench" });
    // traceSession flushes when the stream ends, before the loop below returns.
    return consume(traceSession(query({ prompt: "Improve the test coverage." }) as AsyncIterable<never>, { config, flushDeadlineMs: 120_000 }));
  },

  async langsmith(query, url) {
    process.env.LANGSMITH_TRACING = "true";
    const { Client } = await import("langsmith");
    const { wrapClaudeAgentSDK } = await import("langsmith/experimental/anthropic");
    const client = new Client({ apiUrl: url, apiKey: "lsv2-bench" });
    const sdk = wrapClaudeAgentSDK({ query } as never, { client }) as unknown as { query: Query };
    const n = await consume(sdk.query({ prompt: "Improve the test coverage." }));
    await client.awaitPendingTraceBatches();
    return n;
  },

  async openinference(query, url) {
    const { BasicTracerProvider, BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    const { ClaudeAgentSDKInstrumentation } = await import("@arizeai/openinference-instrumentation-claude-agent-sdk");
    const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))] });
    const instrumentation = new ClaudeAgentSDKInstrumentation({ tracerProvider: provider });
    const sdk = instrumentation.manuallyInstrument({ query } as never) as unknown as { query: Query };
    const n = await consume(sdk.query({ prompt: "Improve the test coverage." }));
    await provider.forceFlush();
    await provider.shutdown();
    return n;
  },
};

async function main(): Promise<void> {
  const [name, file, url] = process.argv.slice(2);
  const trace = tracers[name ?? ""];
  if (!trace || !file || !url) throw new Error(`usage: peerTracer <${Object.keys(tracers).join("|")}> <stream.jsonl> <receiver url>`);
  // The SDK hands its caller parsed messages: parsing is the SDK's cost, not the tracer's.
  const messages = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
  const before = process.cpuUsage();
  const consumed = await trace(sdkQuery(messages), url);
  const used = process.cpuUsage(before);
  process.stdout.write(`${JSON.stringify({ tracer: name, messages: consumed, cpuMs: (used.user + used.system) / 1000, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`peerTracer: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
