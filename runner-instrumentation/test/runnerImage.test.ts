import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../src/config";
import { MessagesApiStandIn, say, useTool, type ServedCall } from "./messagesApi";
import { OtlpReceiver, type ReceivedSpan } from "./otlpReceiver";
import { bundledCliOf, RUNNER_SDK_REQUIREMENT, runnerPythonSdk } from "./pythonSdk";
import { cliEnvironment, compareServedWithTraced, figuresOfModelUsage, scratchDirs } from "./realCli";
import { BUNDLE } from "./shippedBundle";

/**
 * What the runner image's Dockerfile runs: the build step (docker/install-wrapper.sh) and the
 * entrypoint (docker/entrypoint.sh). There is no Docker engine here; these are the scripts the
 * image runs, run here on the same inputs.
 */
const DOCKER = path.resolve(__dirname, "../docker");
const INSTALL = path.join(DOCKER, "install-wrapper.sh");
const ENTRYPOINT = path.join(DOCKER, "entrypoint.sh");
const RUNNER_QUERY = path.resolve(__dirname, "fixtures/runner_query.py");

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "claude-langfuse-image-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The environment the entrypoint hands the runner's command. */
function throughEntrypoint(env: Record<string, string>): Record<string, string> {
  const r = spawnSync("/bin/sh", [ENTRYPOINT, process.execPath, "-e", "process.stdout.write(JSON.stringify(process.env))"], { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, string>;
}

/**
 * The runner's own switches, as ambient_runner/observability_config.py and observability.py read
 * them: a comma list, unset or empty meaning langfuse, unknown names ignored; and LANGFUSE_ENABLED.
 */
function runnerBackends(env: Record<string, string>): string[] {
  const raw = (env.OBSERVABILITY_BACKENDS ?? "").trim().toLowerCase();
  if (!raw) return ["langfuse"];
  return raw.split(",").map((p) => p.trim()).filter((p) => p === "langfuse" || p === "mlflow");
}
const runnerLangfuseEnabled = (env: Record<string, string>) => ["1", "true", "yes"].includes((env.LANGFUSE_ENABLED ?? "").trim().toLowerCase());
const runnerTracerOn = (env: Record<string, string>) => runnerBackends(env).includes("langfuse") && runnerLangfuseEnabled(env);

const KEYS = { LANGFUSE_PUBLIC_KEY: "pk-lf-image", LANGFUSE_SECRET_KEY: "sk-lf-image-5f0e2d1c", LANGFUSE_HOST: "http://langfuse-web.langfuse.svc.cluster.local:3000" };

describe("the image's entrypoint: the runner's Python tracer off, nothing else", () => {
  it.each([
    [undefined, "none", []],
    ["", "none", []],
    ["langfuse", "none", []],
    ["langfuse,mlflow", "mlflow", ["mlflow"]],
    [" MLflow , Langfuse ", "mlflow", ["mlflow"]],
    ["mlflow", "mlflow", ["mlflow"]],
  ])("OBSERVABILITY_BACKENDS=%j becomes %j: the runner keeps %j, LANGFUSE_ENABLED stays true, the wrapper traces", (given, expected, kept) => {
    const env = throughEntrypoint({ ...KEYS, LANGFUSE_ENABLED: "true", ...(given === undefined ? {} : { OBSERVABILITY_BACKENDS: given }) });
    expect(env.OBSERVABILITY_BACKENDS).toBe(expected);
    expect(runnerBackends(env)).toEqual(kept);
    expect(runnerTracerOn(env)).toBe(false);
    // The corrections prompt, tool and feedback scores read it: untouched.
    expect(env.LANGFUSE_ENABLED).toBe("true");
    expect(runnerLangfuseEnabled(env)).toBe(true);
    expect(readConfig(env).enabled).toBe(true);
  });

  it("with LANGFUSE_ENABLED=false in the pod, neither traces and the value is left as it was", () => {
    const env = throughEntrypoint({ ...KEYS, LANGFUSE_ENABLED: "false" });
    expect(env.LANGFUSE_ENABLED).toBe("false");
    expect(runnerTracerOn(env)).toBe(false);
    expect(readConfig(env)).toMatchObject({ enabled: false, disabledReason: "LANGFUSE_ENABLED is false" });
  });

  it("runs the command with its arguments and ends as it ends; without a command it says how to use it", () => {
    const r = spawnSync("/bin/sh", [ENTRYPOINT, "/bin/sh", "-c", 'printf "%s|" "$@"; exit 3', "sh", "a b", "*"], { encoding: "utf8", cwd: tmp });
    expect([r.status, r.stdout]).toEqual([3, "a b|*|"]);
    const bare = spawnSync("/bin/sh", [ENTRYPOINT], { encoding: "utf8" });
    expect([bare.status, bare.stderr]).toEqual([2, "usage: claude-langfuse-entrypoint <command> [args...]\n"]);
  });
});

describe("the Dockerfile (not built here: no Docker engine), read", () => {
  const dockerfile = fs.readFileSync(path.resolve(__dirname, "../Dockerfile"), "utf8");
  const repo = path.resolve(__dirname, "../..");
  const instruction = (name: string) => dockerfile.split("\n").filter((l) => l.startsWith(`${name} `));

  it("brings a supported Node.js LTS (22 or 24) for the wrapper", () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:(22|24)(\.[\d.]+)?-slim$/m);
  });

  it("copies only files that exist, runs the build step with the paths the image uses, and starts through the entrypoint", () => {
    for (const line of instruction("COPY").filter((l) => !l.includes("--from="))) {
      const source = line.split(/\s+/).filter((w) => !w.startsWith("--")).at(-2)!;
      expect(fs.existsSync(path.join(repo, source)), source).toBe(true);
    }
    const step = dockerfile.slice(dockerfile.indexOf("RUN PYTHON="), dockerfile.indexOf("install-wrapper.sh\n", dockerfile.indexOf("RUN PYTHON=")));
    const envOfStep = Object.fromEntries([...step.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
    expect(envOfStep.CLAUDE_LANGFUSE_CLI).toBe(/^ENV CLAUDE_LANGFUSE_CLI=(\S+)$/m.exec(dockerfile)?.[1]);
    expect(instruction("COPY").some((l) => l.endsWith(` ${envOfStep.CLAUDE_LANGFUSE_NODE}`))).toBe(true);
    expect(instruction("COPY").some((l) => l.endsWith(` ${envOfStep.CLAUDE_LANGFUSE_BUNDLE}`))).toBe(true);
    const entrypoint = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(dockerfile)![1]!) as string[];
    expect(instruction("COPY").some((l) => l.includes("docker/entrypoint.sh") && l.endsWith(` ${entrypoint[0]}`))).toBe(true);
    // The runner's own command, restated because an ENTRYPOINT clears the base image's CMD.
    expect(/^CMD (.*)$/m.exec(dockerfile)![1]).toBe('["/bin/bash", "-c", "umask 0022 && cd /app/ambient-runner && uvicorn main:app --host 0.0.0.0 --port 8001"]');
    expect(dockerfile).not.toMatch(/LANGFUSE_ENABLED=|handoff/);
  });
});

/** A file tree like the image's: where the build step installs the wrapper and moves the CLI. */
interface ImageTree {
  root: string;
  bin: string;
  real: string;
  env: Record<string, string>;
}

function imageTree(name: string, python: string, extraEnv: Record<string, string> = {}): ImageTree {
  const root = path.join(tmp, name);
  const bin = path.join(root, "usr/local/bin/claude-langfuse");
  const real = path.join(root, "opt/claude-langfuse/claude");
  return {
    root,
    bin,
    real,
    env: { PATH: process.env.PATH ?? "", PYTHON: python, CLAUDE_LANGFUSE_NODE: process.execPath, CLAUDE_LANGFUSE_BUNDLE: BUNDLE, CLAUDE_LANGFUSE_BIN: bin, CLAUDE_LANGFUSE_CLI: real, ...extraEnv },
  };
}

function buildStep(tree: ImageTree) {
  return spawnSync("/bin/sh", [INSTALL], { env: tree.env, encoding: "utf8", timeout: 120_000 });
}

describe("the image's build step, on a stand-in claude_agent_sdk", () => {
  /** A package laid out as the SDK's wheel lays it out, with a CLI that only tells its version. */
  function fakeSdk(name: string): { pythonPath: string; bundled: string } {
    const site = path.join(tmp, name, "site-packages");
    const pkg = path.join(site, "claude_agent_sdk");
    fs.mkdirSync(path.join(pkg, "_bundled"), { recursive: true });
    fs.writeFileSync(path.join(pkg, "__init__.py"), "");
    const bundled = path.join(pkg, "_bundled", "claude");
    fs.writeFileSync(bundled, '#!/bin/sh\n[ "$1" = --version ] && echo "2.1.999 (Claude Code)" && exit 0\necho "stand-in CLI: $*"\n', { mode: 0o755 });
    return { pythonPath: site, bundled };
  }

  it("puts the wrapper where the SDK looks, moves the CLI to CLAUDE_LANGFUSE_CLI, checks the chain, and changes nothing when run again", () => {
    const sdk = fakeSdk("swap");
    const tree = imageTree("swap-tree", "python3", { PYTHONPATH: sdk.pythonPath });
    const cliBytes = fs.readFileSync(sdk.bundled);
    const first = buildStep(tree);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toBe(
      `claude-langfuse install: ${sdk.bundled} now runs the wrapper (${tree.bin}), which runs the real CLI at ${tree.real}.\n` +
        "claude-langfuse install: the SDK's CLI answers through the wrapper: 2.1.999 (Claude Code)\n",
    );
    expect(fs.readlinkSync(sdk.bundled)).toBe(tree.bin);
    expect(fs.readFileSync(tree.real).equals(cliBytes)).toBe(true);
    // The wrapper is the bundle, started by the image's node, and runs for any user.
    const installed = fs.readFileSync(tree.bin, "utf8");
    expect(installed.split("\n")[0]).toBe(`#!${process.execPath}`);
    expect(installed.slice(installed.indexOf("\n"))).toBe(fs.readFileSync(BUNDLE, "utf8").slice(fs.readFileSync(BUNDLE, "utf8").indexOf("\n")));
    expect(fs.statSync(tree.bin).mode & 0o777).toBe(0o755);

    const realInode = fs.statSync(tree.real).ino;
    const again = buildStep(tree);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain(`claude-langfuse install: already in place: ${sdk.bundled} runs the wrapper, which runs ${tree.real}.\n`);
    expect([fs.readlinkSync(sdk.bundled), fs.statSync(tree.real).ino]).toEqual([tree.bin, realInode]);
  });

  it("takes a CLI the SDK brought again (reinstalled over an earlier swap) as the real one", () => {
    const sdk = fakeSdk("reinstalled");
    const tree = imageTree("reinstalled-tree", "python3", { PYTHONPATH: sdk.pythonPath });
    expect(buildStep(tree).status).toBe(0);
    fs.rmSync(sdk.bundled);
    fs.writeFileSync(sdk.bundled, '#!/bin/sh\necho "2.2.0 (Claude Code)"\n', { mode: 0o755 });
    const r = buildStep(tree);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`replacing the CLI at ${tree.real} with the one claude-agent-sdk bundles now.`);
    expect(r.stdout).toContain("answers through the wrapper: 2.2.0 (Claude Code)");
  });

  it.each([
    ["the SDK is not installed for that Python", (t: ImageTree) => ({ ...t.env, PYTHONPATH: path.join(tmp, "nowhere") }), /python3 cannot import claude_agent_sdk; install the runner \(or claude-agent-sdk\) first, or set PYTHON to the Python that has it\.$/],
    ["CLAUDE_LANGFUSE_CLI names the wrapper itself", (t: ImageTree) => ({ ...t.env, CLAUDE_LANGFUSE_CLI: t.bin }), /CLAUDE_LANGFUSE_CLI \(.*\) is the wrapper itself; point it at a path of its own for the real CLI\.$/],
    ["the node is older than 20", (t: ImageTree) => ({ ...t.env, CLAUDE_LANGFUSE_NODE: "/bin/false" }), /\/bin\/false is not Node\.js 20 or later; set CLAUDE_LANGFUSE_NODE to one\.$/],
    ["there is no bundle", (t: ImageTree) => ({ ...t.env, CLAUDE_LANGFUSE_BUNDLE: path.join(tmp, "missing.cjs") }), /no bundle at .*missing\.cjs; build it with `npm run bundle`/],
  ])("refuses, saying why and what to do, when %s", (_, envOf, message) => {
    const sdk = fakeSdk(`refuse-${Math.random().toString(16).slice(2)}`);
    const tree = imageTree(`refuse-tree-${Math.random().toString(16).slice(2)}`, "python3", { PYTHONPATH: sdk.pythonPath });
    const r = spawnSync("/bin/sh", [INSTALL], { env: envOf(tree), encoding: "utf8", timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(message);
    expect(fs.lstatSync(sdk.bundled).isSymbolicLink()).toBe(false);
  });

  it("refuses a second run that finds the swap but not the real CLI", () => {
    const sdk = fakeSdk("lost-real");
    const tree = imageTree("lost-real-tree", "python3", { PYTHONPATH: sdk.pythonPath });
    expect(buildStep(tree).status).toBe(0);
    fs.rmSync(tree.real);
    const r = buildStep(tree);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `claude-langfuse install: ${sdk.bundled} already runs the wrapper, but the real CLI is not at ${tree.real}; ` +
        "reinstall claude-agent-sdk (pip install --force-reinstall claude-agent-sdk) and run this step again.\n",
    );
  });

  it("the wrapper refuses to start itself as the CLI, by real path, at once and with a clear error", () => {
    const sdk = fakeSdk("self");
    const tree = imageTree("self-tree", "python3", { PYTHONPATH: sdk.pythonPath });
    expect(buildStep(tree).status).toBe(0);
    const started = Date.now();
    // The SDK's CLI path is a link to the wrapper: pointing CLAUDE_LANGFUSE_CLI at it would loop.
    const r = spawnSync(sdk.bundled, ["--output-format", "stream-json", "--verbose", "--input-format", "stream-json"], { env: { PATH: process.env.PATH ?? "", CLAUDE_LANGFUSE_CLI: sdk.bundled }, encoding: "utf8", input: "", timeout: 60_000 });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.status).toBe(127);
    expect(r.stderr).toBe(`claude-langfuse: CLAUDE_LANGFUSE_CLI is "${sdk.bundled}", which is this wrapper; point it at the real Claude Code CLI.\n`);
  });
});

