import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import type { ReceivedSpan } from "./otlpReceiver";
import { totalServed, type ServedCall, type ServedUsage } from "./messagesApi";

/**
 * The real Claude Code CLI, as `@anthropic-ai/claude-agent-sdk` brings it into node_modules (one
 * optional package per platform), and what running it against the Messages API stand-in needs.
 */

export interface RealCli {
  /** The native CLI; absent where no build for this platform is installed. */
  path?: string;
  /** Why the real-CLI tests are skipped here. */
  skipReason?: string;
}

function platformPackage(): string {
  const musl = process.platform === "linux" && !(process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime;
  return `@anthropic-ai/claude-agent-sdk-${process.platform}-${process.arch}${musl ? "-musl" : ""}`;
}

export function findRealCli(): RealCli {
  const pkg = platformPackage();
  let dir: string;
  try {
    dir = path.dirname(createRequire(__filename).resolve(`${pkg}/package.json`));
  } catch {
    return { skipReason: `no Claude Code CLI for ${process.platform}-${process.arch} in node_modules (${pkg} is not installed): the real-CLI tests are skipped` };
  }
  const cli = path.join(dir, process.platform === "win32" ? "claude.exe" : "claude");
  if (!fs.existsSync(cli)) return { skipReason: `${pkg} holds no ${path.basename(cli)}: the real-CLI tests are skipped` };
  return { path: cli };
}

export const REAL_CLI = findRealCli();

/** A scratch HOME and working directory, so the CLI reads no one's settings and writes nowhere that matters. */
export function scratchDirs(prefix: string): { home: string; workspace: string; remove(): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const home = path.join(root, "home");
  const workspace = path.join(root, "workspace");
  fs.mkdirSync(home);
  fs.mkdirSync(workspace);
  fs.writeFileSync(path.join(workspace, "README.md"), "# demo\n\nA repository for the real-CLI tests.\n");
  fs.writeFileSync(path.join(workspace, "notes.txt"), "first line\nsecond line\n");
  return { home, workspace, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** What the CLI needs to run offline against the stand-in. */
export function cliEnvironment(apiUrl: string, home: string): Record<string, string> {
  return {
    HOME: home,
    ANTHROPIC_BASE_URL: apiUrl,
    ANTHROPIC_API_KEY: "sk-ant-api03-standin-key",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
  };
}

/**
 * Tools the CLI may use without asking. `--dangerously-skip-permissions` is refused when running
 * as root (as CI does); an allow-list works for everyone.
 */
export const ALLOWED_TOOLS = ["--allowedTools", "Bash,Read,Agent"];

/** Usage in the four figures Langfuse prices, as the tests compare them. */
export interface Figures {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export const figuresOfServed = (u: ServedUsage): Figures => ({ input: u.input_tokens, output: u.output_tokens, cacheRead: u.cache_read_input_tokens, cacheWrite: u.cache_creation_input_tokens });

export function sumFigures(all: Figures[]): Figures {
  return all.reduce((s, f) => ({ input: s.input + f.input, output: s.output + f.output, cacheRead: s.cacheRead + f.cacheRead, cacheWrite: s.cacheWrite + f.cacheWrite }), { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
}

/** A generation span's usage, as the exporter sent it. */
export function figuresOfSpan(span: ReceivedSpan): Figures {
  const u = JSON.parse(String(span.attributes["langfuse.observation.usage_details"] ?? "{}")) as Record<string, number>;
  return { input: u.input ?? 0, output: u.output ?? 0, cacheRead: u.cache_read_input_tokens ?? 0, cacheWrite: u.cache_creation_input_tokens ?? 0 };
}

/** The `result` lines among the CLI's stdout. */
export function resultsOf(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((m) => m.type === "result");
}

/** The sum over a result's `modelUsage` entries (cumulative over the CLI's session). */
export function figuresOfModelUsage(result: Record<string, unknown>): Figures {
  const entries = Object.values((result.modelUsage ?? {}) as Record<string, Record<string, number>>);
  return sumFigures(entries.map((e) => ({ input: e.inputTokens ?? 0, output: e.outputTokens ?? 0, cacheRead: e.cacheReadInputTokens ?? 0, cacheWrite: e.cacheCreationInputTokens ?? 0 })));
}

/** One served call next to the generation that traced it. */
export interface CallComparison {
  call: number;
  messageId?: string;
  status: number;
  answeredModel?: string;
  served?: Figures;
  /** The generation with the call's message id; absent for calls the stream never showed. */
  traced?: { model?: string; figures: Figures; outputPlaceholder: boolean };
}

export interface Accounting {
  calls: CallComparison[];
  served: Figures;
  /** Over every generation of the traces, unattributed usage included. */
  traced: Figures;
  /** Per model, what the unattributed-usage generations carry. */
  unattributed: Array<{ model: string; figures: Figures }>;
}

/** Lines up what the stand-in served with the generations the receiver got. */
export function compareServedWithTraced(served: ServedCall[], spans: ReceivedSpan[]): Accounting {
  const generations = spans.filter((s) => s.attributes["langfuse.observation.type"] === "generation");
  const byMessageId = new Map(generations.map((g) => [g.attributes["langfuse.observation.metadata.messageId"], g]));
  const calls = served.map((c): CallComparison => {
    const span = c.messageId ? byMessageId.get(c.messageId) : undefined;
    const row: CallComparison = { call: c.call, messageId: c.messageId, status: c.status, answeredModel: c.answeredModel };
    if (c.usage) row.served = figuresOfServed(c.usage);
    if (span) {
      row.traced = {
        model: span.attributes["langfuse.observation.model.name"] as string | undefined,
        figures: figuresOfSpan(span),
        outputPlaceholder: span.attributes["langfuse.observation.metadata.outputTokensPlaceholder"] === "true",
      };
    }
    return row;
  });
  return {
    calls,
    served: figuresOfServed(totalServed(served)),
    traced: sumFigures(generations.map(figuresOfSpan)),
    unattributed: generations
      .filter((g) => g.name === "unattributed-usage")
      .map((g) => ({ model: String(g.attributes["langfuse.observation.model.name"]), figures: figuresOfSpan(g) })),
  };
}

/** The accounting as a table, for a report: each served call beside the generation that traced it. */
export function accountingTable(a: Accounting, modelUsage: Figures): string {
  const n = (f: Figures | undefined) => (f ? [f.input, f.output, f.cacheRead, f.cacheWrite].map((x) => x.toLocaleString("en")).join(" / ") : "–");
  const lines = ["| call | served: input / output / cache read / cache write | traced |", "|---|---|---|"];
  for (const c of a.calls) {
    const what = c.status === 200 ? `${c.call}: ${c.messageId}, ${c.answeredModel}` : `${c.call}: HTTP ${c.status}`;
    const traced = c.traced ? `${n(c.traced.figures)}${c.traced.outputPlaceholder ? " (output a placeholder)" : ""}` : c.status === 200 ? "not in the stream" : "–";
    lines.push(`| ${what} | ${n(c.served)} | ${traced} |`);
  }
  for (const u of a.unattributed) lines.push(`| unattributed-usage, ${u.model} | | ${n(u.figures)} |`);
  lines.push(`| **total** | ${n(a.served)} | ${n(a.traced)} |`, `| **result.modelUsage** | ${n(modelUsage)} | |`);
  return lines.join("\n");
}
