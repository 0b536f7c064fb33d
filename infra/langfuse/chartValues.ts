import type { PlatformProfile } from "../platform";
import { type ChartLine, chartLine } from "./chartLine";
import { chartValues15x } from "./chartValues15x";
import { chartValues2x } from "./chartValues2x";
import type { ChartSettings, SecretRefs, ValuesContext } from "./langfuseAppValues";
import { LAPTOP_SIZING, type Sizing } from "./sizing";

export type { ChartSettings, SecretRefs, ValuesContext } from "./langfuseAppValues";

/** Each chart line's values, decided by its own pure function. */
export const CHART_LINE_VALUES: Record<ChartLine, (ctx: ValuesContext) => Record<string, any>> = {
  "1.5.x": chartValues15x,
  "2.x": chartValues2x,
};

/**
 * The chart values for the configured chart version. Every secret reaches the chart by reference
 * to a Secret this program creates; nothing secret is ever a literal here. Sizing defaults to a
 * laptop kind cluster.
 */
export function chartValues(
  s: ChartSettings,
  profile: PlatformProfile,
  refs: SecretRefs,
  sizing: Sizing = LAPTOP_SIZING,
): Record<string, any> {
  const line = chartLine(s.chartVersion);
  // Config validation refuses other lines first; this guards direct callers.
  if (line === undefined) throw new Error(`no chart values for chart version ${s.chartVersion}`);
  return CHART_LINE_VALUES[line]({ settings: s, profile, refs, sizing });
}
