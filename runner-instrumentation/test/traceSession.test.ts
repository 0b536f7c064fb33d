import type { SDKMessage } from "@anthropic-ai/claude-agent-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../src/config";
import { DryRunExporter } from "../src/dryRunExporter";
import type { Exporter } from "../src/exporter";
import { traceSession } from "../src/traceSession";
import { assistant, init, result, SONNET, text, toolResult, toolUse, usage } from "./claudeSession";
import { OtlpReceiver } from "./otlpReceiver";

const KEYS = { LANGFUSE_PUBLIC_KEY: "pk-lf-1b4e28ba-2fa1-11d2-883f-0016d3cca427", LANGFUSE_SECRET_KEY: "sk-lf-7c9e6679-7425-40de-944b-e07fc1f90ae7" };

/** A session as `query()` would stream it (the SDK's messages, in the CLI's shapes). */
function session(): SDKMessage[] {
  const totals = { inputTokens: 7, outputTokens: 240, cacheReadInputTokens: 30_000, cacheCreationInputTokens: 1_500, costUSD: 0.0188 };
  return [
    init(),
    assistant("msg_01Q1", [toolUse("toolu_01L", "Bash", { command: "ls" })], usage(4, 90, 15_000, 1_500)),
    toolResult("toolu_01L", "README.md\nsrc"),
    assistant("msg_01Q2", [text("Two entries.")], usage(3, 150, 15_000, 0)),
    result({ cost: 0.0188, numTurns: 2, durationMs: 5_200, durationApiMs: 4_100, modelUsage: { [SONNET]: totals } }),
  ] as unknown as SDKMessage[];
}

async function* stream(messages: SDKMessage[], log: string[], failAfter?: number): AsyncGenerator<SDKMessage> {
  for (const [i, m] of messages.entries()) {
    if (failAfter !== undefined && i === failAfter) throw new Error("CLI exited with code 1");
    log.push(`produced ${i}`);
    yield m;
  }
}

const enabled = readConfig({ ...KEYS, LANGFUSE_BASE_URL: "http://127.0.0.1:9", AGENTIC_SESSION_NAME: "list-files-k3" });

describe("traceSession", () => {
  it("yields every message unchanged, each before the next is read, and traces the session on the side", async () => {
    const messages = session();
    const log: string[] = [];
    const exporter = new DryRunExporter();
    const seen: SDKMessage[] = [];
    for await (const m of traceSession(stream(messages, log), { config: enabled, exporter, warn: (w) => log.push(`warn ${w}`) })) {
      log.push(`consumed ${seen.length}`);
      seen.push(m);
    }
    expect(seen).toHaveLength(messages.length);
    seen.forEach((m, i) => expect(m).toBe(messages[i]));
    expect(log).toEqual(messages.flatMap((_, i) => [`produced ${i}`, `consumed ${i}`]));
    const [trace] = exporter.document().traces;
    expect(trace).toMatchObject({ sessionId: "list-files-k3" });
    // In the order they finished: a call ends when the next one starts; the root ends last.
    expect(trace!.observations.map((o) => [o.type, o.name, o.metadata?.messageId])).toEqual([
      ["tool", "Bash", undefined],
      ["generation", "claude", "msg_01Q1"],
      ["generation", "claude", "msg_01Q2"],
      ["agent", "claude-code", undefined],
    ]);
    // The generations carry every token the result reports: nothing is left unattributed.
    expect(trace!.observations.reduce((s, o) => s + (o.usageDetails?.output ?? 0), 0)).toBe(240);
  });

  it("keeps the session going when the exporter throws, reporting once, naming the error's class and not its text", async () => {
    const broken: Exporter = {
      emit: () => {
        throw new Error("queue full");
      },
      flush: async () => undefined,
      shutdown: async () => undefined,
    };
    const warnings: string[] = [];
    const seen: SDKMessage[] = [];
    for await (const m of traceSession(stream(session(), []), { config: enabled, exporter: broken, warn: (w) => warnings.push(w) })) seen.push(m);
    expect(seen).toHaveLength(5);
    expect(warnings).toEqual(["langfuse: tracing stopped after an internal error while mapping a message (Error)"]);
  });

  it("traces a failing stream as an error and rethrows the stream's own error", async () => {
    const exporter = new DryRunExporter();
    const seen: SDKMessage[] = [];
    const consume = async () => {
      for await (const m of traceSession(stream(session(), [], 3), { config: enabled, exporter, warn: () => undefined })) seen.push(m);
    };
    await expect(consume()).rejects.toThrow("CLI exited with code 1");
    expect(seen).toHaveLength(3);
    const root = exporter.document().traces[0]!.observations.find((o) => o.parentId === undefined)!;
    expect(root).toMatchObject({ level: "ERROR", statusMessage: "the message stream failed: CLI exited with code 1" });
  });

  it("passes messages through untouched and says once that tracing is off when there are no keys", async () => {
    const warnings: string[] = [];
    const off = readConfig({});
    for (let run = 0; run < 2; run++) {
      const seen: SDKMessage[] = [];
      for await (const m of traceSession(stream(session(), []), { config: off, warn: (w) => warnings.push(w) })) seen.push(m);
      expect(seen).toHaveLength(5);
    }
    expect(warnings).toEqual(["langfuse: tracing is off (LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY, LANGFUSE_BASE_URL (or LANGFUSE_HOST) are not set)"]);
  });
});

describe("traceSession with the real exporter", () => {
  const receiver = new OtlpReceiver();
  let baseUrl = "";
  beforeAll(async () => {
    baseUrl = await receiver.start();
  });
  afterAll(() => receiver.stop());

  it("has delivered every span to Langfuse by the time the stream ends", async () => {
    const config = readConfig({ ...KEYS, LANGFUSE_BASE_URL: baseUrl, USER_ID: "alice" });
    for await (const _ of traceSession(stream(session(), []), { config, warn: (w) => expect.fail(w) })) void _;
    const spans = receiver.spans();
    expect(spans.map((s) => `${s.attributes["langfuse.observation.type"]} ${s.name}`).sort()).toEqual([
      "agent claude-code",
      "generation claude",
      "generation claude",
      "tool Bash",
    ]);
    expect(new Set(spans.map((s) => s.attributes["user.id"]))).toEqual(new Set(["alice"]));
  });

  it("says once, at the end of the stream, what Langfuse did not take, with the deadline and the reason", async () => {
    const refusing = new OtlpReceiver({ status: 401 });
    const url = await refusing.start();
    try {
      const warnings: string[] = [];
      const config = readConfig({ ...KEYS, LANGFUSE_BASE_URL: url });
      for await (const _ of traceSession(stream(session(), []), { config, flushDeadlineMs: 10_000, warn: (w) => warnings.push(w) })) void _;
      expect(warnings).toEqual([`langfuse: 4 of 4 spans not sent to ${url} (deadline 10,000 ms after the stream ended): 4 failed: Langfuse answered HTTP 401.`]);
    } finally {
      await refusing.stop();
    }
  });
});
