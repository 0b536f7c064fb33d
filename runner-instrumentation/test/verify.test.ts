import { LANGFUSE_SPEC_VERSIONS, startLangfuseSpecServer, type LangfuseSpecVersion, type SpecServer } from "@ambient-code/spec-server";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { readConfig } from "../src/config";
import { DryRunExporter, type DryRunDocument } from "../src/dryRunExporter";
import { replayFiles } from "../src/replay";
import { compareSessions, pairGenerations, renderComparison, type SessionObservation } from "../src/verify/compare";
import { LangfuseSessionStore } from "./langfuseSessionStore";
import { closedPort } from "./otlpReceiver";
import { BUNDLE, runDirect, runWrapper, STANDIN, type WrapperRun } from "./wrapperRun";

const KEYS = { publicKey: "pk-lf-3c9a1e52-7b04-4d8f-a6e1-5f2b8c0d9e13", secretKey: "sk-lf-8e2d4f61-0a9b-4c37-b5d8-1e6f3a2c7b90" };
const SESSION = "team-a-session-0042";
/** The stand-in CLI's own Claude session id. */
const CLAUDE_SESSION = "5d0f6b8e-6a47-4c1e-9a51-2f5b8d0c7e11";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "verify-test-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

let server: SpecServer | undefined;
afterEach(async () => {
  // Every test's requests must have been ones the spec allows.
  await server?.close();
  server = undefined;
});

/** A stream-json capture written by the project's stand-in CLI: each turn one tool call, two model calls and a result. */
async function standinCapture(name: string, turns: number): Promise<string> {
  const run = await runDirect({ STANDIN_TURNS: String(turns) });
  const file = path.join(scratch, name);
  fs.writeFileSync(file, run.stdout);
  return file;
}

/** What `replay --dry-run` makes of a capture: what Langfuse receives when the session is traced. */
async function dryRun(file: string): Promise<DryRunDocument> {
  const exporter = new DryRunExporter();
  await replayFiles([file], { config: readConfig({}), exporter, warn: () => undefined });
  return exporter.document();
}

/** A Langfuse of that version holding the capture's session as it was sent, changed by `edit` (what went wrong on the way). */
async function langfuseHolding(version: LangfuseSpecVersion, capture: string, edit: (store: LangfuseSessionStore) => void = () => undefined) {
  const store = new LangfuseSessionStore(version);
  store.addDryRun(await dryRun(capture), SESSION);
  edit(store);
  server = await startLangfuseSpecServer({ version, projectKeys: KEYS, operations: store.handlers() });
  return store;
}

const langfuseEnv = (url: string, keys = KEYS) => ({ LANGFUSE_BASE_URL: url, LANGFUSE_PUBLIC_KEY: keys.publicKey, LANGFUSE_SECRET_KEY: keys.secretKey });

/** `claude-langfuse verify …` as users run it: the shipped bundle, in a process of its own. */
function verify(args: string[], env: Record<string, string>): Promise<WrapperRun & { out: string }> {
  return runWrapper(["verify", ...args], { env, timeoutMs: 300_000 }).then((r) => ({ ...r, out: r.stdout.toString("utf8") }));
}

const MATCHING_TABLE = `
                                   capture  langfuse
traces                                   2         2
observations                            10        10
  agent                                  2         2
  generation                             6         6
  tool                                   2         2
usage input                             48        48
usage output                           280       280
usage cache_read_input_tokens       56,000    56,000
usage cache_creation_input_tokens    1,200     1,200

generations: 6 of 6 match in model and usage (input, output, cache_read_input_tokens, cache_creation_input_tokens)

match
`;

