import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../src/config";
import { DryRunExporter } from "../src/dryRunExporter";
import { displayUrl } from "../src/displayUrl";
import { LangfuseExporter } from "../src/exporter";
import { failureReason, unsentReport } from "../src/exportLedger";
import { sequentialIds } from "../src/ids";
import { prepareEvent } from "../src/mask";
import { mapCapture, replayFiles } from "../src/replay";
import { STREAM_MAPPING } from "../src/sources/streamJson";
import { createTracer } from "../src/tracer";
import { apiRetry, assistant, init, prompt, result, SONNET_ALIAS, text, timed, toolResult, toolUse, usage } from "./claudeSession";
import { closedPort, OtlpReceiver, type ReceivedRequest, type ReceivedSpan } from "./otlpReceiver";
import { recording } from "./recordingsPath";
import { sendThroughLangfuseSdk } from "./sdkOracle";
import type { ObservationEvent } from "../src/events";

const PUBLIC_KEY = "pk-lf-1b4e28ba-2fa1-11d2-883f-0016d3cca427";
const SECRET_KEY = "sk-lf-7c9e6679-7425-40de-944b-e07fc1f90ae7";
const SESSION_FILE = recording("transcripts/entire-cli-60fd31fcf4.jsonl");

const env = (baseUrl: string) => ({
  LANGFUSE_PUBLIC_KEY: PUBLIC_KEY,
  LANGFUSE_SECRET_KEY: SECRET_KEY,
  LANGFUSE_BASE_URL: baseUrl,
  AGENTIC_SESSION_NAME: "fix-fish-completions-q8w2",
  AGENTIC_SESSION_NAMESPACE: "team-cli",
  USER_ID: "paul",
  INTERACTIVE: "true",
});

const nanos = (iso: string) => (BigInt(new Date(iso).getTime()) * 1_000_000n).toString();

