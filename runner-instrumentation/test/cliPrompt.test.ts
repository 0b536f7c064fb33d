import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { MapperInput } from "../src/mapper";
import { knownOptionArity, readCliArguments } from "../src/exec/cliArguments";
import { cliArgumentsOf } from "../src/exec/command";
import { StreamTracer } from "../src/exec/streamTracer";
import { REAL_CLI, scratchDirs } from "./realCli";

describe("reading the prompt from the CLI's arguments, as the CLI reads them", () => {
  const cases: Array<[string, string[], string | undefined]> = [
    ["-p and the prompt", ["-p", "list the files", "--output-format", "stream-json", "--verbose"], "list the files"],
    ["the prompt after the options", ["--output-format", "stream-json", "--verbose", "--model", "claude-sonnet-4-5", "-p", "fix the test"], "fix the test"],
    ["--print", ["--print", "--output-format=stream-json", "explain"], "explain"],
    ["the prompt after --, even one that looks like an option", ["-p", "--allowedTools", "Bash", "Read", "--", "--help me"], "--help me"],
    ["flags written together", ["-pc", "go on"], "go on"],
    ["values given with =", ["--model=claude-sonnet-4-5", "--max-turns=3", "-p", "hi"], "hi"],
    ["a hidden option the SDKs pass, with its value", ["--max-turns", "3", "-p", "hi"], "hi"],
    ["no prompt: an optional value takes the next word (--resume)", ["-p", "--resume", "0f8c2b1e"], undefined],
    ["no prompt: a variadic option takes every word up to the next option", ["-p", "--allowedTools", "Bash", "list the files"], undefined],
    ["no prompt: a subcommand", ["mcp", "list"], undefined],
    ["no prompt: an option this table does not know (the CLI refuses it too)", ["-p", "--frobnicate", "x", "hello"], undefined],
    ["no prompt at all", ["-p", "--output-format", "stream-json", "--verbose", "--input-format", "stream-json"], undefined],
  ];
  it.each(cases)("%s", (_, args, prompt) => {
    expect(readCliArguments(args).prompt).toBe(prompt);
  });

  it("reads the formats", () => {
    expect(readCliArguments(["--output-format", "stream-json", "--input-format", "stream-json"])).toEqual({ inputFormat: "stream-json", outputFormat: "stream-json" });
    expect(readCliArguments(["-p", "x"])).toEqual({ inputFormat: "text", prompt: "x" });
  });

  it("skips a JavaScript runtime and its script (exec -- node cli.js …)", () => {
    expect(cliArgumentsOf("/usr/bin/node", ["--no-warnings", "/opt/cli.js", "-p", "hi"])).toEqual(["-p", "hi"]);
    expect(cliArgumentsOf("/usr/local/bin/claude", ["-p", "hi"])).toEqual(["-p", "hi"]);
  });

  it.skipIf(!REAL_CLI.path)("knows every option the real CLI's --help lists, with the same kind of value", () => {
    const dirs = scratchDirs("claude-langfuse-help-");
    try {
      const help = spawnSync(REAL_CLI.path!, ["--help"], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: dirs.home }, timeout: 60_000 });
      expect(help.status).toBe(0);
      // "  -p, --print   …", "  --allowedTools, --allowed-tools <tools...>", "  -d, --debug [filter]"
      const listed = [...help.stdout.matchAll(/^ {2}((?:-{1,2}[\w-]+(?:, )?)+)(?: (<[^>]+>|\[[^\]]+\]))?/gm)];
      expect(listed.length).toBeGreaterThan(50);
      const mismatches: string[] = [];
      for (const [, names, value] of listed) {
        const arity = value === undefined ? "flag" : value.startsWith("[") ? "optional" : value.endsWith("...>") ? "variadic" : "value";
        for (const name of names!.split(", ").map((n) => n.trim())) {
          if (knownOptionArity(name) !== arity) mismatches.push(`${name}: the CLI says ${arity}, the table ${knownOptionArity(name) ?? "nothing"}`);
        }
      }
      expect(mismatches).toEqual([]);
    } finally {
      dirs.remove();
    }
  });
});

describe("the stream tracer's prompts", () => {
  const collect = (tracer: StreamTracer) => {
    const got: MapperInput[] = [];
    tracer.attach({ push: (i) => got.push(i) });
    return got;
  };
  const started = new Date("2026-02-09T12:00:00Z");
  const line = (o: unknown) => JSON.stringify(o);
  const init = line({ type: "system", subtype: "init", session_id: "s1", model: "claude-sonnet-4-5" });
  const userPrompt = (content: string) => line({ type: "user", message: { role: "user", content }, parent_tool_use_id: null, session_id: "" });

  it("gives the command line's prompt and text on stdin, joined as the CLI joins them, before the CLI's first message", () => {
    const tracer = new StreamTracer({ argument: "summarise this", stdinFormat: "text", at: started });
    const got = collect(tracer);
    tracer.stdinLine("line one of a log", new Date("2026-02-09T12:00:01Z"));
    tracer.stdinLine("line two", new Date("2026-02-09T12:00:01Z"));
    tracer.stdoutLine(init, new Date("2026-02-09T12:00:02Z"));
    expect(got.map((i) => [i.message.type, (i.message as { message?: { content?: unknown } }).message?.content, i.at])).toEqual([
      ["user", "summarise this\nline one of a log\nline two", started],
      ["system", undefined, new Date("2026-02-09T12:00:02Z")],
    ]);
  });

  it("does not take a prompt twice when the CLI echoes stdin back (--replay-user-messages)", () => {
    const tracer = new StreamTracer({ stdinFormat: "stream-json", at: started });
    const got = collect(tracer);
    tracer.stdinLine(userPrompt("once"), started);
    tracer.stdoutLine(line({ type: "user", message: { role: "user", content: "once" }, parent_tool_use_id: null, session_id: "s1", isReplay: true }), started);
    expect(got.filter((i) => i.message.type === "user")).toHaveLength(1);
  });
});