describe.each(LANGFUSE_SPEC_VERSIONS)("claude-langfuse verify against Langfuse %s (spec-checking server)", (version) => {
  it("finds the session whole, prints the table and exits 0, reading it the way this version lists sessions", async () => {
    const capture = await standinCapture(`match-${version}.jsonl`, 2);
    await langfuseHolding(version, capture);
    const run = await verify(["--session", SESSION, capture], langfuseEnv(server!.url));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.out).toBe(`session ${SESSION} at ${server!.url} (Langfuse ${version}, ${version.startsWith("4.") ? "v4" : "v3"} API)\n${MATCHING_TABLE}`);
    const asked = server!.requests.map((r) => `${r.operationId} ${JSON.stringify(r.query)}`);
    if (version.startsWith("4.")) {
      expect(asked).toEqual([
        "health_health {}",
        `observations_getMany {"sessionId":"${SESSION}","fields":"core","limit":1000}`,
        `observations_getMany {"sessionId":"${SESSION}","fields":"core,basic,model,usage,metadata","limit":1000}`,
      ]);
    } else {
      const traces = [...new Set(server!.requests.filter((r) => r.operationId === "legacy_observationsV1_getMany").map((r) => r.query.traceId))];
      expect(traces).toHaveLength(2);
      expect(asked).toEqual([
        "health_health {}",
        `trace_list {"sessionId":"${SESSION}","page":1,"limit":100,"fields":"core,observations"}`,
        `trace_list {"sessionId":"${SESSION}","page":1,"limit":100,"fields":"core,observations"}`,
        ...traces.map((t) => `legacy_observationsV1_getMany {"traceId":"${t}","page":1,"limit":100}`),
      ]);
    }
  });

  it("waits for a session that arrives while it waits, and then matches", async () => {
    const capture = await standinCapture(`late-${version}.jsonl`, 2);
    const store = new LangfuseSessionStore(version);
    server = await startLangfuseSpecServer({ version, projectKeys: KEYS, operations: store.handlers() });
    const document = await dryRun(capture);
    // The first turn is there at once; the second is ingested once verify has looked a few times.
    store.addDryRun({ traces: document.traces.slice(0, 1) }, SESSION);
    const listings = () => server!.requests.filter((r) => r.operationId === (version.startsWith("4.") ? "observations_getMany" : "trace_list")).length;
    const arrival = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (listings() < 3) return;
        clearInterval(timer);
        store.addDryRun({ traces: document.traces.slice(1) }, SESSION);
        resolve();
      }, 50);
    });
    const run = await verify(["--session", SESSION, capture], langfuseEnv(server.url));
    await arrival;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.out.endsWith(MATCHING_TABLE)).toBe(true);
    expect(listings()).toBeGreaterThanOrEqual(4);
  });

  it("exits 3 when the session has not arrived whole within --timeout, showing what did", async () => {
    const capture = await standinCapture(`partial-${version}.jsonl`, 2);
    const document = await dryRun(capture);
    const store = new LangfuseSessionStore(version);
    store.addDryRun({ traces: document.traces.slice(0, 1) }, SESSION);
    server = await startLangfuseSpecServer({ version, projectKeys: KEYS, operations: store.handlers() });
    const started = Date.now();
    const run = await verify(["--session", SESSION, "--timeout", "2", capture], langfuseEnv(server.url));
    expect(run.code).toBe(3);
    // Bounded: the deadline, plus one last listing, on a machine that may be busy.
    expect(Date.now() - started).toBeLessThan(2_000 + 20_000);
    expect(run.stderr).toBe("claude-langfuse: verify: the session's traces did not arrive within 2 s: Langfuse holds 5 of the 10 observations of the capture.\n");
    expect(run.out).toContain("traces                                   2         1  differs\nobservations                            10         5  differs\n");
    expect(run.out.endsWith("\nnot arrived: 5 of 10 observations within 2 s\n")).toBe(true);
  });
});