describe("the Langfuse exporter, against a real OTLP/HTTP receiver on loopback", () => {
  const receiver = new OtlpReceiver();
  let baseUrl = "";
  let expected: ReturnType<DryRunExporter["document"]>;
  let spans: ReceivedSpan[] = [];
  let ledger: ReturnType<LangfuseExporter["ledger"]>;
  const errors: string[] = [];

  beforeAll(async () => {
    baseUrl = await receiver.start();
    const config = readConfig(env(baseUrl));
    // The same replay twice with the same ids: once printed, once sent.
    const dryRun = new DryRunExporter();
    await replayFiles([SESSION_FILE], { config, exporter: dryRun, ids: sequentialIds(), warn: (m) => errors.push(m) });
    expected = dryRun.document();
    const exporter = new LangfuseExporter({ publicKey: PUBLIC_KEY, secretKey: SECRET_KEY, baseUrl });
    await replayFiles([SESSION_FILE], { config, exporter, ids: sequentialIds(), warn: (m) => errors.push(m) });
    await exporter.shutdown(10_000);
    spans = receiver.spans();
    ledger = exporter.ledger();
  });
  afterAll(() => receiver.stop());

  it("posts OTLP JSON to /api/public/otel/v1/traces with Basic auth of the key pair", () => {
    expect(errors).toEqual([]);
    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const r of receiver.requests) {
      expect(r.method).toBe("POST");
      expect(r.url).toBe("/api/public/otel/v1/traces");
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.headers.authorization).toBe(`Basic ${Buffer.from(`${PUBLIC_KEY}:${SECRET_KEY}`).toString("base64")}`);
      // What the SDK's own exporter sends: Langfuse v4 writes such requests straight to its events table.
      expect([r.headers["x-langfuse-sdk-name"], r.headers["x-langfuse-public-key"]]).toEqual(["javascript", PUBLIC_KEY]);
    }
  });

  it("accounts for every span: all handed over, all sent, nothing to report", () => {
    expect(ledger).toEqual({ handed: spans.length, sent: spans.length, lost: {} });
    expect(unsentReport(ledger, { url: displayUrl(baseUrl), deadlineMs: 10_000 })).toBeUndefined();
  });

  it("sends exactly the observations the dry run prints: same ids, parents, names, types, models, usage and times", () => {
    const printed = expected.traces.flatMap((t) => t.observations.map((o) => ({ trace: t, o })));
    expect(spans).toHaveLength(printed.length);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    for (const { trace, o } of printed) {
      const span = byId.get(o.id as string)!;
      expect(span, `span ${o.id}`).toBeDefined();
      expect(span.scope).toBe("langfuse-sdk");
      expect(span.traceId).toBe(trace.id);
      expect(span.parentSpanId).toBe(o.parentId);
      expect(span.name).toBe(o.name);
      expect(span.attributes["langfuse.observation.type"]).toBe(o.type);
      expect(span.attributes["langfuse.observation.level"]).toBe(o.level);
      expect(span.attributes["langfuse.observation.model.name"]).toBe(o.model);
      const usage = span.attributes["langfuse.observation.usage_details"];
      expect(usage === undefined ? undefined : JSON.parse(usage as string)).toEqual(o.usageDetails);
      expect(span.attributes["langfuse.observation.cost_details"]).toBeUndefined();
      expect(span.startTimeUnixNano).toBe(nanos(o.startTime as string));
      expect(span.endTimeUnixNano).toBe(nanos(o.endTime as string));
      expect(span.attributes["session.id"]).toBe("fix-fish-completions-q8w2");
      expect(span.attributes["user.id"]).toBe("paul");
      expect(span.attributes["langfuse.trace.name"]).toBe("claude-code");
      expect(span.attributes["langfuse.trace.tags"]).toEqual(["claude-code", "project:team-cli", "model:claude-opus-4-6"]);
      expect(span.attributes["langfuse.trace.metadata.interactive"]).toBe("true");
    }
  });

  it("nests the Explore sub-agent under its Task call and gives its final call the real usage", () => {
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const explore = spans.find((s) => s.name === "Explore")!;
    expect(explore.attributes["langfuse.observation.type"]).toBe("agent");
    const task = byId.get(explore.parentSpanId!)!;
    expect([task.name, task.attributes["langfuse.observation.type"]]).toEqual(["Task", "tool"]);
    const root = byId.get(task.parentSpanId!)!;
    expect([root.name, root.parentSpanId, root.attributes["langfuse.observation.type"]]).toEqual(["claude-code", undefined, "agent"]);
    const final = spans.find((s) => s.parentSpanId === explore.spanId && s.attributes["langfuse.observation.metadata.usageSource"] === "toolUseResult")!;
    expect(final.attributes["langfuse.observation.model.name"]).toBe("claude-haiku-4-5-20251001");
    expect(JSON.parse(final.attributes["langfuse.observation.usage_details"] as string)).toEqual({
      input: 0,
      output: 1_955,
      cache_read_input_tokens: 52_501,
      cache_creation_input_tokens: 279,
    });
  });

  it("marks only the root of each trace as the application root", () => {
    const appRoots = spans.filter((s) => s.attributes["langfuse.internal.is_app_root"] === true);
    expect(appRoots.map((s) => s.parentSpanId)).toEqual([undefined, undefined]);
    expect(new Set(appRoots.map((s) => s.traceId)).size).toBe(2);
  });

  it("never puts the secret key in a span", () => {
    expect(JSON.stringify(spans)).not.toContain(SECRET_KEY);
  });
});

