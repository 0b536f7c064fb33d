/**
 * What `claude-langfuse verify` compares, and how it prints it. Pure: observations in (from a dry
 * run of the capture, and from Langfuse's public API), a comparison and its table out.
 */

/** The usage keys the tracer sends; Langfuse adds `total`, which is left out of every comparison. */
export const USAGE_KEYS = ["input", "output", "cache_read_input_tokens", "cache_creation_input_tokens"] as const;
export type UsageKey = (typeof USAGE_KEYS)[number];

/** One observation of a session, as either side knows it. */
export interface SessionObservation {
  traceId: string;
  /** Lower case, as the tracer names types (`agent`, `generation`, `tool`, `event`); Langfuse answers upper case. */
  type: string;
  name?: string;
  model?: string;
  /** The four keys that are present; `total` and any other key are not kept. */
  usage?: Partial<Record<UsageKey, number>>;
  /** The Claude message id a generation carries in its metadata, which pairs it across the two sides. */
  messageId?: string;
  /** ISO-8601, for ordering only (a dry run of stream-json has the times the lines were read). */
  startTime: string;
}

/** A generation's figures: what is compared per generation. */
export interface GenerationFigures {
  model?: string;
  usage: Record<UsageKey, number>;
}

export interface CountRow {
  label: string;
  expected: number;
  found: number;
}

export interface GenerationDifference {
  /** The message id, or the generation's name and its place among the unpaired ones. */
  label: string;
  expected?: GenerationFigures;
  found?: GenerationFigures;
}

export interface Comparison {
  /** Traces, observations, then observations per type (every type either side has). */
  counts: CountRow[];
  /** Each usage key summed over every generation. */
  usageTotals: CountRow[];
  generations: { compared: number; matching: number; differing: GenerationDifference[] };
  /** Rows that differ: counts, totals and generations. 0 is a match. */
  differences: number;
}

/** `observation.usage` with absent keys as 0, the way Langfuse counts a key it was not sent. */
function figures(o: SessionObservation): GenerationFigures {
  const usage = Object.fromEntries(USAGE_KEYS.map((k) => [k, o.usage?.[k] ?? 0])) as Record<UsageKey, number>;
  return { model: o.model, usage };
}

function sameFigures(a: GenerationFigures, b: GenerationFigures): boolean {
  return a.model === b.model && USAGE_KEYS.every((k) => a.usage[k] === b.usage[k]);
}

const byStart = (a: SessionObservation, b: SessionObservation) => (a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : 0);

/**
 * Pairs the generations of both sides: first by message id (each side's ids are unique per
 * generation that has one), then what is left by equal figures, then what is still left in order
 * of start time. Unpaired ones are missing from Langfuse, or there beyond the capture.
 */
export function pairGenerations(expected: SessionObservation[], found: SessionObservation[]): Array<{ label: string; expected?: SessionObservation; found?: SessionObservation }> {
  const pairs: Array<{ label: string; expected?: SessionObservation; found?: SessionObservation }> = [];
  let leftExpected = [...expected].sort(byStart);
  let leftFound = [...found].sort(byStart);

  const foundById = new Map<string, SessionObservation[]>();
  for (const f of leftFound) if (f.messageId) foundById.set(f.messageId, [...(foundById.get(f.messageId) ?? []), f]);
  const pairedFound = new Set<SessionObservation>();
  leftExpected = leftExpected.filter((e) => {
    const match = e.messageId ? foundById.get(e.messageId)?.shift() : undefined;
    if (!match) return true;
    pairs.push({ label: e.messageId!, expected: e, found: match });
    pairedFound.add(match);
    return false;
  });
  leftFound = leftFound.filter((f) => !pairedFound.has(f));

  leftExpected = leftExpected.filter((e) => {
    const at = leftFound.findIndex((f) => sameFigures(figures(e), figures(f)));
    if (at < 0) return true;
    pairs.push({ label: e.messageId ?? e.name ?? "generation", expected: e, found: leftFound[at] });
    leftFound.splice(at, 1);
    return false;
  });

  const rest = Math.max(leftExpected.length, leftFound.length);
  for (let i = 0; i < rest; i++) {
    const e = leftExpected[i];
    const f = leftFound[i];
    pairs.push({ label: e?.messageId ?? f?.messageId ?? `${e?.name ?? f?.name ?? "generation"} (unpaired ${i + 1})`, expected: e, found: f });
  }
  return pairs;
}