describe("claude-langfuse verify: each kind of difference exits 1 and is shown", () => {
  it("a generation answered by another model than the capture's", async () => {
    const capture = await standinCapture("model.jsonl", 1);
    await langfuseHolding("4.16.0", capture, (store) => {
      store.observations.find((o) => o.metadata.messageId === "msg_standin_1_b")!.model = "claude-haiku-4-5";
    });
    const run = await verify(["--session", SESSION, capture], langfuseEnv(server!.url));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("");
    expect(run.out).toContain(
      [
        "generations: 2 of 3 match in model and usage (input, output, cache_read_input_tokens, cache_creation_input_tokens)",
        "  generation                 model              input  output  cache read  cache write",
        "  msg_standin_1_b  capture   claude-sonnet-4-5     12       1      14,000          300",
        "                   langfuse  claude-haiku-4-5      12       1      14,000          300",
        "",
        "1 difference",
      ].join("\n"),
    );
  });

  it("a usage figure that is not the capture's changes the generation and the totals", async () => {
    const capture = await standinCapture("usage.jsonl", 1);
    await langfuseHolding("3.224.1", capture, (store) => {
      const g = store.observations.find((o) => o.metadata.messageId === "msg_standin_1_a")!;
      g.usageDetails = { ...g.usageDetails, output: 7, total: g.usageDetails.total! + 5 };
    });
    const run = await verify(["--session", SESSION, capture], langfuseEnv(server!.url));
    expect(run.code).toBe(1);
    expect(run.out).toContain("usage output                           140       145  differs\n");
    expect(run.out).toContain(["  msg_standin_1_a  capture   claude-sonnet-4-5     12       2      14,000          300", "                   langfuse  claude-sonnet-4-5     12       7      14,000          300"].join("\n"));
    expect(run.out.endsWith("\n2 differences\n")).toBe(true);
  });

  it("an observation of another type (a tool call stored as a plain span)", async () => {
    const capture = await standinCapture("type.jsonl", 1);
    await langfuseHolding("4.16.0", capture, (store) => {
      store.observations.find((o) => o.type === "TOOL")!.type = "SPAN";
    });
    const run = await verify(["--session", SESSION, capture], langfuseEnv(server!.url));
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      [
        "observations                             5         5",
        "  agent                                  1         1",
        "  generation                             3         3",
        "  span                                   0         1  differs",
        "  tool                                   1         0  differs",
      ].join("\n"),
    );
    expect(run.out.endsWith("\n2 differences\n")).toBe(true);
  });

  it("more in Langfuse than the capture made (a generation sent twice)", async () => {
    const capture = await standinCapture("extra.jsonl", 1);
    await langfuseHolding("3.224.1", capture, (store) => {
      const g = store.observations.find((o) => o.metadata.messageId === "msg_standin_1_b")!;
      store.add({ ...g, id: "77aa77aa77aa77aa" });
    });
    const run = await verify(["--session", SESSION, capture], langfuseEnv(server!.url));
    expect(run.code).toBe(1);
    expect(run.out).toContain("observations                             5         6  differs\n  agent                                  1         1\n  generation                             3         4  differs\n");
    expect(run.out).toContain(["  msg_standin_1_b  capture   (not in the capture)", "                   langfuse  claude-sonnet-4-5        12       1      14,000          300"].join("\n"));
    // Counts, four usage totals and the generation.
    expect(run.out.endsWith("\n7 differences\n")).toBe(true);
  });
});

