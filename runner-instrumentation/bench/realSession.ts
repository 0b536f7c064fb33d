/**
 * What the wrapper adds to a real Claude Code session: the CLI from node_modules against the
 * Messages API stand-in (a process of its own, answering at once), run directly and through the
 * shipped bundle, alternating, and the medians compared. Part of `npm run bench`.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { findRealCli, scratchDirs, cliEnvironment, ALLOWED_TOOLS } from "../test/realCli";
import { say, useTool, type ScriptStep } from "../test/messagesApi";

const PACKAGE = path.resolve(__dirname, "..");
const TSX = require.resolve("tsx/cli");
/** The least a Node.js wrapper can do (a pipe, no tracing): the floor printed beside the wrapper's figures. */
export const NODE_PASS_THROUGH = path.join(__dirname, "nodePassThrough.cjs");

export interface SessionBenchOptions {
  /** The bundle under test. */
  bundle: string;
  /** A loopback Langfuse (its own process). */
  langfuseUrl: string;
  /** Scratch directory for timings files. */
  tmp: string;
  keys: Record<string, string>;
  rounds: number;
  report: (name: string, value: string, target: string, met: boolean | undefined) => void;
  fmt: (n: number, digits?: number) => string;
}

/** One process tree's run: wall time and CPU of the tree (this process's reaped children, /proc). */
interface TreeRun {
  wallMs: number;
  cpuMs: number;
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * CPU time of this process's reaped children so far (ms): /proc/self/stat fields 16 and 17, which
 * include what each child counted of its own reaped children (the wrapper's include the CLI's).
 */
export function reapedChildrenCpuMs(): number {
  const stat = fs.readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

function runTree(argv: string[], env: Record<string, string>, cwd: string): Promise<TreeRun> {
  const cpuBefore = reapedChildrenCpuMs();
  const started = process.hrtime.bigint();
  const child = spawn(argv[0]!, argv.slice(1), { env: { PATH: process.env.PATH ?? "", ...env }, cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const killer = setTimeout(() => child.kill("SIGKILL"), 180_000);
  return new Promise((resolve) => {
    child.on("close", (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      clearTimeout(killer);
      resolve({ wallMs, cpuMs: reapedChildrenCpuMs() - cpuBefore, stdout, stderr, code });
    });
  });
}

/** The stand-in in a process of its own; the script is replaced before each run. */
async function startStandIn(): Promise<{ url: string; script(steps: ScriptStep[]): Promise<void>; stop(): void }> {
  const child = spawn(process.execPath, [TSX, path.join(PACKAGE, "test/messagesApiServer.ts")], { stdio: ["pipe", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once("data", (d: Buffer) => resolve((JSON.parse(d.toString("utf8")) as { url: string }).url));
    child.once("exit", () => reject(new Error("the Messages API stand-in did not start")));
  });
  return {
    url,
    async script(steps) {
      const res = await fetch(`${url}/_standin/script`, { method: "PUT", body: JSON.stringify(steps) });
      await res.arrayBuffer();
    },
    stop: () => child.stdin.end(),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The least any Node.js wrapper pays: a fresh node to its first line (wall, CPU), and an empty Worker thread's CPU. */
async function nodeFloors(tmp: string, rounds: number): Promise<{ firstLineWallMs: number; nodeCpuMs: number; workerCpuMs: number }> {
  const firstLine = path.join(tmp, "first-line.cjs");
  fs.writeFileSync(firstLine, 'process.stdout.write(String(process.hrtime.bigint()));\n');
  const worker = path.join(tmp, "empty-worker.cjs");
  fs.writeFileSync(worker, 'const { Worker, isMainThread } = require("node:worker_threads");\nif (isMainThread) new Worker(__filename);\n');
  const wall: number[] = [];
  const bare: number[] = [];
  const withWorker: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const cpuBefore = reapedChildrenCpuMs();
    const started = process.hrtime.bigint();
    const r = await runTree([process.execPath, firstLine], {}, tmp);
    wall.push(Number(BigInt(r.stdout) - started) / 1e6);
    bare.push(reapedChildrenCpuMs() - cpuBefore);
    withWorker.push((await runTree([process.execPath, worker], {}, tmp)).cpuMs);
  }
  return { firstLineWallMs: median(wall), nodeCpuMs: median(bare), workerCpuMs: Math.max(0, median(withWorker) - median(bare)) };
}

interface Arm {
  wall: number[];
  cpu: number[];
  /** The wrapper's own CPU in that run: the tree's minus the CLI's, as the wrapper counted it after reaping the CLI. */
  own: number[];
  lines: number[];
}

/** Three calls: list the files, read one, answer (the session of the real-CLI tests). */
function threeCalls(workspace: string): ScriptStep[] {
  return [
    useTool("Bash", { command: "ls", description: "List files" }, "Let me list them."),
    useTool("Read", { file_path: path.join(workspace, "notes.txt") }, "Now the notes."),
    say("A demo repository, with two lines of notes."),
  ];
}

/** `calls` calls in one turn: a file read each (no process to start), then the answer. */
function manyCalls(workspace: string, calls: number): ScriptStep[] {
  return [{ ...useTool("Read", { file_path: path.join(workspace, "notes.txt") }, "Reading the notes again."), times: calls - 1 }, say("Done reading.")];
}

export async function realSessionCosts(o: SessionBenchOptions): Promise<void> {
  const cli = findRealCli();
  if (!cli.path) {
    o.report("real-session cost", "skipped", cli.skipReason ?? "no CLI", undefined);
    return;
  }
  const api = await startStandIn();
  const dirs = scratchDirs("claude-langfuse-bench-cli-");
  try {
    const floors = await nodeFloors(o.tmp, o.rounds);
    const sessions = [
      { label: "3-call session with tool use", script: threeCalls(dirs.workspace), calls: 3 },
      { label: "scripted 200-call session", script: manyCalls(dirs.workspace, 200), calls: 200 },
    ];
    const results: Array<{ label: string; direct: Arm; wrapped: Arm; piped: Arm }> = [];
    for (const session of sessions) {
      const args = ["-p", "Look at the notes.", "--output-format", "stream-json", "--verbose", "--model", "claude-sonnet-4-5", ...ALLOWED_TOOLS];
      const env = { ...cliEnvironment(api.url, dirs.home) };
      const direct: Arm = { wall: [], cpu: [], own: [], lines: [] };
      const wrapped: Arm = { wall: [], cpu: [], own: [], lines: [] };
      // A bare Node.js pipe in the middle: what any process forwarding the CLI's lines pays here.
      const piped: Arm = { wall: [], cpu: [], own: [], lines: [] };
      const timings = path.join(o.tmp, `timings-${session.calls}.jsonl`);
      const pipedCliCpu = path.join(o.tmp, `pass-through-cli-cpu-${session.calls}`);
      // One run of each, not counted: the CLI's first start reads its 400 MB binary from disk.
      for (let round = -1; round < o.rounds; round++) {
        await api.script(session.script);
        const d = await runTree([cli.path, ...args], env, dirs.workspace);
        await api.script(session.script);
        fs.rmSync(timings, { force: true });
        const w = await runTree(
          [process.execPath, o.bundle, "exec", "--", cli.path, ...args],
          { ...env, ...o.keys, LANGFUSE_BASE_URL: o.langfuseUrl, AGENTIC_SESSION_NAME: `bench-${session.calls}-${round}`, CLAUDE_LANGFUSE_TIMINGS_FILE: timings },
          dirs.workspace,
        );
        await api.script(session.script);
        fs.rmSync(pipedCliCpu, { force: true });
        const p = await runTree([process.execPath, NODE_PASS_THROUGH, cli.path, ...args], { ...env, PASS_THROUGH_CHILD_CPU_FILE: pipedCliCpu }, dirs.workspace);
        if (d.code !== 0 || w.code !== 0 || p.code !== 0 || w.stderr !== "") {
          throw new Error(`a ${session.label} run failed: direct exit ${d.code}, wrapped exit ${w.code}, piped exit ${p.code}: ${(d.stderr + w.stderr + p.stderr).slice(0, 500)}`);
        }
        if (round < 0) continue;
        const t = JSON.parse(fs.readFileSync(timings, "utf8").trim()) as { cliCpuMs?: number };
        const lines = (s: string) => s.split("\n").filter((l) => l.trim()).length;
        direct.wall.push(d.wallMs);
        direct.cpu.push(d.cpuMs);
        direct.lines.push(lines(d.stdout));
        wrapped.wall.push(w.wallMs);
        wrapped.cpu.push(w.cpuMs);
        wrapped.own.push(t.cliCpuMs === undefined ? NaN : w.cpuMs - t.cliCpuMs);
        wrapped.lines.push(lines(w.stdout));
        piped.wall.push(p.wallMs);
        piped.cpu.push(p.cpuMs);
        piped.own.push(p.cpuMs - Number(fs.readFileSync(pipedCliCpu, "utf8")));
        piped.lines.push(lines(p.stdout));
      }
      results.push({ label: session.label, direct, wrapped, piped });
    }
    const { fmt, report } = o;
    console.log(`  Node.js floors here: a fresh node reaches its first line in ${fmt(floors.firstLineWallMs, 0)} ms (${fmt(floors.nodeCpuMs, 0)} ms CPU); an empty Worker thread adds ${fmt(floors.workerCpuMs, 0)} ms CPU (medians of ${o.rounds})`);
    let fixedCpu = NaN;
    let fixedPipeCpu = NaN;
    let fixedLines = NaN;
    for (const { label, direct, wrapped, piped } of results) {
      const addedWall = median(wrapped.wall.map((w, i) => w - direct.wall[i]!));
      const own = median(wrapped.own);
      const pipeOwn = median(piped.own);
      const treeDiff = median(wrapped.cpu) - median(direct.cpu);
      const lines = median(direct.lines);
      console.log(`  ${label}: ${fmt(lines, 0)} stream-json lines; CLI alone ${fmt(median(direct.wall), 0)} ms wall, ${fmt(median(direct.cpu), 0)} ms CPU; through the wrapper x${fmt(median(wrapped.wall) / median(direct.wall), 2)} wall, x${fmt(median(wrapped.cpu) / median(direct.cpu), 2)} CPU (medians of ${o.rounds} alternating rounds)`);
      if (Number.isNaN(fixedLines)) {
        report(`  added wall, ${label}`, `${fmt(addedWall, 0)} ms`, "<= 80 ms", addedWall <= 80);
        report(`  added CPU (the wrapper's own), ${label}`, `${fmt(own, 0)} ms`, "<= 150 ms", own <= 150);
        fixedCpu = own;
        fixedPipeCpu = pipeOwn;
        fixedLines = lines;
      } else {
        const perMessage = ((own - fixedCpu) * 1000) / (lines - fixedLines);
        report(`  added wall, ${label}`, `${fmt(addedWall, 0)} ms`, "(for information)", undefined);
        report(`  added CPU (the wrapper's own), ${label}`, `${fmt(own, 0)} ms`, "(for information)", undefined);
        report(`  added CPU per message above the fixed cost, ${label}`, `${fmt(perMessage)} us`, "<= 50 us", perMessage <= 50);
        // The CLI writes these lines one at a time, each a wake-up of whatever reads them.
        const pipePerMessage = ((pipeOwn - fixedPipeCpu) * 1000) / (lines - fixedLines);
        report(`    floor: a bare Node.js pipe in the middle, CPU per message above its fixed cost`, `${fmt(pipePerMessage)} us`, "(floor, for information)", undefined);
      }
      console.log(`    a bare Node.js pipe in the middle (no tracing): its own CPU ${fmt(pipeOwn, 0)} ms, the CLI's excluded`);
      console.log(`    the wrapper's CPU counted two ways: the tree's minus the CLI's in the same run ${fmt(own, 0)} ms; the median tree through the wrapper minus the median CLI alone ${fmt(treeDiff, 0)} ms (each /proc figure in 10 ms ticks)`);
    }
  } finally {
    api.stop();
    dirs.remove();
  }
}