describe("when Langfuse is unreachable or stalls", () => {
  const event = {
    trace: { id: "4bf92f3577b34da6a3ce929d0e0e4736", name: "claude-code", tags: [], metadata: {} },
    observation: { id: "00f067aa0ba902b7", type: "agent" as const, name: "claude-code", level: "DEFAULT" as const, startTime: new Date(), endTime: new Date() },
  };

  it("counts a refused connection, and resolves without throwing", async () => {
    const url = await closedPort();
    const exporter = new LangfuseExporter({ publicKey: PUBLIC_KEY, secretKey: SECRET_KEY, baseUrl: url, timeoutSeconds: 2 });
    exporter.emit([event]);
    await expect(exporter.shutdown(10_000)).resolves.toBeUndefined();
    // Refusals are retried until the request's own timeout (2 s here), then given up on.
    expect(exporter.ledger()).toEqual({ handed: 1, sent: 0, lost: { refused: 1 }, lastProblem: "refused" });
    expect(unsentReport(exporter.ledger(), { url: displayUrl(url), deadlineMs: 3_000 })).toBe(
      `langfuse: 1 of 1 span not sent to ${url} (deadline 3,000 ms): 1 failed: the connection was refused.`,
    );
  });

  it("gives up on a stalled endpoint at its own deadline; what was in flight is still waiting", async () => {
    const stalled = new OtlpReceiver("hang");
    const url = await stalled.start();
    const exporter = new LangfuseExporter({ publicKey: PUBLIC_KEY, secretKey: SECRET_KEY, baseUrl: url, timeoutSeconds: 30 });
    exporter.emit([event]);
    const started = Date.now();
    await exporter.flush(400);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(350);
    expect(waited).toBeLessThan(5_000);
    expect(exporter.ledger()).toEqual({ handed: 1, sent: 0, lost: {} });
    expect(unsentReport(exporter.ledger(), { url: displayUrl(url), deadlineMs: 400 })).toBe(
      `langfuse: 1 of 1 span not sent to ${url} (deadline 400 ms): 1 still waiting when the deadline passed.`,
    );
    expect(stalled.requests).toHaveLength(1);
    await stalled.stop();
    await exporter.shutdown(500);
  });

  it("counts a request Langfuse never answers within the request's own timeout as timed out", async () => {
    const stalled = new OtlpReceiver("hang");
    const url = await stalled.start();
    try {
      const exporter = new LangfuseExporter({ publicKey: PUBLIC_KEY, secretKey: SECRET_KEY, baseUrl: url, timeoutSeconds: 1 });
      exporter.emit([event]);
      await exporter.shutdown(20_000);
      expect(exporter.ledger()).toEqual({ handed: 1, sent: 0, lost: { "timed-out": 1 } });
      expect(unsentReport(exporter.ledger(), { url: displayUrl(url), deadlineMs: 20_000 })).toBe(
        `langfuse: 1 of 1 span not sent to ${url} (deadline 20,000 ms): 1 failed: Langfuse did not answer in time.`,
      );
    } finally {
      await stalled.stop();
    }
  }, 30_000);

  it.each([
    [401, "failed: Langfuse answered HTTP 401"],
    [500, "failed: Langfuse answered HTTP 500"],
    // Retried by OpenTelemetry's exporter, then reported without its number: the wire has it.
    [503, "failed: Langfuse answered HTTP 503"],
  ])("counts each span of a request Langfuse answers with HTTP %i", async (status, phrase) => {
    const failing = new OtlpReceiver({ status });
    const url = await failing.start();
    try {
      // Timeout 1 s: the retries of a 503 stop within it.
      const exporter = new LangfuseExporter({ publicKey: PUBLIC_KEY, secretKey: SECRET_KEY, baseUrl: url, timeoutSeconds: 1 });
      const second = { ...event, observation: { ...event.observation, id: "00f067aa0ba902b8", parentId: "00f067aa0ba902b7", type: "tool" as const, name: "Bash" } };
      exporter.emit([event, second]);
      await exporter.shutdown(20_000);
      expect(exporter.ledger()).toEqual({ handed: 2, sent: 0, lost: { [`http-${status}`]: 2 }, lastProblem: `http-${status}` });
      expect(unsentReport(exporter.ledger(), { url: displayUrl(url), deadlineMs: 20_000 })).toBe(`langfuse: 2 of 2 spans not sent to ${url} (deadline 20,000 ms): 2 ${phrase}.`);
    } finally {
      await failing.stop();
    }
  }, 30_000);

  it("counts what it drops when more than its queue holds waits for Langfuse", async () => {
    const stalled = new OtlpReceiver("hang");
    const url = await stalled.start();
    const exporter = new LangfuseExporter({ publicKey: PUBLIC_KEY, secretKey: SECRET_KEY, baseUrl: url, maxBacklog: 100 });
    const many = Array.from({ length: 350 }, (_, i) => ({ trace: event.trace, observation: { ...event.observation, id: (0x1000 + i).toString(16).padStart(16, "0") } }));
    exporter.emit(many);
    await exporter.shutdown(300);
    await stalled.stop();
    const ledger = exporter.ledger();
    // The oldest 250 go at once; of the 100 kept, the first is in flight and the rest wait behind it.
    expect(ledger.lost).toEqual({ "queue-full": 250 });
    expect(unsentReport(ledger, { url: displayUrl(url), deadlineMs: 300, maxQueued: 100 })).toBe(
      `langfuse: 350 of 350 spans not sent to ${url} (deadline 300 ms): 100 still waiting when the deadline passed, ` +
        "250 dropped because more than 100 were waiting (the queue was full: CLAUDE_LANGFUSE_MAX_QUEUED).",
    );
  });
});

