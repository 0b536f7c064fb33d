/**
 * `npm run bench`: what the wrapper costs the runner, measured on this machine and printed beside
 * the targets of the issue. It asserts nothing (machines differ); a missed target is said so.
 * Everything runs against 127.0.0.1 and stops by itself.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closedPort, OtlpReceiver } from "../test/otlpReceiver";
import { recording } from "../test/recordingsPath";

const PACKAGE = path.resolve(__dirname, "..");
const STANDIN = path.join(PACKAGE, "test/fixtures/claude-standin.js");
const PEAK_RSS = path.join(__dirname, "reportPeakRss.cjs");
const KEYS = { LANGFUSE_PUBLIC_KEY: "pk-lf-bench", LANGFUSE_SECRET_KEY: "sk-lf-bench" };
const DEADLINE_MS = 2_000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "claude-langfuse-bench-"));
const bundle = path.join(tmp, "claude-langfuse.cjs");
const missed: string[] = [];

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  wallMs: number;
  /** CPU of the process and its children, from /proc (Linux), in ms; undefined elsewhere. */
  cpuMs?: number;
  endedNs: bigint;
}

/** CPU time of this process's reaped children so far (ms): /proc/self/stat fields 16 and 17. */
function childrenCpuMs(): number | undefined {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[13]) + Number(fields[14]);
    return (ticks * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** Linux's CPU pressure (share of time something waited for a CPU), as context for the figures. */
function cpuPressure(): string {
  try {
    const avg10 = /some avg10=([\d.]+)/.exec(fs.readFileSync("/proc/pressure/cpu", "utf8"))?.[1];
    return avg10 ? `CPU pressure ${avg10}%` : "";
  } catch {
    return "";
  }
}

function run(argv: string[], env: Record<string, string>, onLine?: (line: string, atNs: bigint) => void, stdoutFile?: string): Promise<Run> {
  const cpuBefore = childrenCpuMs();
  const started = process.hrtime.bigint();
  const out = stdoutFile ? fs.openSync(stdoutFile, "w") : undefined;
  const child = spawn(argv[0]!, argv.slice(1), { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", out ?? "pipe", "pipe"] });
  let stderr = "";
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    if (!onLine) return;
    const at = process.hrtime.bigint();
    partial += chunk.toString("utf8");
    let nl: number;
    while ((nl = partial.indexOf("\n")) !== -1) {
      onLine(partial.slice(0, nl), at);
      partial = partial.slice(nl + 1);
    }
  });
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      const endedNs = process.hrtime.bigint();
      clearTimeout(killer);
      if (out !== undefined) fs.closeSync(out);
      const cpuAfter = childrenCpuMs();
      resolve({ code, signal, stderr, wallMs: Number(endedNs - started) / 1e6, cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore, endedNs });
    });
  });
}

const wrapped = (args: string[]) => [process.execPath, bundle, "exec", "--", process.execPath, STANDIN, ...args];
const direct = [process.execPath, STANDIN];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (n: number, digits = 1) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function report(name: string, value: string, target: string, met: boolean | undefined): void {
  const verdict = met === undefined ? "" : met ? "  [met]" : "  [MISSED]";
  if (met === false) missed.push(name);
  console.log(`  ${name.padEnd(58)} ${value.padStart(16)}   target ${target}${verdict}`);
}