describe("claude-langfuse verify: settings, refusals and the capture", () => {
  it("says which variables hold the key pair Langfuse refused (401), prints no key, and exits 2", async () => {
    const capture = await standinCapture("refused.jsonl", 1);
    await langfuseHolding("4.16.0", capture);
    const run = await verify(["--session", SESSION, capture], langfuseEnv(server!.url, { publicKey: KEYS.publicKey, secretKey: "sk-lf-00000000-revoked" }));
    expect(run.code).toBe(2);
    expect(run.out).toBe("");
    expect(run.stderr).toBe(
      `claude-langfuse: verify: Langfuse at ${server!.url} refused the key pair (HTTP 401): LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY must be a key pair of the project the session was sent to (in its settings, API keys).\n`,
    );
    expect(run.stderr).not.toContain("sk-lf-");
    expect(server!.requests.map((r) => [r.operationId, r.status])).toEqual([
      ["health_health", 200],
      ["observations_getMany", 401],
    ]);
  });

  it("warns once about capture lines replay would skip, leaves them out and still exits 0", async () => {
    const clean = await standinCapture("clean.jsonl", 2);
    const lines = fs.readFileSync(clean, "utf8").split("\n");
    const damaged = path.join(scratch, "damaged.jsonl");
    // A line cut short and a line of terminal noise, as a capture taken from a pod's log can have.
    fs.writeFileSync(damaged, [...lines.slice(0, 3), '{"type":"assistant","message":{"id":', ...lines.slice(3, 7), "\u001b[2Kwaiting…", ...lines.slice(7)].join("\n"));
    await langfuseHolding("4.16.0", clean);
    const run = await verify(["--session", SESSION, damaged], langfuseEnv(server!.url));
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      `claude-langfuse: verify: left out of the comparison, as replay leaves them out: ${damaged}:4: not JSON; line skipped; ${damaged}:9: not JSON; line skipped\n`,
    );
    expect(run.out.endsWith(MATCHING_TABLE)).toBe(true);
  });

  it("takes the session the dry run names (AGENTIC_SESSION_NAME, else the Claude session id) when --session is not given", async () => {
    const capture = await standinCapture("named.jsonl", 1);
    await langfuseHolding("4.16.0", capture);
    const named = await verify([capture], { ...langfuseEnv(server!.url), AGENTIC_SESSION_NAME: SESSION });
    expect(named.code).toBe(0);
    expect(named.out.split("\n")[0]).toBe(`session ${SESSION} at ${server!.url} (Langfuse 4.16.0, v4 API)`);
    // Without the name, the Claude session id is the Langfuse session, which this Langfuse does not hold.
    const unnamed = await verify(["--timeout", "1", capture], langfuseEnv(server!.url));
    expect(unnamed.code).toBe(3);
    expect(unnamed.out.split("\n")[0]).toBe(`session ${CLAUDE_SESSION} at ${server!.url} (Langfuse 4.16.0, v4 API)`);
  });

  it("exits 3 naming the reason when Langfuse cannot be reached within --timeout", async () => {
    const capture = await standinCapture("unreachable.jsonl", 1);
    const url = await closedPort();
    const run = await verify(["--session", SESSION, "--timeout", "1.5", capture], langfuseEnv(url));
    expect(run.code).toBe(3);
    expect(run.out).toBe("");
    expect(run.stderr).toBe(`claude-langfuse: verify: the session's traces did not arrive within 1.5 s: Langfuse at ${url} could not be read (GET /api/public/health: the connection was refused).\n`);
  });

  it("exits 2 with the usage on bad arguments, and names what is missing or unusable", async () => {
    const capture = await standinCapture("usage-errors.jsonl", 1);
    const env = langfuseEnv("http://127.0.0.1:9");
    const cases: Array<[string[], Record<string, string>, string]> = [
      [[], env, "claude-langfuse: verify needs the capture of the session.\n"],
      [[capture, capture], env, "claude-langfuse: verify takes one capture.\n"],
      [["--since", "1h", capture], env, "claude-langfuse: unknown option --since.\n"],
      [["--timeout", "0", capture], env, 'claude-langfuse: --timeout is "0": give the seconds to wait, a number above 0 and at most 86400.\n'],
      [["--timeout", "soon", capture], env, 'claude-langfuse: --timeout is "soon": give the seconds to wait, a number above 0 and at most 86400.\n'],
      [["--session", SESSION, "--session", "other", capture], env, "claude-langfuse: --session is given twice.\n"],
      [["--session"], env, "claude-langfuse: --session needs a value.\n"],
    ];
    for (const [args, e, first] of cases) {
      const run = await verify(args, e);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr.startsWith(first), run.stderr).toBe(true);
      expect(run.stderr).toContain("Usage: claude-langfuse verify [--session <id>] [--timeout <seconds>] [--] <capture>");
      expect(run.out).toBe("");
    }
    const noKeys = await verify([capture], { LANGFUSE_HOST: "http://127.0.0.1:9" });
    expect([noKeys.code, noKeys.stderr]).toEqual([
      2,
      "claude-langfuse: verify: LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY are not set: verify reads the session from Langfuse with the project's key pair, as the session was sent.\n",
    ]);
    const missing = await verify([path.join(scratch, "no-such.jsonl")], env);
    expect([missing.code, missing.stderr]).toEqual([
      2,
      `claude-langfuse: verify: ${path.join(scratch, "no-such.jsonl")}: cannot be read: no such file\nclaude-langfuse: verify: ${path.join(scratch, "no-such.jsonl")}: nothing to compare.\n`,
    ]);
    const twoSessions = path.join(scratch, "two-sessions.jsonl");
    fs.writeFileSync(twoSessions, fs.readFileSync(capture, "utf8") + fs.readFileSync(capture, "utf8").replaceAll(CLAUDE_SESSION, "0e1d2c3b-4a59-4687-9a8b-7c6d5e4f3a21"));
    const ambiguous = await verify([twoSessions], env);
    expect([ambiguous.code, ambiguous.stderr]).toEqual([
      2,
      `claude-langfuse: verify: the capture holds 2 sessions (${CLAUDE_SESSION}, 0e1d2c3b-4a59-4687-9a8b-7c6d5e4f3a21): name the one to check with --session <id>.\n`,
    ]);
  });

  it("is one of the wrapper's own commands, never passed to the CLI, and listed in --help", async () => {
    const help = await runWrapper(["--help"]);
    expect(help.stdout.toString()).toContain("Usage: claude-langfuse verify [--session <id>] [--timeout <seconds>] [--] <capture>");
    const argvFile = path.join(scratch, "argv.json");
    const run = await verify([], { CLAUDE_LANGFUSE_CLI: STANDIN, STANDIN_ARGV_FILE: argvFile });
    expect(run.code).toBe(2);
    // Linked as `claude` (as the runner image links it), verify stays the wrapper's, like replay.
    const linked = path.join(scratch, "claude");
    fs.symlinkSync(BUNDLE, linked);
    const asClaude = await runWrapper(["verify"], { entry: [process.execPath, linked], env: { CLAUDE_LANGFUSE_CLI: STANDIN, STANDIN_ARGV_FILE: argvFile } });
    expect(asClaude.code).toBe(2);
    expect(asClaude.stderr).toContain("claude-langfuse: verify needs the capture of the session.");
    expect(fs.existsSync(argvFile)).toBe(false);
  });
});

