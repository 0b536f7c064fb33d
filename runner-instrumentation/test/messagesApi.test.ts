import Anthropic from "@anthropic-ai/sdk";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FALLBACK_TEXT, inConversation, MessagesApiStandIn, overloaded, rateLimited, say, totalServed, useTool, type ServedCall } from "./messagesApi";

/** The official Anthropic client, pointed at the stand-in: it must find an API it knows. */
const client = (baseURL: string) => new Anthropic({ baseURL, apiKey: "sk-ant-api03-standin-key", maxRetries: 0 });
const ask = (content: string, model = "claude-sonnet-4-5") => ({ model, max_tokens: 1024, messages: [{ role: "user" as const, content }] });

/** The SSE events of one streamed answer, as the wire carries them. */
async function rawEvents(url: string, body: object): Promise<Array<{ event: string; data: Record<string, unknown> }>> {
  const res = await fetch(`${url}/v1/messages?beta=true`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...body, stream: true }) });
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  return (await res.text())
    .split("\n\n")
    .filter(Boolean)
    .map((block) => {
      const [event, data] = block.split("\n");
      return { event: event!.replace("event: ", ""), data: JSON.parse(data!.replace("data: ", "")) as Record<string, unknown> };
    });
}

describe("the Messages API stand-in", () => {
  const api = new MessagesApiStandIn();
  let url = "";
  beforeAll(async () => {
    url = await api.start();
  });
  afterAll(() => api.stop());

  it("streams an answer as the API does: message_start with a placeholder output count, the blocks, message_delta with the final usage", async () => {
    api.script([useTool("Bash", { command: "ls -la" }, "Let me look.")]);
    const events = await rawEvents(url, ask("what is here?"));
    expect(events.map((e) => e.event)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const [served] = api.served();
    const start = events[0]!.data.message as { id: string; model: string; usage: Record<string, number> };
    expect(start).toMatchObject({ id: served!.messageId, model: "claude-sonnet-4-5-20250929", usage: { ...served!.usage, output_tokens: 1 } });
    expect(events[9]!.data).toEqual({ type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: served!.usage });
    expect(events[5]!.data.content_block).toEqual({ type: "tool_use", id: served!.toolUseIds[0], name: "Bash", input: {} });
  });

  it("is read by the official client into the message it scripted, with the usage it records", async () => {
    api.script([{ thinking: "The user wants the files.", text: "Here they are.", toolUses: [{ name: "Read", input: { file_path: "/repo/README.md" } }], usage: { input_tokens: 12, output_tokens: 345, cache_read_input_tokens: 20_000, cache_creation_input_tokens: 1_500 } }]);
    const message = await client(url).messages.stream(ask("show me the readme")).finalMessage();
    expect(message.content).toEqual([
      { type: "thinking", thinking: "The user wants the files.", signature: "standin-signature-1" },
      { type: "text", text: "Here they are." },
      { type: "tool_use", id: "toolu_standin_0001_1", name: "Read", input: { file_path: "/repo/README.md" } },
    ]);
    expect(message.usage).toMatchObject({ input_tokens: 12, output_tokens: 345, cache_read_input_tokens: 20_000, cache_creation_input_tokens: 1_500 });
    expect(api.served()).toEqual([
      {
        call: 1,
        requestedModel: "claude-sonnet-4-5",
        answeredModel: "claude-sonnet-4-5-20250929",
        status: 200,
        stream: true,
        messageId: message.id,
        usage: { input_tokens: 12, output_tokens: 345, cache_read_input_tokens: 20_000, cache_creation_input_tokens: 1_500 },
        stopReason: "tool_use",
        toolUseIds: ["toolu_standin_0001_1"],
        conversation: "show me the readme",
        scripted: true,
      } satisfies ServedCall,
    ]);
  });

  it("answers aliases with dated ids and other names as they are", async () => {
    api.script([{ ...say("a"), times: 4 }]);
    const models = [];
    for (const model of ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-6[1m]", "claude-sonnet-4-5-20250929"]) {
      models.push((await client(url).messages.create(ask("hi", model))).model);
    }
    expect(models).toEqual(["claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-6", "claude-sonnet-4-5-20250929"]);
    // Names newer than the table get a dated answer when asked to.
    const dated = new MessagesApiStandIn([], { dateOtherAliases: "20260101" });
    expect([dated.answeredModel("claude-haiku-5-5"), dated.answeredModel("claude-sonnet-4-5"), dated.answeredModel("claude-opus-4-1-20250805")]).toEqual([
      "claude-haiku-5-5-20260101",
      "claude-sonnet-4-5-20250929",
      "claude-opus-4-1-20250805",
    ]);
  });

  it("answers a call with the API's overloaded error, or a rate limit with retry-after, when the script says so", async () => {
    api.script([overloaded(), rateLimited(2), say("Third time lucky.")]);
    const first = await client(url).messages.create(ask("hi")).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(Anthropic.APIError);
    expect(first).toMatchObject({ status: 529, error: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } } });
    const second = await fetch(`${url}/v1/messages`, { method: "POST", body: JSON.stringify(ask("hi")) });
    expect([second.status, second.headers.get("retry-after")]).toEqual([429, "2"]);
    expect((await client(url).messages.create(ask("hi"))).content).toEqual([{ type: "text", text: "Third time lucky." }]);
    expect(api.served().map((c) => [c.status, c.usage === undefined])).toEqual([
      [529, true],
      [429, true],
      [200, false],
    ]);
  });

  it("tells a sub-agent's calls from the main thread's by the conversation they start from, and says when the script ran out", async () => {
    api.script([say("main: first"), ...inConversation("Count the files in /etc", say("sub-agent: 135"))]);
    const main = await client(url).messages.create(ask("delegate the count"));
    const sub = await client(url).messages.create(ask("<system-reminder>context</system-reminder>\nCount the files in /etc"));
    const extra = await client(url).messages.create(ask("delegate the count"));
    expect([main, sub, extra].map((m) => (m.content[0] as { text: string }).text)).toEqual(["main: first", "sub-agent: 135", FALLBACK_TEXT]);
    expect(api.served().map((c) => [c.conversation, c.scripted])).toEqual([
      ["delegate the count", true],
      ["Count the files in /etc", true],
      ["delegate the count", false],
    ]);
    expect(api.unusedSteps()).toBe(0);
  });

  it("serves figures that differ call by call, and sums them", async () => {
    api.script([say("one"), say("two"), say("three")]);
    for (let i = 0; i < 3; i++) await client(url).messages.create(ask("hi"));
    const usages = api.served().map((c) => c.usage!);
    expect(new Set(usages.map((u) => JSON.stringify(u))).size).toBe(3);
    expect(totalServed(api.served())).toEqual({
      input_tokens: usages.reduce((s, u) => s + u.input_tokens, 0),
      output_tokens: usages.reduce((s, u) => s + u.output_tokens, 0),
      cache_read_input_tokens: usages.reduce((s, u) => s + u.cache_read_input_tokens, 0),
      cache_creation_input_tokens: usages.reduce((s, u) => s + u.cache_creation_input_tokens, 0),
    });
  });
});

describe("the stand-in in a process of its own (test/messagesApiServer.ts)", () => {
  it("serves a script from a file, reports what it served over HTTP, takes a new script, and stops when told", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "messages-api-"));
    const scriptFile = path.join(dir, "script.json");
    fs.writeFileSync(scriptFile, JSON.stringify({ steps: [say("from the file")], options: { placeholderOutputTokens: 3 } }));
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "messagesApiServer.ts"), scriptFile], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once("line", resolve);
        child.once("exit", (code) => reject(new Error(`the stand-in exited with ${code}`)));
      });
      const { url } = JSON.parse(first) as { url: string };
      expect((await client(url).messages.create(ask("hi"))).content).toEqual([{ type: "text", text: "from the file" }]);
      const served = (await (await fetch(`${url}/_standin/served`)).json()) as ServedCall[];
      expect(served.map((c) => [c.status, c.scripted, c.answeredModel])).toEqual([[200, true, "claude-sonnet-4-5-20250929"]]);
      await fetch(`${url}/_standin/script`, { method: "PUT", body: JSON.stringify([say("replaced")]) });
      expect((await client(url).messages.create(ask("hi"))).content).toEqual([{ type: "text", text: "replaced" }]);
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