/** `count` lines of the recorded stream-json session, cycled, with fresh ids on every cycle. */
function recordedSession(count: number): string {
  const source = fs.readFileSync(recording("stream-json/trackgentic-stream.jsonl"), "utf8").split("\n").filter((l) => l.trim());
  const lines: string[] = [];
  for (let cycle = 0; lines.length < count; cycle++) {
    for (const line of source) {
      if (lines.length >= count) break;
      lines.push(line.replace(/"(msg_[A-Za-z0-9]+|call_[A-Za-z0-9]+|toolu_[A-Za-z0-9]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"/g, `"$1_c${cycle}"`));
    }
  }
  const file = path.join(tmp, `stream-${count}.jsonl`);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

async function cpuPerMessage(receiverUrl: string): Promise<void> {
  const sessions: Array<[string, Record<string, string>, number]> = [
    // A recorded session's lines: hooks, retries, thinking, tools with real outputs, results.
    ["recorded session cycled", { STANDIN_FILE: recordedSession(10_000) }, 10_000],
    // The worst case: every other line a new model call, about one observation per message.
    ["synthetic, ~1 observation/message", { STANDIN_TURNS: "2000" }, 10_001],
  ];
  for (const [label, env, messages] of sessions) {
    const samples = { direct: [] as number[], untraced: [] as number[], traced: [] as number[] };
    for (let i = 0; i < 3; i++) {
      samples.direct.push((await run(direct, env)).cpuMs ?? NaN);
      samples.untraced.push((await run(wrapped([]), { ...env, LANGFUSE_ENABLED: "false" })).cpuMs ?? NaN);
      samples.traced.push((await run(wrapped([]), { ...env, ...KEYS, LANGFUSE_BASE_URL: receiverUrl })).cpuMs ?? NaN);
    }
    const d = median(samples.direct);
    const u = median(samples.untraced);
    const t = median(samples.traced);
    if (Number.isNaN(d)) {
      report("CPU per message (no /proc on this system)", "n/a", "<= 50 us", undefined);
      return;
    }
    const perMessage = ((t - u) * 1000) / messages;
    report(`CPU per message, traced + exported: ${label}`, `${fmt(perMessage)} us`, "<= 50 us", perMessage <= 50);
    console.log(`    ${fmt(messages, 0)} messages, medians of 3 runs: CLI alone ${fmt(d, 0)} ms CPU, wrapper untraced ${fmt(u, 0)} ms, traced ${fmt(t, 0)} ms`);
  }
}

/** The floor under the figures above: the Langfuse SDK alone, exporting ready-made observations. */
async function sdkFloor(): Promise<void> {
  const sink = await startSink();
  const { LangfuseExporter } = await import("../src/exporter");
  const { createMapper } = await import("../src/mapper");
  const { readCapture } = await import("../src/replay");
  const capture = await readCapture(recordedSession(10_000), () => undefined);
  const mapper = createMapper({ turnBoundary: "result", assistantLinesHaveFinalUsage: false });
  const events = capture.inputs.flatMap((input) => mapper.push(input)).concat(mapper.end());
  const exporter = new LangfuseExporter({ publicKey: KEYS.LANGFUSE_PUBLIC_KEY, secretKey: KEYS.LANGFUSE_SECRET_KEY, baseUrl: sink.url, maxBacklog: events.length });
  const before = process.cpuUsage();
  exporter.emit(events);
  await exporter.shutdown(60_000);
  const used = process.cpuUsage(before);
  sink.stop();
  const perObservation = (used.user + used.system) / events.length;
  report(`  of which the Langfuse SDK's export, per observation (${fmt(events.length, 0)})`, `${fmt(perObservation)} us`, "(for information)", undefined);
}

/** A loopback sink in a separate process; stopped by closing its stdin. */
async function startSink(): Promise<{ url: string; stop: () => void }> {
  const sink = spawn(process.execPath, [path.join(__dirname, "otlpSink.cjs")], { stdio: ["pipe", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve) => sink.stdout.once("data", (d: Buffer) => resolve(d.toString().trim())));
  return { url, stop: () => sink.stdin.end() };
}

async function lineLatency(): Promise<void> {
  // The receiver runs in its own process: in this one, decoding exports would delay the reading
  // of lines, and that delay would be counted against the wrapper.
  const sink = await startSink();
  const env = { STANDIN_PACED_LINES: "2000", STANDIN_RATE: "1000" };
  const latencies = async (argv: string[], extra: Record<string, string>) => {
    const xs: number[] = [];
    await run(argv, { ...env, ...extra }, (line, at) => {
      const m = /"sent_ns":"(\d+)"/.exec(line);
      if (m) xs.push(Number(at - BigInt(m[1]!)) / 1e6);
    });
    return xs;
  };
  // Alternating runs, so that load from elsewhere on the machine falls on both sides alike.
  const pairs: Array<{ base: number[]; through: number[] }> = [];
  for (let i = 0; i < 3; i++) {
    const base = await latencies(direct, {});
    const through = await latencies(wrapped([]), { ...KEYS, LANGFUSE_BASE_URL: sink.url });
    pairs.push({ base, through });
  }
  sink.stop();
  const added = (p: number) => median(pairs.map(({ base, through }) => percentile(through, p) - percentile(base, p)));
  report("added latency per stdout line at 1,000 lines/s, p50", `${fmt(added(50), 3)} ms`, "(for information)", undefined);
  report("added latency per stdout line at 1,000 lines/s, p99", `${fmt(added(99), 3)} ms`, "p99 <= 1 ms", added(99) <= 1);
  for (const { base, through } of pairs) {
    console.log(`    ${through.length} lines: CLI alone p50 ${fmt(percentile(base, 50), 3)} / p99 ${fmt(percentile(base, 99), 3)} ms, through the wrapper p50 ${fmt(percentile(through, 50), 3)} / p99 ${fmt(percentile(through, 99), 3)} ms`);
  }
}

async function exitDelay(label: string, baseUrl: string): Promise<void> {
  const r = await run(wrapped([]), { ...KEYS, LANGFUSE_BASE_URL: baseUrl, STANDIN_TURNS: "20", STANDIN_REPORT_EXIT: "1" });
  const m = /standin-exit-ns=(\d+)/.exec(r.stderr);
  const delay = m ? Number(r.endedNs - BigInt(m[1]!)) / 1e6 : NaN;
  report(`exit delay after the CLI, Langfuse ${label}`, `${fmt(delay, 0)} ms`, `<= ${DEADLINE_MS + 250} ms (deadline + 250)`, delay <= DEADLINE_MS + 250);
}

/** A transcript of `count` lines: a recorded one, cycled, with fresh ids on every cycle. */
function bigTranscript(count: number): string {
  const source = fs.readFileSync(recording("transcripts/claude-code-viewer-fe5e1c67.jsonl"), "utf8").split("\n").filter((l) => l.trim());
  const file = path.join(tmp, `transcript-${count}.jsonl`);
  const fd = fs.openSync(file, "w");
  let written = 0;
  for (let cycle = 0; written < count; cycle++) {
    const suffix = `_c${cycle}`;
    const batch: string[] = [];
    for (const line of source) {
      if (written >= count) break;
      // Ids of messages, lines and tool calls get the cycle's suffix, so no two cycles share one.
      batch.push(line.replace(/"(msg_[A-Za-z0-9]+|toolu_[A-Za-z0-9]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"/g, `"$1${suffix}"`));
      written++;
    }
    fs.writeSync(fd, `${batch.join("\n")}\n`);
  }
  fs.closeSync(fd);
  return file;
}

async function replayFigures(): Promise<void> {
  const count = 100_000;
  const file = bigTranscript(count);
  const size = fs.statSync(file).size;
  const r = await run([process.execPath, "-r", PEAK_RSS, bundle, "replay", "--dry-run", file], {}, undefined, "/dev/null");
  const peakKb = Number(/peak-rss-kb=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
  const ok = r.code === 0;
  if (!ok) console.log(`    replay exited ${r.code ?? r.signal}: ${r.stderr.slice(0, 500)}`);
  report(`replay --dry-run throughput (${fmt(count, 0)}-message transcript)`, `${fmt(count / (r.wallMs / 1000), 0)} msg/s`, "(for information)", undefined);
  report(`peak memory of that replay (${fmt(size / 1e6, 0)} MB file)`, `${fmt(peakKb / 1024, 0)} MB`, "<= 200 MB", ok && peakKb / 1024 <= 200);
}

async function wrapperMemoryWithLangfuseDown(): Promise<void> {
  const hang = new OtlpReceiver("hang");
  const url = await hang.start();
  const r = await run([process.execPath, "-r", PEAK_RSS, bundle, "exec", "--", process.execPath, STANDIN], { ...KEYS, LANGFUSE_BASE_URL: url, STANDIN_TURNS: "6000" });
  await hang.stop();
  const peakKb = Number(/peak-rss-kb=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
  report("wrapper peak memory, 30,001 messages, Langfuse hanging", `${fmt(peakKb / 1024, 0)} MB`, "bounded (queue capped)", undefined);
}

async function main(): Promise<void> {
  const built = spawnSync("npm", ["run", "bundle"], { cwd: PACKAGE, encoding: "utf8" });
  if (built.status !== 0) throw new Error(`npm run bundle failed: ${built.stderr}`);
  fs.copyFileSync(path.join(PACKAGE, "dist/claude-langfuse.cjs"), bundle);
  const cpus = os.cpus();
  console.log(`claude-langfuse wrapper benchmark: the bundle on node ${process.version}, ${cpus.length} CPUs (${cpus[0]?.model ?? "?"}), load ${os.loadavg()[0]!.toFixed(2)}${cpuPressure() ? `, ${cpuPressure()}` : ""}`);
  const receiver = new OtlpReceiver();
  const url = await receiver.start();
  // BENCH_ONLY=cpu,latency,exit,replay,memory runs some parts (when working on one figure).
  const only = process.env.BENCH_ONLY?.split(",");
  const part = (name: string) => !only || only.includes(name);
  try {
    if (part("cpu")) {
      await cpuPerMessage(url);
      await sdkFloor();
    }
    if (part("latency")) await lineLatency();
    if (part("exit")) {
      await exitDelay("refusing connections", await closedPort());
      const hang = new OtlpReceiver("hang");
      await exitDelay("hanging (accepts, never answers)", await hang.start());
      await hang.stop();
    }
    if (part("replay")) await replayFigures();
    if (part("memory")) await wrapperMemoryWithLangfuseDown();
  } finally {
    await receiver.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(missed.length === 0 ? "All targets met." : `Targets missed on this machine: ${missed.join("; ")}.`);
  const pressure = cpuPressure();
  if (pressure) console.log(`(${pressure} at the end: figures depend on the machine and on what else runs on it.)`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`benchmark failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