describe.each(LANGFUSE_SPEC_VERSIONS)("the whole path on loopback, Langfuse %s", (version) => {
  it("a session traced by the wrapper around the stand-in CLI reaches Langfuse as its capture says", async () => {
    // What test/e2e/kind.sh does in a runner-like pod, here: the wrapper bundle exports to the
    // spec-checking server (the OTLP request held to the spec), then verify reads it back.
    const store = new LangfuseSessionStore(version);
    server = await startLangfuseSpecServer({ version, projectKeys: KEYS, operations: store.handlers() });
    const env = { ...langfuseEnv(server.url), AGENTIC_SESSION_NAME: SESSION, STANDIN_TURNS: "2" };
    const traced = await runWrapper(["exec", "--", process.execPath, STANDIN, "-p", "--output-format", "stream-json", "--verbose", "list the files"], { env, timeoutMs: 60_000 });
    expect([traced.code, traced.stderr]).toEqual([0, ""]);
    const capture = path.join(scratch, `traced-${version}.jsonl`);
    fs.writeFileSync(capture, traced.stdout);
    expect(store.observations).toHaveLength(10);
    const run = await verify([capture], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.out.endsWith(MATCHING_TABLE)).toBe(true);
    expect(server.requests.filter((r) => r.operationId === "opentelemetry_exportTraces").length).toBeGreaterThan(0);
  });
});

describe("verify's comparison (pure)", () => {
  const obs = (o: Partial<SessionObservation> & { type: string }): SessionObservation => ({ traceId: "t1", startTime: "2026-11-28T10:00:00.000Z", ...o });
  const gen = (messageId: string | undefined, model: string, output: number, startTime = "2026-11-28T10:00:00.000Z") =>
    obs({ type: "generation", name: "claude", messageId, model, startTime, usage: { input: 3, output, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 } });

  it("pairs generations by message id first, then by equal figures, then in order of start", () => {
    const expected = [gen("msg_1", "m", 5), gen(undefined, "m", 9, "2026-11-28T10:00:01.000Z"), gen(undefined, "m", 4, "2026-11-28T10:00:02.000Z")];
    const found = [gen(undefined, "m", 4, "2026-11-28T10:00:05.000Z"), gen("msg_1", "m", 6), gen(undefined, "m", 8, "2026-11-28T10:00:03.000Z")];
    const pairs = pairGenerations(expected, found).map((p) => [p.label, p.expected?.usage?.output, p.found?.usage?.output]);
    expect(pairs).toEqual([
      ["msg_1", 5, 6],
      ["claude", 4, 4],
      ["claude (unpaired 1)", 9, 8],
    ]);
  });

  it("counts a usage key Langfuse does not hold as 0, and ignores keys other than the four", () => {
    const expected = [obs({ type: "generation", model: "m", usage: { input: 1, output: 2, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } })];
    const found = [obs({ type: "generation", model: "m", usage: { input: 1, output: 2 } })];
    expect(compareSessions(expected, found).differences).toBe(0);
  });

  it("renders no generation table when every generation matches, and names each side when one is missing", () => {
    const matching = compareSessions([gen("a", "m", 1)], [gen("a", "m", 1)]);
    expect(renderComparison(matching)).not.toContain("cache write");
    const missing = compareSessions([gen("a", "m", 1), gen("b", "m", 2)], [gen("a", "m", 1)]);
    // observations, generation, input, output, cache read (cache creation is 0 on both sides), and generation b.
    expect(missing.differences).toBe(6);
    expect(renderComparison(missing)).toContain(["  b           capture   m                      3       2         100            0", "              langfuse  (not in Langfuse)"].join("\n"));
  });
});
