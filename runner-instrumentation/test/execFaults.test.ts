import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort, OtlpReceiver, type ReceiverMode } from "./otlpReceiver";
import { runDirect, runWrapper, STANDIN } from "./wrapperRun";

const KEYS = { LANGFUSE_PUBLIC_KEY: "pk-lf-fault-test", LANGFUSE_SECRET_KEY: "sk-lf-fault-secret-9876543210" };
const DEADLINE_MS = 1_000;
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

describe("with Langfuse failing, the CLI is unharmed", () => {
  const faults: Array<[string, ReceiverMode | "refused"]> = [
    ["refuses connections", "refused"],
    ["accepts and never answers", "hang"],
    ["answers 401", { status: 401 }],
    ["answers 500", { status: 500 }],
    ["answers after 3 s", { delayMs: 3_000 }],
  ];

  it.each(faults)("when Langfuse %s: same bytes, same exit code, out within the deadline, one line per fault kind, no secret", async (_, mode) => {
    const env = {
      ...KEYS,
      LANGFUSE_BASE_URL: await langfuse(mode),
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
    expect(new Set(ours).size).toBe(ours.length);
    expect(ours.length).toBeLessThanOrEqual(3);
    expect(wrapped.stderr).not.toContain(KEYS.LANGFUSE_SECRET_KEY);
    expect(wrapped.stderr).not.toContain(Buffer.from(`${KEYS.LANGFUSE_PUBLIC_KEY}:${KEYS.LANGFUSE_SECRET_KEY}`).toString("base64"));
    expect(wrapped.stderr.toLowerCase()).not.toContain("authorization");
  });

  it("with the default deadline (2 s) and Langfuse hanging, exits within 2 s + 2 s of the CLI", async () => {
    const env = { ...KEYS, LANGFUSE_BASE_URL: await langfuse("hang"), STANDIN_REPORT_EXIT: "1" };
    const wrapped = await runWrapper(["exec", "--", process.execPath, STANDIN], { env });
    expect(wrapped.code).toBe(0);
    expect(wrapped.exitDelayMs!).toBeLessThan(2_000 + 2_000);
    expect(wrapped.stderr).toMatch(/did not finish within \d+ ms/);
  });

  it("keeps what waits for an unreachable Langfuse bounded over a long session, and says once that it dropped some", async () => {
    // 2,500 turns of 5 observations: more than the exporter keeps while Langfuse does not answer.
    // The CLI lingers a moment after writing, as a real one does, so the tracer sees it all.
    const env = { ...KEYS, LANGFUSE_BASE_URL: await langfuse("hang"), LANGFUSE_FLUSH_TIMEOUT_MS: "1500", CLAUDE_LANGFUSE_MAX_QUEUED: "1000", STANDIN_TURNS: "2500", STANDIN_SLEEP_MS: "1500", STANDIN_REPORT_EXIT: "1" };
    const direct = await runDirect(env);
    const wrapped = await runWrapper(["exec", "--", process.execPath, STANDIN], { env, timeoutMs: 30_000 });
    expect(wrapped.code).toBe(0);
    expect(wrapped.stdout.equals(direct.stdout)).toBe(true);
    expect(wrapped.stderr.match(/dropped \d+ observations/g)).toHaveLength(1);
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