describe("what a report may show", () => {
  it("one function renders every URL: no user name, password, query or fragment", () => {
    expect(displayUrl("http://admin:UrlPassw0rd@127.0.0.1:9")).toBe("http://127.0.0.1:9");
    expect(displayUrl("https://lf.example.com/langfuse/?token=sk-lf-secret#x")).toBe("https://lf.example.com/langfuse/");
    expect(displayUrl("::admin:hunter2@nowhere::")).toBe("(not a valid URL)");
    expect(displayUrl(undefined)).toBe("(no URL)");
  });

  it("names failures by code or status, never by a message that could carry data", () => {
    expect(failureReason(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }))).toBe("refused");
    expect(failureReason(Object.assign(new Error("getaddrinfo ENOTFOUND langfuse-web"), { code: "ENOTFOUND" }))).toBe("network-ENOTFOUND");
    expect(failureReason(new Error("Request timed out"))).toBe("timed-out");
    expect(failureReason(Object.assign(new Error("Unauthorized"), { name: "OTLPExporterError", code: 401, data: '{"message":"Invalid credentials"}' }))).toBe("http-401");
    expect(failureReason(new Error("Export failed with retryable status"), 429)).toBe("http-429");
    expect(failureReason(new SyntaxError('Unexpected token, "sk-lf-…" is not valid JSON'))).toBe("failed-SyntaxError");
  });
});

describe("replaying a long session", () => {
  const receiver = new OtlpReceiver();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claude-langfuse-long-"));
  afterAll(async () => {
    await receiver.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("delivers more spans than the span processor's 2,048-span queue holds", async () => {
    // A transcript of one turn with 1,500 calls, each running one Bash command: 3,001 observations.
    const base = { userType: "external", cwd: "/repo", sessionId: "7d1e7c55-3b0c-4f1e-9d7e-5a8f0f2c6b11", version: "2.1.34", gitBranch: "main", isSidechain: false };
    const start = Date.parse("2026-02-09T08:00:00.000Z");
    const ts = (n: number) => new Date(start + n * 1000).toISOString();
    const lines: object[] = [{ ...base, type: "user", uuid: "u0", parentUuid: null, timestamp: ts(0), message: { role: "user", content: "Run the whole matrix" } }];
    for (let i = 1; i <= 1_500; i++) {
      const id = `toolu_${String(i).padStart(6, "0")}`;
      lines.push({ ...base, type: "assistant", uuid: `a${i}`, parentUuid: `r${i - 1}`, timestamp: ts(2 * i - 1), message: { id: `msg_${i}`, model: "claude-opus-4-6", role: "assistant", content: [{ type: "tool_use", id, name: "Bash", input: { command: `make test SHARD=${i}` } }], usage: { input_tokens: 2, output_tokens: 40, cache_read_input_tokens: 20_000 + i, cache_creation_input_tokens: 60 } } });
      lines.push({ ...base, type: "user", uuid: `r${i}`, parentUuid: `a${i}`, timestamp: ts(2 * i), message: { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: `shard ${i}: ok` }] } });
    }
    const file = path.join(dir, "long.jsonl");
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const baseUrl = await receiver.start();
    const errors: string[] = [];
    const config = readConfig(env(baseUrl));
    const exporter = new LangfuseExporter({ publicKey: PUBLIC_KEY, secretKey: SECRET_KEY, baseUrl });
    await replayFiles([file], { config, exporter, warn: (m) => errors.push(m) });
    await exporter.shutdown(20_000);
    expect(errors).toEqual([]);
    expect(exporter.ledger()).toEqual({ handed: 3_001, sent: 3_001, lost: {} });
    const spans = receiver.spans();
    expect(spans).toHaveLength(3_001);
    const generations = spans.filter((s) => s.attributes["langfuse.observation.type"] === "generation");
    expect(generations).toHaveLength(1_500);
    const output = generations.reduce((sum, s) => sum + JSON.parse(s.attributes["langfuse.observation.usage_details"] as string).output, 0);
    expect(output).toBe(60_000);
  });
});

