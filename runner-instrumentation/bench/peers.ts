/**
 * The same Claude Agent SDK stream traced by this package's library entry and by its peers, each
 * tracer in a process of its own and its receiver in another, rounds alternated. Part of
 * `npm run bench`.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";

const PACKAGE = path.resolve(__dirname, "..");
/** Inside the package's node_modules, so that the bundled runner finds the tracers as installed. */
const RUNNER = path.join(PACKAGE, "node_modules/.bench/peerTracer.cjs");
const RECEIVER = path.join(__dirname, "peerReceiver.cjs");

export const PEERS = ["this-package", "langsmith", "openinference"] as const;
const LABELS: Record<string, string> = {
  "this-package": "this package (traceSession)",
  langsmith: "LangSmith wrapClaudeAgentSDK",
  openinference: "OpenInference Claude Agent SDK",
};

interface Counts {
  requests: number;
  bytes: number;
  spans: number;
  runs: number;
}
interface PeerRun {
  cpuMs: number;
  peakRssMb: number;
  messages: number;
  counts: Counts;
}

export interface PeerBenchOptions {
  /** The SDK stream: one message per line. */
  stream: string;
  rounds: number;
  /** Rounds that include LangSmith: its cost grows with the square of the stream, minutes a round here. */
  langsmithRounds: number;
  report: (name: string, value: string, target: string, met: boolean | undefined) => void;
  fmt: (n: number, digits?: number) => string;
}

function buildRunner(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  // This package's sources compiled in; every installed package loaded as a user's program would load it.
  esbuild.buildSync({ entryPoints: [path.join(__dirname, "peerTracer.ts")], bundle: true, packages: "external", platform: "node", target: "node20", format: "cjs", outfile: RUNNER, logLevel: "silent" });
}

async function once(tracer: string, stream: string): Promise<PeerRun> {
  const receiver = spawn(process.execPath, [RECEIVER], { stdio: ["pipe", "pipe", "inherit"] });
  try {
    const url = await new Promise<string>((resolve) => receiver.stdout.once("data", (d: Buffer) => resolve(d.toString("utf8").trim())));
    const child = spawn(process.execPath, [RUNNER, tracer, stream, url], { env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (err += d.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    if (code !== 0) throw new Error(`${tracer} exited ${code}: ${err.slice(0, 800)}`);
    const counts = (await (await fetch(`${url}/_counts`)).json()) as Counts;
    return { ...(JSON.parse(out.trim().split("\n").pop()!) as Omit<PeerRun, "counts">), counts };
  } finally {
    receiver.stdin.end();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function peerComparison(o: PeerBenchOptions): Promise<void> {
  buildRunner();
  const runs: Record<string, PeerRun[]> = {};
  for (let round = 0; round < o.rounds; round++) {
    for (const tracer of ["none", ...PEERS]) {
      if (tracer === "langsmith" && round >= o.langsmithRounds) continue;
      (runs[tracer] ??= []).push(await once(tracer, o.stream));
    }
  }
  const { fmt } = o;
  const baseline = median(runs.none!.map((r) => r.cpuMs));
  const messages = runs.none![0]!.messages;
  console.log(`  ${fmt(messages, 0)} messages of the SDK stream, medians of ${o.rounds} alternating rounds (LangSmith in the first ${o.langsmithRounds}); CPU from loading the tracer to the end of its flush, minus the stream consumed untraced (${fmt(baseline, 0)} ms)`);
  console.log(`  ${"tracer".padEnd(34)} ${"CPU/message".padStart(12)} ${"spans or runs".padStart(14)} ${"CPU/span".padStart(10)} ${"bytes/message".padStart(14)} ${"peak RSS".padStart(9)}`);
  const perMessage: Record<string, number> = {};
  for (const tracer of PEERS) {
    const rs = runs[tracer]!;
    const cpu = median(rs.map((r) => r.cpuMs)) - baseline;
    const items = median(rs.map((r) => r.counts.spans + r.counts.runs));
    perMessage[tracer] = (cpu * 1000) / messages;
    console.log(
      `  ${LABELS[tracer]!.padEnd(34)} ${`${fmt(perMessage[tracer]!)} us`.padStart(12)} ${fmt(items, 0).padStart(14)} ${`${fmt((cpu * 1000) / items)} us`.padStart(10)} ${fmt(median(rs.map((r) => r.counts.bytes)) / messages, 0).padStart(14)} ${`${fmt(median(rs.map((r) => r.peakRssMb)), 0)} MB`.padStart(9)}`,
    );
  }
  console.log(`  ${"(the stream consumed untraced)".padEnd(34)} ${"".padStart(12)} ${"".padStart(14)} ${"".padStart(10)} ${"".padStart(14)} ${`${fmt(median(runs.none!.map((r) => r.peakRssMb)), 0)} MB`.padStart(9)}`);
  const ours = perMessage["this-package"]!;
  const cheapestPeer = Math.min(...PEERS.filter((p) => p !== "this-package").map((p) => perMessage[p]!));
  o.report("CPU per message, this package vs every peer", `${fmt(ours)} us`, `below ${fmt(cheapestPeer)} us`, ours < cheapestPeer);
  o.report("CPU per message, this package", `${fmt(ours)} us`, "<= 50 us", ours <= 50);
}
