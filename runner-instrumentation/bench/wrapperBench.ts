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

async function cpuPerMessage(receiverUrl: string): Promise<void> {
  // 2,000 turns of 5 lines and the init: a 10,001-message session.
  const env = { STANDIN_TURNS: "2000" };
  const messages = 10_001;
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
    report("CPU per message (no /proc here)", "n/a", "<= 50 us", undefined);
    return;
  }
  const perMessage = ((t - u) * 1000) / messages;
  const withStartup = ((t - d) * 1000) / messages;
  report("CPU per message, traced + exported (10,001 messages)", `${fmt(perMessage)} us`, "<= 50 us", perMessage <= 50);
  report("  same, including the wrapper's start (node + bundle)", `${fmt(withStartup)} us`, "(for information)", undefined);
  console.log(`    medians of 3: CLI alone ${fmt(d, 0)} ms CPU, wrapper untraced ${fmt(u, 0)} ms, wrapper traced ${fmt(t, 0)} ms`);
}

async function lineLatency(receiverUrl: string): Promise<void> {
  const env = { STANDIN_PACED_LINES: "3000", STANDIN_RATE: "1000" };
  const latencies = async (argv: string[], extra: Record<string, string>) => {
    const xs: number[] = [];
    await run(argv, { ...env, ...extra }, (line, at) => {
      const m = /"sent_ns":"(\d+)"/.exec(line);
      if (m) xs.push(Number(at - BigInt(m[1]!)) / 1e6);
    });
    return xs;
  };
  const base = await latencies(direct, {});
  const through = await latencies(wrapped([]), { ...KEYS, LANGFUSE_BASE_URL: receiverUrl });
  const p50 = percentile(through, 50) - percentile(base, 50);
  const p99 = percentile(through, 99) - percentile(base, 99);
  report("added latency per stdout line at 1,000 lines/s, p50", `${fmt(p50, 3)} ms`, "(for information)", undefined);
  report("added latency per stdout line at 1,000 lines/s, p99", `${fmt(p99, 3)} ms`, "p99 <= 1 ms", p99 <= 1);
  console.log(
    `    ${through.length} lines; CLI alone p50 ${fmt(percentile(base, 50), 3)} / p99 ${fmt(percentile(base, 99), 3)} ms, through the wrapper p50 ${fmt(percentile(through, 50), 3)} / p99 ${fmt(percentile(through, 99), 3)} ms`,
  );
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
  console.log(`claude-langfuse wrapper benchmark (the bundle, node ${process.version}, ${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? "?"})`);
  const receiver = new OtlpReceiver();
  const url = await receiver.start();
  try {
    await cpuPerMessage(url);
    await lineLatency(url);
    await exitDelay("refusing connections", await closedPort());
    const hang = new OtlpReceiver("hang");
    await exitDelay("hanging (accepts, never answers)", await hang.start());
    await hang.stop();
    await replayFigures();
    await wrapperMemoryWithLangfuseDown();
  } finally {
    await receiver.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(missed.length === 0 ? "All targets met." : `Targets missed on this machine: ${missed.join("; ")}.`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`benchmark failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