describe("two exporters in one process", () => {
  const first = new OtlpReceiver();
  const second = new OtlpReceiver();
  afterAll(async () => {
    await first.stop();
    await second.stop();
  });

  it("keep their spans, ids and keys apart", async () => {
    const [urlA, urlB] = [await first.start(), await second.start()];
    const a = new LangfuseExporter({ publicKey: "pk-lf-team-a", secretKey: "sk-lf-team-a", baseUrl: urlA });
    const b = new LangfuseExporter({ publicKey: "pk-lf-team-b", secretKey: "sk-lf-team-b", baseUrl: urlB });
    const root = (traceId: string, spanId: string, name: string) => ({
      trace: { id: traceId, name: "claude-code", tags: [], metadata: {} },
      observation: { id: spanId, type: "agent" as const, name, level: "DEFAULT" as const, startTime: new Date(), endTime: new Date() },
    });
    // Interleaved, as two concurrent sessions would be.
    a.emit([root("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaa1", "session-a")]);
    b.emit([root("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "bbbbbbbbbbbbbbb1", "session-b")]);
    a.emit([root("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2", "aaaaaaaaaaaaaaa2", "session-a")]);
    await Promise.all([a.shutdown(5_000), b.shutdown(5_000)]);
    expect(first.spans().map((s) => [s.traceId, s.spanId, s.name])).toEqual([
      ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaa1", "session-a"],
      ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2", "aaaaaaaaaaaaaaa2", "session-a"],
    ]);
    expect(second.spans().map((s) => [s.traceId, s.spanId, s.name])).toEqual([["bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "bbbbbbbbbbbbbbb1", "session-b"]]);
    expect(first.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from("pk-lf-team-a:sk-lf-team-a").toString("base64")}`);
    expect(second.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from("pk-lf-team-b:sk-lf-team-b").toString("base64")}`);
  });
});

describe("the trace's time, at the receiver", () => {
  // Langfuse dates a trace by the first of its spans that it receives. Two turns as the CLI streams
  // them without partial messages: in each, a retry and a tool call finish long before the first
  // call's generation (which starts with the turn) can be closed.
  const totals = (input: number, output: number, cacheRead: number, cacheCreation: number, cost: number) => ({ inputTokens: input, outputTokens: output, cacheReadInputTokens: cacheRead, cacheCreationInputTokens: cacheCreation, costUSD: cost });
  const turns = timed([
    [0, prompt("list the files")],
    [0.1, init(SONNET_ALIAS)],
    [0.3, apiRetry(1, 529, 500)],
    [1, assistant("msg_T1", [toolUse("toolu_T1", "Bash", { command: "ls" })], usage(4, 1, 0, 16_000))],
    [2, toolResult("toolu_T1", "README.md")],
    [3, assistant("msg_T2", [text("One file.")], usage(5, 1, 16_000, 10))],
    [4, result({ cost: 0.07, numTurns: 2, durationMs: 4_000, durationApiMs: 3_000, modelUsage: { [SONNET_ALIAS]: totals(9, 80, 16_000, 16_010, 0.07) } })],
    [10, prompt("and the hidden ones?")],
    [10.4, apiRetry(1, 529, 500)],
    [11, assistant("msg_T3", [toolUse("toolu_T3", "Bash", { command: "ls -a" })], usage(6, 1, 16_010, 40))],
    [12, toolResult("toolu_T3", ".git\nREADME.md")],
    [13, assistant("msg_T4", [text("Also .git.")], usage(7, 1, 16_050, 20))],
    [14, result({ cost: 0.09, numTurns: 4, durationMs: 8_000, durationApiMs: 6_000, modelUsage: { [SONNET_ALIAS]: totals(22, 160, 48_060, 16_070, 0.09) } })],
  ]);

  /** Per trace: the requests that carried its spans, in the order they arrived. */
  function requestsPerTrace(requests: ReceivedRequest[]): Map<string, ReceivedSpan[][]> {
    const out = new Map<string, ReceivedSpan[][]>();
    for (const r of requests) {
      for (const traceId of new Set(r.spans.map((s) => s.traceId))) {
        out.set(traceId, [...(out.get(traceId) ?? []), r.spans.filter((s) => s.traceId === traceId)]);
      }
    }
    return out;
  }

  it.each([
    ["a request per message", true],
    ["in bursts, two spans per request", false],
  ])("the first span of each turn to arrive starts when the turn started (%s)", async (_, flushEachMessage) => {
    const receiver = new OtlpReceiver();
    const baseUrl = await receiver.start();
    try {
      const errors: string[] = [];
      const exporter = new LangfuseExporter({ publicKey: PUBLIC_KEY, secretKey: SECRET_KEY, baseUrl, flushAt: 2 });
      const tracer = createTracer({ config: readConfig(env(baseUrl)), exporter, mapping: STREAM_MAPPING, warn: (m) => errors.push(m) });
      for (const input of turns) {
        tracer.push(input);
        if (flushEachMessage) await tracer.flush(10_000);
      }
      await tracer.shutdown(10_000);
      expect(errors).toEqual([]);
      const perTrace = requestsPerTrace(receiver.requests);
      expect(perTrace.size).toBe(2);
      for (const requests of perTrace.values()) {
        const root = requests.flat().find((s) => s.parentSpanId === undefined)!;
        expect(requests.length).toBeGreaterThan(2);
        // The turn's first request holds one span, and it starts with the turn.
        expect(requests[0]!.map((s) => s.startTimeUnixNano)).toEqual([root.startTimeUnixNano]);
      }
    } finally {
      await receiver.stop();
    }
  });
});

describe("the direct export against the Langfuse SDK (the oracle): the same observations, the same spans", () => {
  /** Every span of every request as it arrived, with the resource and scope it came under, keyed by span id. */
  interface ArrivedSpan {
    resource: unknown;
    scope: unknown;
    span: Record<string, unknown>;
  }
  function arrived(receiver: OtlpReceiver): Map<string, ArrivedSpan> {
    const out = new Map<string, ArrivedSpan>();
    for (const request of receiver.requests) {
      const doc = JSON.parse(request.body) as { resourceSpans: Array<{ resource: unknown; scopeSpans: Array<{ scope: unknown; spans: Array<Record<string, unknown>> }> }> };
      for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) for (const span of ss.spans) out.set(span.spanId as string, { resource: rs.resource, scope: ss.scope, span });
    }
    return out;
  }
  /** A span's attributes as a map (their order in the array is the SDK's insertion order, not part of the format). */
  const normalized = ({ resource, scope, span }: ArrivedSpan) => ({
    resource,
    scope,
    span: { ...span, attributes: Object.fromEntries((span.attributes as Array<{ key: string; value: unknown }>).map((a) => [a.key, a.value])) },
  });
  /** What a request says about its sender, beyond its body. */
  const senderHeaders = (r: ReceivedRequest) => {
    const { host: _host, "content-length": _length, "transfer-encoding": _encoding, connection: _connection, ...rest } = r.headers;
    return rest;
  };

  async function bothWays(events: ObservationEvent[], settings: { environment?: string; release?: string } = {}) {
    const direct = new OtlpReceiver();
    const oracle = new OtlpReceiver();
    const [directUrl, oracleUrl] = [await direct.start(), await oracle.start()];
    try {
      const exporter = new LangfuseExporter({ publicKey: PUBLIC_KEY, secretKey: SECRET_KEY, baseUrl: directUrl, ...settings });
      exporter.emit(events);
      await exporter.shutdown(20_000);
      await sendThroughLangfuseSdk(events, { publicKey: PUBLIC_KEY, secretKey: SECRET_KEY, baseUrl: oracleUrl, ...settings });
      expect(exporter.ledger()).toEqual({ handed: events.length, sent: events.length, lost: {} });
      return { direct: arrived(direct), oracle: arrived(oracle), directHeaders: direct.requests.map(senderHeaders), oracleHeaders: oracle.requests.map(senderHeaders) };
    } finally {
      await direct.stop();
      await oracle.stop();
    }
  }

  function expectSameSpans(sent: Awaited<ReturnType<typeof bothWays>>, count: number): void {
    expect(sent.direct.size).toBe(count);
    expect(sent.oracle.size).toBe(count);
    // Ids and times too: both paths are given the mapper's own.
    for (const [id, span] of sent.oracle) expect(normalized(sent.direct.get(id)!), `span ${id}`).toEqual(normalized(span));
    for (const headers of [...sent.directHeaders, ...sent.oracleHeaders]) expect(headers).toEqual(sent.oracleHeaders[0]);
  }

  const RECORDINGS = [
    "transcripts/claude-code-viewer-fe5e1c67.jsonl",
    "transcripts/claude-code-viewer-5c0375b4.jsonl",
    "transcripts/entire-cli-60fd31fcf4.jsonl",
    "transcripts/entire-cli-5ac45bc322.jsonl",
    "transcripts/entire-cli-040b015eb1.jsonl",
    "stream-json/trackgentic-stream.jsonl",
  ];

  it.each(RECORDINGS.flatMap((file) => [[file, "unmasked"], [file, "masked"]]))("%s, %s: every span, attribute, resource and scope as the SDK sends them", async (file, masking) => {
    const config = readConfig({ ...env("http://127.0.0.1:9"), LANGFUSE_MASK_MESSAGES: masking === "masked" ? "true" : "false", LANGFUSE_SEND_COST: "true" });
    const { events } = await mapCapture(recording(file), { sessionName: config.sessionName, userId: config.userId, project: config.project, interactive: config.interactive, sendCost: true, ids: sequentialIds() }, () => undefined);
    const prepared = events.map((e) => prepareEvent(e, config));
    expectSameSpans(await bothWays(prepared), prepared.length);
  }, 60_000);

  it("the environment and release the SDK reads from its settings, and what only unusual observations carry", async () => {
    const trace = { id: "4bf92f3577b34da6a3ce929d0e0e4736", name: "claude-code", sessionId: "", userId: "paul", tags: ["claude-code"], metadata: { empty: "", none: null, nested: { a: [1, "ü"] }, count: 0 } };
    const start = new Date("2026-11-30T10:00:00.123Z");
    const base = { type: "generation" as const, name: "claude", level: "WARNING" as const, startTime: start, endTime: new Date(start.getTime() + 1_500) };
    const wide: Record<string, unknown> = {};
    for (let i = 0; i < 140; i++) wide[`key${i}`] = i % 2 === 0 ? `value ${i}` : { i };
    const events: ObservationEvent[] = [
      { trace, observation: { ...base, id: "00000000000000a1", parentId: "00000000000000a0", model: "claude-sonnet-4-5-20250929", usageDetails: { input: 3, output: 7, cache_read_input_tokens: 0, cache_creation_input_tokens: 11 }, costDetails: { total: 0.0125 }, completionStartTime: new Date(start.getTime() + 250), input: [{ role: "user", content: "naïve – ✓" }], output: "", statusMessage: "overloaded, HTTP 529", metadata: { empty: "", zero: 0, no: false, nothing: null } } },
      // Ends before it starts: OpenTelemetry ends such a span at its start.
      { trace, observation: { ...base, id: "00000000000000a2", parentId: "00000000000000a0", type: "tool", name: "Bash", endTime: new Date(start.getTime() - 5), input: { command: "ls" }, output: { stdout: "README.md" } } },
      // More attributes than OpenTelemetry keeps: the later ones are dropped and counted.
      { trace, observation: { ...base, id: "00000000000000a3", parentId: "00000000000000a0", type: "event", name: "api_retry", metadata: wide } },
      { trace, observation: { ...base, id: "00000000000000a0", type: "agent", name: "claude-code", level: "ERROR", statusMessage: "incomplete" } },
    ];
    const sent = await bothWays(events, { environment: "staging", release: "runner-2026.11" });
    expectSameSpans(sent, events.length);
    const wideSpan = sent.direct.get("00000000000000a3")!.span;
    expect([(wideSpan.attributes as unknown[]).length, wideSpan.droppedAttributesCount]).toEqual([128, 24]);
    expect(sent.direct.get("00000000000000a2")!.span.endTimeUnixNano).toBe(sent.direct.get("00000000000000a2")!.span.startTimeUnixNano);
  });
});