// The runner's own SDK from PyPI: prepared while the file is collected, so that the suite can say
// why it is skipped.
const sdkDir = path.join(tmp, "python-sdk");
fs.mkdirSync(sdkDir, { recursive: true });
const SDK = runnerPythonSdk(sdkDir);
if ("skip" in SDK) console.warn(`claude-langfuse: ${SDK.skip}`);

const RUN_TIMEOUT_MS = 240_000;
const MODEL = "claude-sonnet-4-5";

describe.skipIf("skip" in SDK)("skip" in SDK ? SDK.skip : `the runner's Python SDK (${RUNNER_SDK_REQUIREMENT}: ${SDK.version}) after the image's build step`, () => {
  const python = "python" in SDK ? SDK.python : "";
  const api = new MessagesApiStandIn([], { dateOtherAliases: "20260101" });
  const langfuse = new OtlpReceiver();
  const dirs = scratchDirs("claude-langfuse-runner-sdk-");
  let apiUrl = "";
  let langfuseUrl = "";
  let tree: ImageTree;
  let bundled = "";
  let buildOutput = "";
  let originalCli: { size: number; version: string };

  beforeAll(async () => {
    apiUrl = await api.start();
    langfuseUrl = await langfuse.start();
    bundled = bundledCliOf(python);
    originalCli = { size: fs.statSync(bundled).size, version: spawnSync(bundled, ["--version"], { encoding: "utf8", timeout: 120_000, env: { PATH: process.env.PATH ?? "", HOME: dirs.home } }).stdout.trim() };
    tree = imageTree("runner-sdk-tree", python);
    const step = buildStep(tree);
    expect(step.status, step.stderr).toBe(0);
    buildOutput = step.stdout;
  }, RUN_TIMEOUT_MS);
  afterAll(async () => {
    await api.stop();
    await langfuse.stop();
    dirs.remove();
  });

  it("the build step swaps the SDK's own bundled CLI for the wrapper, and the real one answers through it", () => {
    expect(originalCli.version).toMatch(/^\d+\.\d+\.\d+ \(Claude Code\)$/);
    expect(fs.readlinkSync(bundled)).toBe(tree.bin);
    expect(fs.statSync(tree.real).size).toBe(originalCli.size);
    expect(buildOutput).toContain(`the SDK's CLI answers through the wrapper: ${originalCli.version}`);
  });

  /** The runner's process: started through the entrypoint, as the image starts it. */
  function runRunner(session: string, prompts: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; lines: Array<Record<string, unknown>>; stderr: string }> {
    const env = {
      PATH: process.env.PATH ?? "",
      ...cliEnvironment(apiUrl, dirs.home),
      ...KEYS,
      LANGFUSE_HOST: langfuseUrl,
      LANGFUSE_ENABLED: "true",
      OBSERVABILITY_BACKENDS: "langfuse,mlflow",
      AGENTIC_SESSION_NAME: session,
      AGENTIC_SESSION_NAMESPACE: "team-a",
      USER_ID: "alice",
      // What the image's Dockerfile sets.
      CLAUDE_LANGFUSE_CLI: tree.real,
      ...extraEnv,
    };
    const child = spawn("/bin/sh", [ENTRYPOINT, python, RUNNER_QUERY, dirs.workspace, MODEL, ...prompts], { env, cwd: dirs.workspace, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    return new Promise((resolve) => {
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stderr, lines: stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>) });
      });
    });
  }

  const spansOf = (session: string) => langfuse.spans().filter((s) => s.attributes["session.id"] === session);
  const roots = (spans: ReceivedSpan[]) => spans.filter((s) => s.parentSpanId === undefined).sort((a, b) => Number(BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano)));

  it("query() as the runner calls it (no cli_path) runs the wrapper, which runs the real CLI: both turns traced exactly, and with masking left at its default no prompt or output text is sent", async () => {
    const session = "runner-sdk-masked";
    const prompts = ["What files are in this workspace?", "Which of them is the longest?"];
    const answers = ["The workspace holds README.md and notes.txt.", "README.md is the longest of the two."];
    api.script([useTool("Bash", { command: "ls", description: "List files" }, "Let me look."), say(answers[0]!), say(answers[1]!)]);
    const before = langfuse.requests.length;
    const run = await runRunner(session, prompts);
    const served: ServedCall[] = api.served();
    expect(run.code, run.stderr).toBe(0);
    // What the runner's switches read inside the runner: its tracer off, mlflow kept, LANGFUSE_ENABLED as the pod had it.
    expect(run.lines[0]).toEqual({ observability: { OBSERVABILITY_BACKENDS: "mlflow", LANGFUSE_ENABLED: "true" } });
    const results = run.lines.filter((l) => l.message === "ResultMessage");
    expect(results.map((r) => [r.subtype, r.is_error, r.result])).toEqual([["success", false, answers[0]], ["success", false, answers[1]]]);
    // The wrapper said nothing on the SDK's stderr (its reports would be there).
    expect(run.lines.at(-1)).toEqual({ stderr: [] });

    expect(served.map((c) => [c.status, c.requestedModel])).toEqual(Array(3).fill([200, MODEL]));
    const spans = spansOf(session);
    expect(roots(spans)).toHaveLength(2);
    const accounting = compareServedWithTraced(served, spans);
    for (const call of accounting.calls) {
      expect(call.traced, `call ${call.call}`).toBeDefined();
      // The runner turns partial messages on: every call's exact figures.
      expect(call.traced!.figures).toEqual(call.served);
      expect(call.traced!.model).toBe(call.answeredModel);
    }
    expect(accounting.traced).toEqual(accounting.served);
    const modelUsage = results.at(-1)!.model_usage as Record<string, Record<string, number>>;
    expect(figuresOfModelUsage({ modelUsage })).toEqual(accounting.served);
    for (const s of spans) {
      expect(s.attributes["user.id"]).toBe("alice");
      expect(s.attributes["langfuse.observation.input"]).toBeUndefined();
      expect(s.attributes["langfuse.observation.output"]).toBeUndefined();
    }
    const bodies = langfuse.requests.slice(before).map((r) => r.body).join("\n");
    for (const text of [...prompts, ...answers, "Let me look.", "README.md", "notes.txt"]) expect(bodies).not.toContain(text);
  }, RUN_TIMEOUT_MS);

  it("with LANGFUSE_MASK_MESSAGES=false the prompt and the answer arrive as the trace's input and output", async () => {
    const session = "runner-sdk-unmasked";
    api.script([say("Two files.")]);
    const run = await runRunner(session, ["How many files are here?"], { LANGFUSE_MASK_MESSAGES: "false" });
    expect(run.code, run.stderr).toBe(0);
    const [root] = roots(spansOf(session));
    expect(root?.attributes["langfuse.observation.input"]).toBe("How many files are here?");
    expect(root?.attributes["langfuse.observation.output"]).toBe("Two files.");
  }, RUN_TIMEOUT_MS);
});
