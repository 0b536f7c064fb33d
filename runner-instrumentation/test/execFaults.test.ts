import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort, OtlpReceiver, type ReceiverMode } from "./otlpReceiver";
import { runDirect, runWrapper, STANDIN } from "./wrapperRun";

const KEYS = { LANGFUSE_PUBLIC_KEY: "pk-lf-fault-test", LANGFUSE_SECRET_KEY: "sk-lf-fault-secret-9876543210" };
/** Long enough for a tracing thread on a machine whose cores are taken to try Langfuse at least once. */
const DEADLINE_MS = 2_500;
/** The bound for tests: the deadline plus 2 s for a noisy machine. */
const BOUND_MS = DEADLINE_MS + 2_000;

const receivers: OtlpReceiver[] = [];
afterAll(() => Promise.all(receivers.map((r) => r.stop())));

async function langfuse(mode: ReceiverMode | "refused"): Promise<string> {
  if (mode === "refused") return closedPort();
  const r = new OtlpReceiver(mode);
  receivers.push(r);
  return r.start();
}

describe("with Langfuse failing, the CLI is unharmed and the loss is said once", () => {
  const faults: Array<[string, ReceiverMode | "refused", RegExp]> = [
    ["refuses connections", "refused", /: 15 still waiting when the deadline passed \(retrying: the connection was refused\)\.$|: 15 failed: the connection was refused\.$/],
    ["accepts and never answers", "hang", /: \d+ still waiting when the deadline passed\.$/],
    ["answers 401", { status: 401 }, /failed: Langfuse answered HTTP 401/],
    ["answers 500", { status: 500 }, /failed: Langfuse answered HTTP 500/],
    ["answers 503 (which is retried)", { status: 503 }, /still waiting when the deadline passed \(retrying: Langfuse answered HTTP 503\)/],
    ["answers after 3 s", { delayMs: 3_000 }, /: \d+ still waiting when the deadline passed\.$/],
  ];

  it.each(faults)("when Langfuse %s: same bytes, same exit code, out within the deadline, one report with counts, deadline and reason, no secret", async (_, mode, reason) => {
    const url = await langfuse(mode);
    const env = {
      ...KEYS,
      LANGFUSE_BASE_URL: url,
      LANGFUSE_FLUSH_TIMEOUT_MS: String(DEADLINE_MS),
      STANDIN_TURNS: "3",
      STANDIN_EXIT: "7",
      STANDIN_REPORT_EXIT: "1",
    };
    const direct = await runDirect(env);
    const wrapped = await runWrapper(["exec", "--", process.execPath, STANDIN], { env });
    expect(wrapped.code).toBe(7);
    expect(wrapped.stdout.equals(direct.stdout)).toBe(true);
    expect(wrapped.exitDelayMs).toBeDefined();
    expect(wrapped.exitDelayMs!).toBeLessThan(BOUND_MS);
    const ours = wrapped.stderr.split("\n").filter((l) => l.startsWith("claude-langfuse:"));
    // Three turns of five observations each; the deadline is the one configured, from the CLI's exit.
    expect(ours).toEqual([expect.stringMatching(new RegExp(`^claude-langfuse: langfuse: 15 of 15 spans not sent to ${url} \\(deadline 2,500 ms after the CLI exited\\): `))]);
    expect(ours[0]).toMatch(reason);
    expect(wrapped.stderr).not.toContain(KEYS.LANGFUSE_SECRET_KEY);
    expect(wrapped.stderr).not.toContain(Buffer.from(`${KEYS.LANGFUSE_PUBLIC_KEY}:${KEYS.LANGFUSE_SECRET_KEY}`).toString("base64"));
    expect(wrapped.stderr.toLowerCase()).not.toContain("authorization");
  });

  it("with the default deadline (2 s) and Langfuse hanging, exits within 2 s + 2 s of the CLI and says 2,000 ms", async () => {
    const env = { ...KEYS, LANGFUSE_BASE_URL: await langfuse("hang"), STANDIN_REPORT_EXIT: "1" };
    const wrapped = await runWrapper(["exec", "--", process.execPath, STANDIN], { env });
    expect(wrapped.code).toBe(0);
    expect(wrapped.exitDelayMs!).toBeLessThan(2_000 + 2_000);
    expect(wrapped.stderr).toMatch(/^claude-langfuse: langfuse: 5 of 5 spans not sent to http:\/\/127\.0\.0\.1:\d+ \(deadline 2,000 ms after the CLI exited\): 5 still waiting when the deadline passed\.$/m);
  });

  it("credentials in LANGFUSE_HOST and the secret key never reach stderr: the host is shown without them", async () => {
    const port = new URL(await langfuse("refused")).port;
    const env = {
      LANGFUSE_PUBLIC_KEY: KEYS.LANGFUSE_PUBLIC_KEY,
      LANGFUSE_SECRET_KEY: "sk-lf-0f3c9e2a-7b41-4d8e-9a55-3c1d2e4f5a6b",
      LANGFUSE_HOST: `http://admin:UrlPassw0rd@127.0.0.1:${port}/?token=q-s3cret`,
      LANGFUSE_FLUSH_TIMEOUT_MS: "2500",
      STANDIN_REPORT_EXIT: "1",
    };
    const wrapped = await runWrapper(["exec", "--", process.execPath, STANDIN], { env });
    expect(wrapped.code).toBe(0);
    for (const secret of ["UrlPassw0rd", "admin:", "q-s3cret", env.LANGFUSE_SECRET_KEY, "0f3c9e2a"]) expect(wrapped.stderr).not.toContain(secret);
    const ours = wrapped.stderr.split("\n").filter((l) => l.startsWith("claude-langfuse:"));
    expect(ours).toEqual([
      "claude-langfuse: langfuse: LANGFUSE_HOST carries a user name or password; they are not used (Langfuse takes LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY) and were removed.",
      // The report, whichever it is on this machine: the spans not sent, or a tracing thread not ready in time.
      expect.stringMatching(new RegExp(`^claude-langfuse: langfuse: .* to http://127\\.0\\.0\\.1:${port}[ .].*2,500 ms after the CLI exited`)),
    ]);
  });

  it("told to stop while it waits for Langfuse (the SDK's SIGTERM after its grace period), stops waiting and still says what is lost", async () => {
    const env = { ...KEYS, LANGFUSE_BASE_URL: await langfuse("hang"), LANGFUSE_FLUSH_TIMEOUT_MS: "60000", STANDIN_REPORT_EXIT: "1" };
    const started = Date.now();
    const wrapped = await runWrapper(["exec", "--", process.execPath, STANDIN], {
      env,
      whenStdoutHas: '"type":"result"',
      // The stand-in exits right after its result; a second signal covers a CLI slow to exit
      // on a busy machine (the first then went to the CLI).
      onReady: (pid) => {
        for (const delay of [1_000, 3_000]) setTimeout(() => { try { process.kill(pid, "SIGTERM"); } catch { /* gone */ } }, delay);
      },
      timeoutMs: 30_000,
    });
    expect(Date.now() - started).toBeLessThan(20_000);
    const ours = wrapped.stderr.split("\n").filter((l) => l.startsWith("claude-langfuse:"));
    expect(ours).toEqual([expect.stringMatching(/^claude-langfuse: langfuse: 5 of 5 spans not sent to http:\/\/127\.0\.0\.1:\d+ \(deadline 60,000 ms after the CLI exited; cut short by SIGTERM\): 5 still waiting when the deadline passed\.$/)]);
  });

  it("a tracing thread not ready by the deadline: the wrapper still exits on time and says how much output went untraced", async () => {
    const stall = path.resolve(__dirname, "fixtures/stall-worker-threads.cjs");
    const url = await langfuse({ status: 200 });
    const env = { ...KEYS, LANGFUSE_BASE_URL: url, LANGFUSE_FLUSH_TIMEOUT_MS: "500", STANDIN_REPORT_EXIT: "1", NODE_OPTIONS: `--require ${stall}`, STALL_WORKER_MS: "4000" };
    const direct = await runDirect(env);
    const wrapped = await runWrapper(["exec", "--", process.execPath, STANDIN], { env });
    expect(wrapped.code).toBe(0);
    expect(wrapped.stdout.equals(direct.stdout)).toBe(true);
    expect(wrapped.exitDelayMs!).toBeLessThan(500 + 2_000);
    const lines = direct.stdout.toString("utf8").split("\n").length - 1;
    const ours = wrapped.stderr.split("\n").filter((l) => l.startsWith("claude-langfuse:"));
    expect(ours).toEqual([
      `claude-langfuse: langfuse: the tracing thread was not ready by the deadline (500 ms after the CLI exited): ${lines} lines (${direct.stdout.length.toLocaleString("en")} bytes) ` +
        `of the CLI's output were never traced, so nothing of this session was sent to ${url}.`,
    ]);
  });

  it("keeps what waits for an unreachable Langfuse bounded over a long session, and says once what it dropped", async () => {
    // 2,500 turns of 5 observations: more than the exporter keeps while Langfuse does not answer.
    // The CLI lingers a moment after writing, as a real one does, so the tracer sees it all.
    const env = { ...KEYS, LANGFUSE_BASE_URL: await langfuse("hang"), LANGFUSE_FLUSH_TIMEOUT_MS: "1500", CLAUDE_LANGFUSE_MAX_QUEUED: "1000", STANDIN_TURNS: "2500", STANDIN_SLEEP_MS: "1500", STANDIN_REPORT_EXIT: "1" };
    const direct = await runDirect(env);
    const wrapped = await runWrapper(["exec", "--", process.execPath, STANDIN], { env, timeoutMs: 30_000 });
    expect(wrapped.code).toBe(0);
    expect(wrapped.stdout.equals(direct.stdout)).toBe(true);
    const ours = wrapped.stderr.split("\n").filter((l) => l.startsWith("claude-langfuse:"));
    const report = /^claude-langfuse: langfuse: ([\d,]+) of ([\d,]+) spans not sent .*: ([\d,]+) still waiting when the deadline passed, ([\d,]+) dropped because more than 1,000 were waiting \(the queue was full: CLAUDE_LANGFUSE_MAX_QUEUED\)\.$/;
    const reports = ours.filter((l) => report.test(l));
    expect(reports, ours.join("\n")).toHaveLength(1);
    const [unsent, handed, late, dropped] = report.exec(reports[0]!)!.slice(1).map((n) => Number(n.replace(/,/g, "")));
    expect(unsent).toBe(handed);
    expect(late! + dropped!).toBe(handed);
    expect(late!).toBeLessThanOrEqual(1_000 + 1_500);
    // On a machine whose cores are taken, the tracer may not parse every line before the deadline:
    // then it says so, once, and traced fewer.
    const others = ours.filter((l) => !report.test(l));
    expect(others).toEqual(handed === 12_500 ? [] : ["claude-langfuse: the tracer fell behind the CLI's output; some lines were passed through untraced."]);
    expect(wrapped.exitDelayMs!).toBeLessThan(1_500 + 2_000);
  }, 40_000);
});