export function compareSessions(expected: SessionObservation[], found: SessionObservation[]): Comparison {
  const count = (list: SessionObservation[], type?: string) => list.filter((o) => type === undefined || o.type === type).length;
  const types = [...new Set([...expected, ...found].map((o) => o.type))].sort();
  const counts: CountRow[] = [
    { label: "traces", expected: new Set(expected.map((o) => o.traceId)).size, found: new Set(found.map((o) => o.traceId)).size },
    { label: "observations", expected: expected.length, found: found.length },
    ...types.map((type) => ({ label: `  ${type}`, expected: count(expected, type), found: count(found, type) })),
  ];

  const generationsOf = (list: SessionObservation[]) => list.filter((o) => o.type === "generation");
  const expectedGenerations = generationsOf(expected);
  const foundGenerations = generationsOf(found);
  const usageTotals = USAGE_KEYS.map((key) => ({
    label: `usage ${key}`,
    expected: expectedGenerations.reduce((sum, g) => sum + (g.usage?.[key] ?? 0), 0),
    found: foundGenerations.reduce((sum, g) => sum + (g.usage?.[key] ?? 0), 0),
  }));

  const differing: GenerationDifference[] = [];
  let matching = 0;
  for (const pair of pairGenerations(expectedGenerations, foundGenerations)) {
    const e = pair.expected && figures(pair.expected);
    const f = pair.found && figures(pair.found);
    if (e && f && sameFigures(e, f)) matching++;
    else differing.push({ label: pair.label, expected: e, found: f });
  }
  const rowsDiffering = [...counts, ...usageTotals].filter((r) => r.expected !== r.found).length;
  return {
    counts,
    usageTotals,
    generations: { compared: Math.max(expectedGenerations.length, foundGenerations.length), matching, differing },
    differences: rowsDiffering + differing.length,
  };
}

const number = (n: number) => n.toLocaleString("en-US");

/** Lays out rows of cells in columns: the first `leftAligned` left-aligned (names), the others right-aligned (numbers). */
function columns(rows: string[][], leftAligned: number, indent = ""): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => `${indent}${row.map((cell, i) => (i < leftAligned ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ")}`.trimEnd());
}

/** The table `verify` prints: counts and totals side by side, then each generation that differs. */
export function renderComparison(comparison: Comparison): string {
  const mark = (r: CountRow) => (r.expected === r.found ? "" : "differs");
  const lines = columns(
    [["", "capture", "langfuse", ""], ...[...comparison.counts, ...comparison.usageTotals].map((r) => [r.label, number(r.expected), number(r.found), mark(r)])],
    1,
  );
  const { compared, matching, differing } = comparison.generations;
  lines.push("", `generations: ${matching} of ${compared} match in model and usage (${USAGE_KEYS.join(", ")})`);
  if (differing.length > 0) {
    const side = (label: string, g: GenerationFigures | undefined, who: string) =>
      g ? [label, who, g.model ?? "(no model)", ...USAGE_KEYS.map((k) => number(g.usage[k]))] : [label, who, `(not in ${who === "capture" ? "the capture" : "Langfuse"})`, "", "", "", ""];
    lines.push(
      ...columns(
        [
          ["generation", "", "model", "input", "output", "cache read", "cache write"],
          ...differing.flatMap((d) => [side(d.label, d.expected, "capture"), side("", d.found, "langfuse")]),
        ],
        3,
        "  ",
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}
