import { query, type SDKMessage } from "@anthropic-ai/claude-agent-sdk";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../src/config";
import { LangfuseExporter } from "../src/exporter";
import { traceSession } from "../src/traceSession";
import { inConversation, MessagesApiStandIn, overloaded, say, useTool, type ScriptStep, type ServedCall } from "./messagesApi";
import { OtlpReceiver, type ReceivedSpan } from "./otlpReceiver";
import {
  accountingTable,
  ALLOWED_TOOLS,
  cliEnvironment,
  compareServedWithTraced,
  figuresOfModelUsage,
  figuresOfServed,
  figuresOfSpan,
  REAL_CLI,
  resultsOf,
  scratchDirs,
  sumFigures,
  type Accounting,
} from "./realCli";
import { BUNDLE, runWrapper, type RunOptions, type WrapperRun } from "./wrapperRun";

/**
 * The real Claude Code CLI from node_modules, run through the wrapper against the Messages API
 * stand-in, traced to a loopback Langfuse receiver. Each test compares the trace with what the
 * stand-in served, call by call, and with the CLI's own result.modelUsage.
 *
 * Runs take seconds each on a busy 2-core machine: every bound here is generous, and no verdict
 * depends on one.
 */

const RUN_TIMEOUT_MS = 150_000;
const TEST_TIMEOUT_MS = 200_000;
const MODEL = "claude-sonnet-4-5";
const ANSWERED = "claude-sonnet-4-5-20250929";
const KEYS = { LANGFUSE_PUBLIC_KEY: "pk-lf-real-cli", LANGFUSE_SECRET_KEY: "sk-lf-real-cli-0123456789" };
const STREAM_JSON = ["--output-format", "stream-json", "--verbose"];

if (!REAL_CLI.path) console.warn(`claude-langfuse: ${REAL_CLI.skipReason}`);

