/**
 * The Langfuse chart lines this program decides values for. A line shares one set of stores and
 * one values layout: 1.5.x bundles Bitnami stores and runs Langfuse v3; 2.x bundles maintained
 * stores, runs ClickHouse through ClickHouse Inc's operator and runs Langfuse v4.
 */
export type ChartLine = "1.5.x" | "2.x";

export const CHART_LINES: readonly ChartLine[] = ["1.5.x", "2.x"];

/** The line of an exact chart version, or undefined for a line this program has no values for. */
export function chartLine(version: string): ChartLine | undefined {
  if (/^1\.5\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) return "1.5.x";
  if (/^2\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) return "2.x";
  return undefined;
}

/** The Langfuse image tag a line runs when `langfuseVersion` is not set; undefined: the chart's own. */
export const DEFAULT_LANGFUSE_VERSION: Record<ChartLine, string | undefined> = {
  // The chart's own default (its appVersion, 4.4.0 for chart 2.0.0) is older than the v4 we ship.
  "2.x": "4.16.0",
  // Each 1.5.x chart pins its own v3 appVersion (1.5.41: 3.224.1, 1.5.9: 3.124.1).
  "1.5.x": undefined,
};

/**
 * The oldest Langfuse a 2.x chart may run: the chart's v1-to-v2 migration copies data only from
 * 3.224.1, and requires the sibling release to run the source's version while copying.
 */
export const OLDEST_LANGFUSE_ON_2X = "3.224.1";

/** Why a Langfuse version cannot run on a line, or undefined when it can. */
export function langfuseVersionProblem(line: ChartLine, langfuseVersion: string): string | undefined {
  const [major] = numbers(langfuseVersion);
  if (line === "1.5.x" && major !== 3) {
    return `chart line 1.5.x runs Langfuse v3 only (v4 needs chart 2.x and its stores): use a 3.x tag such as "3.224.1"`;
  }
  if (line === "2.x" && !(major === 4 || (major === 3 && compareVersions(langfuseVersion, OLDEST_LANGFUSE_ON_2X) >= 0))) {
    return (
      `chart line 2.x runs Langfuse v4 (default "${DEFAULT_LANGFUSE_VERSION["2.x"]}"), or v3 from ${OLDEST_LANGFUSE_ON_2X} ` +
      `while data is copied from a 1.5.x install`
    );
  }
  return undefined;
}

function numbers(version: string): number[] {
  return version.split(/[-+]/)[0].split(".").map(Number);
}

/** Compares the numeric parts of two exact versions (pre-release suffixes are ignored). */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [numbers(a), numbers(b)];
  for (let i = 0; i < 3; i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return 0;
}

/**
 * Whether a chart version renders PodDisruptionBudgets for web and worker
 * (`langfuse.<web|worker>.pdb`): every 2.x, and 1.5.x from 1.5.27 on (1.5.9 has none).
 */
export function hasDisruptionBudgets(version: string): boolean {
  const line = chartLine(version);
  return line === "2.x" || (line === "1.5.x" && compareVersions(version, "1.5.27") >= 0);
}