describe("signals", () => {
  const okReceiver = new OtlpReceiver();
  let baseUrl = "";
  beforeAll(async () => {
    receivers.push(okReceiver);
    baseUrl = await okReceiver.start();
  });

  async function interrupted(signal: NodeJS.Signals, env: Record<string, string>) {
    const session = `signal-${signal}-${Math.random().toString(16).slice(2)}`;
    const run = await runWrapper(["exec", "--", process.execPath, STANDIN], {
      // Langfuse answers here, so the wrapper exits as soon as the trace is out; the deadline only
      // has to outlast a tracing thread that starts slowly on a busy machine.
      env: { ...KEYS, LANGFUSE_BASE_URL: baseUrl, AGENTIC_SESSION_NAME: session, LANGFUSE_FLUSH_TIMEOUT_MS: "20000", STANDIN_WAIT: "signal", ...env },
      whenStdoutHas: "msg_standin_1_b",
      onReady: (pid) => setTimeout(() => process.kill(pid, signal), 50),
    });
    return { run, spans: okReceiver.spans().filter((s) => s.attributes["session.id"] === session) };
  }

  it("SIGTERM reaches the CLI; when the CLI dies by it, so does the wrapper, after ending the open trace as interrupted", async () => {
    const { run, spans } = await interrupted("SIGTERM", { STANDIN_TURNS: "1", STANDIN_PARTIAL: "1" });
    expect(run.signal).toBe("SIGTERM");
    const root = spans.find((s) => s.parentSpanId === undefined && s.attributes["langfuse.observation.status_message"] === "interrupted");
    expect(root?.attributes["langfuse.observation.level"]).toBe("ERROR");
  });

  it("SIGINT reaches the CLI, which exits 130 on it; the wrapper exits 130", async () => {
    const { run, spans } = await interrupted("SIGINT", { STANDIN_HANDLE: "SIGINT", STANDIN_SIGNAL_EXIT: "130", STANDIN_PARTIAL: "1" });
    expect(run.code).toBe(130);
    expect(run.stdout.toString()).toContain('"signal":"SIGINT"');
    expect(spans.find((s) => s.parentSpanId === undefined)?.attributes["langfuse.observation.status_message"]).toBe("interrupted");
  });

  it("SIGHUP is forwarded too", async () => {
    const { run } = await interrupted("SIGHUP", { STANDIN_HANDLE: "SIGHUP", STANDIN_SIGNAL_EXIT: "0" });
    expect(run.code).toBe(0);
    expect(run.stdout.toString()).toContain('"signal":"SIGHUP"');
  });

  it("a CLI killed by a signal of its own makes the wrapper die by that signal", async () => {
    const run = await runWrapper(["exec", "--", process.execPath, STANDIN], { env: { STANDIN_SELF_SIGNAL: "SIGKILL" } });
    expect(run.signal).toBe("SIGKILL");
    const term = await runWrapper(["exec", "--", process.execPath, STANDIN], { env: { ...KEYS, LANGFUSE_BASE_URL: await langfuse("refused"), STANDIN_SELF_SIGNAL: "SIGTERM" } });
    expect(term.signal).toBe("SIGTERM");
  });

  it("a CLI that cannot be started is reported and gives 127", async () => {
    const run = await runWrapper(["exec", "--", "/nonexistent/claude"], { env: {} });
    expect(run.code).toBe(127);
    expect(run.stderr).toMatch(/^claude-langfuse: cannot start \/nonexistent\/claude/m);
  });
});