describe.skipIf(!REAL_CLI.path)(REAL_CLI.path ? `the real Claude Code CLI (${path.relative(process.cwd(), REAL_CLI.path)}), traced` : REAL_CLI.skipReason!, () => {
  // Undated names newer than the stand-in's table (a sub-agent's `haiku`) get a dated answer too.
  const api = new MessagesApiStandIn([], { dateOtherAliases: "20260101" });
  const langfuse = new OtlpReceiver();
  const dirs = scratchDirs("claude-langfuse-real-cli-");
  let apiUrl = "";
  let langfuseUrl = "";
  let sessions = 0;

  beforeAll(async () => {
    apiUrl = await api.start();
    langfuseUrl = await langfuse.start();
  });
  afterAll(async () => {
    await api.stop();
    await langfuse.stop();
    dirs.remove();
  });

  interface Traced {
    run: WrapperRun;
    stdout: string;
    served: ServedCall[];
    spans: ReceivedSpan[];
    accounting: Accounting;
    results: Array<Record<string, unknown>>;
  }

  /** Everything a traced run needs in its environment: the CLI's, the wrapper's, one session name. */
  function environment(session: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...cliEnvironment(apiUrl, dirs.home),
      ...KEYS,
      LANGFUSE_BASE_URL: langfuseUrl,
      LANGFUSE_MASK_MESSAGES: "false",
      AGENTIC_SESSION_NAME: session,
      // Langfuse answers at once here: the wrapper exits as soon as the trace is out.
      LANGFUSE_FLUSH_TIMEOUT_MS: "30000",
      ...extra,
    };
  }

  function collect(session: string, run: WrapperRun, served: ServedCall[]): Traced {
    const stdout = run.stdout.toString("utf8");
    const spans = langfuse.spans().filter((s) => s.attributes["session.id"] === session);
    return { run, stdout, served, spans, accounting: compareServedWithTraced(served, spans), results: resultsOf(stdout) };
  }

  /** `claude-langfuse <wrapperArgs>` with a script for the stand-in. */
  async function traced(script: ScriptStep[], wrapperArgs: string[], options: { stdin?: string; laterStdin?: RunOptions["laterStdin"]; env?: Record<string, string> } = {}): Promise<Traced> {
    const session = `real-cli-${++sessions}`;
    api.script(script);
    const run = await runWrapper(wrapperArgs, { env: environment(session, options.env), stdin: options.stdin ?? "", laterStdin: options.laterStdin, cwd: dirs.workspace, timeoutMs: RUN_TIMEOUT_MS });
    expect(run.stderr).toBe("");
    return collect(session, run, api.served());
  }

  /** `claude-langfuse exec -- claude <args>`. */
  const exec = (script: ScriptStep[], args: string[], options?: Parameters<typeof traced>[2]) => traced(script, ["exec", "--", REAL_CLI.path!, ...args], options);

  /** A session of three calls: list the files, read one, answer. */
  const threeCalls = (): ScriptStep[] => [
    useTool("Bash", { command: "ls", description: "List files" }, "Let me list them."),
    useTool("Read", { file_path: path.join(dirs.workspace, "notes.txt") }, "Now the notes."),
    say("A demo repository, with two lines of notes."),
  ];

  const ofType = (t: Traced, type: string) => t.spans.filter((s) => s.attributes["langfuse.observation.type"] === type);
  const rootOf = (t: Traced) => t.spans.filter((s) => s.parentSpanId === undefined);
  const attr = (s: ReceivedSpan | undefined, key: string) => s?.attributes[`langfuse.observation.${key}`];

  /** Every served call is traced once, under the name the API answered with; totals equal what was served and what the CLI counted. */
  function expectExactAccounting(t: Traced, options: { partialMessages: boolean }): void {
    const { accounting } = t;
    expect(t.served.every((c) => c.scripted)).toBe(true);
    for (const call of accounting.calls.filter((c) => c.status === 200 && c.traced)) {
      expect(call.traced!.model).toBe(call.answeredModel);
      const { input, cacheRead, cacheWrite, output } = call.traced!.figures;
      expect({ input, cacheRead, cacheWrite }).toEqual({ input: call.served!.input, cacheRead: call.served!.cacheRead, cacheWrite: call.served!.cacheWrite });
      if (options.partialMessages) expect([output, call.traced!.outputPlaceholder]).toEqual([call.served!.output, false]);
      else expect([output, call.traced!.outputPlaceholder]).toEqual([1, true]);
    }
    const result = t.results.at(-1)!;
    expect(accounting.traced).toEqual(accounting.served);
    expect(figuresOfModelUsage(result)).toEqual(accounting.served);
  }

  it("a tool call, without partial messages: each call once, under the dated name, its output reconciled from the result; the -p prompt is the root's input", async () => {
    const prompt = "What do the files in this directory say?";
    const t = await exec(threeCalls(), ["-p", prompt, ...STREAM_JSON, "--model", MODEL, ...ALLOWED_TOOLS]);
    expect(t.run.code).toBe(0);
    expect(t.served.map((c) => [c.requestedModel, c.answeredModel])).toEqual(Array(3).fill([MODEL, ANSWERED]));
    expect(Object.keys(t.results[0]!.modelUsage as object)).toEqual([MODEL]);
    expectExactAccounting(t, { partialMessages: false });
    // Only the output the stream showed as placeholders is added, once, priced as the answered model.
    expect(t.accounting.unattributed).toEqual([{ model: ANSWERED, figures: { input: 0, output: t.accounting.served.output - 3, cacheRead: 0, cacheWrite: 0 } }]);
    const [root] = rootOf(t);
    expect(attr(root, "input")).toBe(prompt);
    expect(attr(root, "output")).toBe("A demo repository, with two lines of notes.");
    expect(root!.attributes["langfuse.trace.tags"]).toEqual(["claude-code", `model:${MODEL}`]);
    const bash = ofType(t, "tool").find((s) => s.name === "Bash");
    expect(JSON.parse(String(attr(bash, "input")))).toEqual({ command: "ls", description: "List files" });
    expect(String(attr(bash, "output"))).toContain("README.md");
    report("exec, --model claude-sonnet-4-5, without partial messages", t);
  }, TEST_TIMEOUT_MS);

  it("the same with --include-partial-messages: every call's exact usage, nothing unattributed", async () => {
    const t = await exec(threeCalls(), ["-p", "What do the files in this directory say?", ...STREAM_JSON, "--include-partial-messages", "--model", MODEL, ...ALLOWED_TOOLS]);
    expect(t.run.code).toBe(0);
    expectExactAccounting(t, { partialMessages: true });
    expect(t.accounting.unattributed).toEqual([]);
    for (const g of ofType(t, "generation")) expect(attr(g, "completion_start_time")).toBeDefined();
    report("exec, --model claude-sonnet-4-5, --include-partial-messages", t);
  }, TEST_TIMEOUT_MS);

  it("a failing tool is an ERROR tool observation with the CLI's error text", async () => {
    const t = await exec([useTool("Bash", { command: "cat missing-file.txt", description: "Show the file" }), say("The file does not exist.")], ["-p", "Show missing-file.txt", ...STREAM_JSON, "--include-partial-messages", "--model", MODEL, ...ALLOWED_TOOLS]);
    expect(t.run.code).toBe(0);
    const bash = ofType(t, "tool").find((s) => s.name === "Bash");
    expect(attr(bash, "level")).toBe("ERROR");
    expect(String(attr(bash, "status_message"))).toMatch(/No such file or directory/);
    expectExactAccounting(t, { partialMessages: true });
  }, TEST_TIMEOUT_MS);

  it("a sub-agent on another model: nested under its Agent call, its model as agentModel, the calls the stream never shows reconciled under that model", async () => {
    const task = "List the files of the workspace and count them.";
    const t = await exec(
      [
        useTool("Agent", { description: "Count the files", prompt: task, subagent_type: "general-purpose", model: "haiku", run_in_background: false }, "I'll delegate this."),
        ...inConversation(task, useTool("Bash", { command: "ls", description: "List files" }), say("There are 2 files.")),
        say("The sub-agent counted 2 files."),
      ],
      ["-p", "Count the files with a sub-agent.", ...STREAM_JSON, "--include-partial-messages", "--model", MODEL, ...ALLOWED_TOOLS],
    );
    expect(t.run.code).toBe(0);
    const subCalls = t.served.filter((c) => c.conversation === task);
    expect(subCalls).toHaveLength(2);
    const subModel = subCalls[0]!.answeredModel!;
    expect(subModel).not.toBe(ANSWERED);
    const agentTool = ofType(t, "tool").find((s) => s.name === "Agent")!;
    const subagent = ofType(t, "agent").find((s) => s.parentSpanId === agentTool.spanId)!;
    expect(subagent.name).toBe("general-purpose");
    expect(attr(subagent, "metadata.agentModel")).toBe(subModel);
    expect(attr(subagent, "metadata.model")).toBeUndefined();
    // The sub-agent's first call is in the stream (without partial messages: its output is a
    // placeholder); its last call is not in the stream at all.
    const subGenerations = ofType(t, "generation").filter((g) => g.parentSpanId === subagent.spanId);
    expect(subGenerations.map((g) => attr(g, "metadata.messageId"))).toEqual([subCalls[0]!.messageId]);
    expect(t.accounting.unattributed.map((u) => u.model)).toEqual([subModel]);
    expect(t.accounting.unattributed[0]!.figures).toEqual({
      ...figuresOfServed(subCalls[1]!.usage!),
      output: subCalls[0]!.usage!.output_tokens - 1 + subCalls[1]!.usage!.output_tokens,
    });
    expect(t.accounting.traced).toEqual(t.accounting.served);
    expect(figuresOfModelUsage(t.results[0]!)).toEqual(t.accounting.served);
  }, TEST_TIMEOUT_MS);

  it("a sub-agent in the background (the CLI's default): one trace, the sub-agent under its Agent call until its task ends, every call counted once", async () => {
    const task = "List the files of the workspace and count them.";
    const t = await exec(
      [
        useTool("Agent", { description: "Count the files", prompt: task, subagent_type: "general-purpose" }, "I'll delegate this."),
        // The sub-agent takes its time: the main thread's first run ends before it does.
        ...inConversation(task, { ...useTool("Bash", { command: "ls", description: "List files" }), delayMs: 500 }, say("There are 2 files.")),
        say("Waiting for the sub-agent."),
        say("The sub-agent counted 2 files."),
      ],
      ["-p", "Count the files with a sub-agent.", ...STREAM_JSON, "--model", MODEL, ...ALLOWED_TOOLS],
    );
    expect(t.run.code).toBe(0);
    // The CLI runs its main loop again once the task ends (a second init) and writes a result
    // per run, both after the last one.
    expect(t.stdout.match(/"subtype":"init"/g)).toHaveLength(2);
    expect(t.results).toHaveLength(2);
    const roots = rootOf(t);
    expect(roots.map((r) => [attr(r, "level"), attr(r, "input")])).toEqual([["DEFAULT", "Count the files with a sub-agent."]]);
    const agentTool = ofType(t, "tool").find((s) => s.name === "Agent")!;
    const subagent = ofType(t, "agent").find((s) => s.parentSpanId === agentTool.spanId)!;
    expect(subagent.name).toBe("general-purpose");
    const subCalls = t.served.filter((c) => c.conversation === task).map((c) => c.messageId);
    expect(ofType(t, "generation").filter((g) => g.parentSpanId === subagent.spanId).map((g) => attr(g, "metadata.messageId"))).toEqual(subCalls);
    expectExactAccounting(t, { partialMessages: false });
  }, TEST_TIMEOUT_MS);

  it("two turns over --input-format stream-json: a trace per turn, each with its prompt and exactly its own calls", async () => {
    const prompts = ["What is in README.md?", "And in notes.txt?"];
    const [first, second] = prompts.map((p) => `${JSON.stringify({ type: "user", message: { role: "user", content: p }, parent_tool_use_id: null, session_id: "" })}\n`);
    // As the Agent SDKs do: the next prompt once the turn before has its result.
    const t = await exec(
      [useTool("Read", { file_path: path.join(dirs.workspace, "README.md") }), say("A demo repository."), say("Two lines of notes.")],
      [...STREAM_JSON, "--input-format", "stream-json", "--include-partial-messages", "--model", MODEL, ...ALLOWED_TOOLS],
      { stdin: first, laterStdin: [{ after: '"type":"result"', write: second! }] },
    );
    expect(t.run.code).toBe(0);
    expect(t.results).toHaveLength(2);
    const roots = rootOf(t).sort((a, b) => Number(BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano)));
    expect(roots.map((r) => attr(r, "input"))).toEqual(prompts);
    const perTurn = [t.served.slice(0, 2), t.served.slice(2)];
    roots.forEach((root, i) => {
      const generations = ofType(t, "generation").filter((g) => g.traceId === root.traceId);
      expect(generations.map((g) => attr(g, "metadata.messageId"))).toEqual(perTurn[i]!.map((c) => c.messageId));
      expect(sumFigures(generations.map(figuresOfSpan))).toEqual(sumFigures(perTurn[i]!.map((c) => figuresOfServed(c.usage!))));
    });
    // The CLI's results are cumulative; the traces hold each turn's share.
    expect(figuresOfModelUsage(t.results[1]!)).toEqual(t.accounting.served);
    expect(t.accounting.traced).toEqual(t.accounting.served);
  }, TEST_TIMEOUT_MS);

  it("--max-turns ending in an error: the root is an ERROR, the calls made are all counted", async () => {
    const t = await exec([useTool("Bash", { command: "ls", description: "List files" }), say("never reached")], ["-p", "List the files.", ...STREAM_JSON, "--max-turns", "1", "--model", MODEL, ...ALLOWED_TOOLS]);
    expect(t.results[0]).toMatchObject({ subtype: "error_max_turns", is_error: true });
    expect(t.run.code).not.toBe(0);
    const [root] = rootOf(t);
    expect(attr(root, "level")).toBe("ERROR");
    expect(String(attr(root, "status_message"))).toMatch(/^error_max_turns/);
    expect(t.served).toHaveLength(1);
    expectExactAccounting(t, { partialMessages: false });
  }, TEST_TIMEOUT_MS);

  it("an overloaded first answer that the CLI retries is a WARNING event with the attempt, the status and the delay", async () => {
    const t = await exec([overloaded(), say("Hello after a retry.")], ["-p", "Say hello.", ...STREAM_JSON, "--include-partial-messages", "--model", MODEL]);
    expect(t.run.code).toBe(0);
    expect(t.served.map((c) => c.status)).toEqual([529, 200]);
    const [retry] = ofType(t, "event");
    expect(retry!.name).toBe("api_retry");
    expect(retry!.parentSpanId).toBe(rootOf(t)[0]!.spanId);
    expect(attr(retry, "level")).toBe("WARNING");
    expect(attr(retry, "metadata.attempt")).toBe("1");
    expect(attr(retry, "metadata.status")).toBe("529");
    expect(Number(attr(retry, "metadata.delayMs"))).toBeGreaterThan(0);
    expectExactAccounting(t, { partialMessages: true });
  }, TEST_TIMEOUT_MS);

  it("shim mode, with the arguments and stdin of the Python Agent SDK: traced exactly, prompt included", async () => {
    const prompt = "Read notes.txt";
    const stdin = `${JSON.stringify({ type: "user", session_id: "", message: { role: "user", content: prompt }, parent_tool_use_id: null })}\n`;
    const sdkArgs = [...STREAM_JSON, "--system-prompt", "", "--model", MODEL, "--permission-mode", "default", "--include-partial-messages", ...ALLOWED_TOOLS, "--input-format", "stream-json"];
    const t = await traced([useTool("Read", { file_path: path.join(dirs.workspace, "notes.txt") }), say("Two lines.")], sdkArgs, { stdin, env: { CLAUDE_LANGFUSE_CLI: REAL_CLI.path! } });
    expect(t.run.code).toBe(0);
    expect(attr(rootOf(t)[0], "input")).toBe(prompt);
    expect(String(attr(ofType(t, "tool").find((s) => s.name === "Read"), "output"))).toContain("second line");
    expectExactAccounting(t, { partialMessages: true });
  }, TEST_TIMEOUT_MS);

  it("the TypeScript Agent SDK's query({ pathToClaudeCodeExecutable }) pointed at the wrapper: traced exactly, prompt included", async () => {
    const session = `real-cli-${++sessions}`;
    api.script([useTool("Bash", { command: "ls", description: "List files" }), say("README.md and notes.txt.")]);
    const messages: SDKMessage[] = [];
    const stderr: string[] = [];
    for await (const m of query({
      prompt: "What files are here?",
      options: {
        pathToClaudeCodeExecutable: BUNDLE,
        cwd: dirs.workspace,
        model: MODEL,
        allowedTools: ["Bash", "Read"],
        includePartialMessages: true,
        env: { PATH: process.env.PATH ?? "", ...environment(session, { CLAUDE_LANGFUSE_CLI: REAL_CLI.path! }) },
        stderr: (d) => stderr.push(d),
      },
    })) {
      messages.push(m);
    }
    const result = messages.find((m) => m.type === "result") as Record<string, unknown> | undefined;
    expect(result).toMatchObject({ subtype: "success" });
    // The wrapper's exit waits for the export; the SDK may return before the process is reaped.
    await waitFor(() => langfuse.spans().some((s) => s.attributes["session.id"] === session && s.parentSpanId === undefined));
    expect(stderr.join("")).not.toMatch(/claude-langfuse/);
    const t = collect(session, { code: 0, signal: null, stdout: Buffer.from(messages.map((m) => JSON.stringify(m)).join("\n")), stderr: "" }, api.served());
    expect(attr(rootOf(t)[0], "input")).toBe("What files are here?");
    expectExactAccounting(t, { partialMessages: true });
  }, TEST_TIMEOUT_MS);

  it("traceSession around the TypeScript SDK's query() with the real CLI: traced exactly; with replay-user-messages, the prompt too", async () => {
    const session = `real-cli-${++sessions}`;
    api.script(threeCalls());
    const env = environment(session);
    const warnings: string[] = [];
    const messages: SDKMessage[] = [];
    const stream = query({
      prompt: "What do the files in this directory say?",
      options: {
        pathToClaudeCodeExecutable: REAL_CLI.path!,
        cwd: dirs.workspace,
        model: MODEL,
        allowedTools: ["Bash", "Read"],
        includePartialMessages: true,
        extraArgs: { "replay-user-messages": null },
        env: { PATH: process.env.PATH ?? "", ...cliEnvironment(apiUrl, dirs.home) },
      },
    });
    const exporter = new LangfuseExporter({ publicKey: env.LANGFUSE_PUBLIC_KEY!, secretKey: env.LANGFUSE_SECRET_KEY!, baseUrl: langfuseUrl });
    for await (const m of traceSession(stream, { config: readConfig(env), exporter, flushDeadlineMs: 30_000, warn: (m) => warnings.push(m) })) messages.push(m);
    expect(warnings).toEqual([]);
    expect(messages.find((m) => m.type === "result")).toMatchObject({ subtype: "success" });
    const t = collect(session, { code: 0, signal: null, stdout: Buffer.from(messages.map((m) => JSON.stringify(m)).join("\n")), stderr: "" }, api.served());
    expect(attr(rootOf(t)[0], "input")).toBe("What do the files in this directory say?");
    expectExactAccounting(t, { partialMessages: true });
  }, TEST_TIMEOUT_MS);

  /**
   * With CLAUDE_LANGFUSE_ACCOUNTING_REPORT set to a file, the served-vs-traced table of a run is
   * appended to it (for a closing note or a pull request); tests check the same figures.
   */
  function report(title: string, t: Traced): void {
    const file = process.env.CLAUDE_LANGFUSE_ACCOUNTING_REPORT;
    if (!file) return;
    fs.appendFileSync(file, `### ${title}\n\n${accountingTable(t.accounting, figuresOfModelUsage(t.results.at(-1)!))}\n\n`);
  }
});

/** Polls (every 50 ms, for at most a minute) until `done` holds. */
async function waitFor(done: () => boolean): Promise<void> {
  const until = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > until) throw new Error("gave up waiting after a minute");
    await new Promise((r) => setTimeout(r, 50));
  }
}
