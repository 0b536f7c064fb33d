import { isAllowListed } from "./subchartAllowList";
import { chartMajor, isLangfuseRelease, type PlannedResource, type Policy, violations } from "./types";

/** Dotted paths of every leaf we set; lists and empty maps are leaves. */
export function leafPaths(values: unknown, prefix = ""): string[] {
  if (values === null || typeof values !== "object" || Array.isArray(values) || Object.keys(values).length === 0) {
    return prefix ? [prefix] : [];
  }
  return Object.entries(values).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

/** True when the chart's defaults have the path, or a `{}` / `[]` default above it. */
export function chartHasPath(defaults: unknown, path: string): boolean {
  let node: unknown = defaults;
  for (const key of path.split(".")) {
    if (Array.isArray(node)) return true;
    if (node === null || typeof node !== "object") return false;
    const obj = node as Record<string, unknown>;
    if (Object.keys(obj).length === 0) return true;
    if (!(key in obj)) return false;
    node = obj[key];
  }
  return true;
}

export const chartValuePathsExist: Policy = {
  name: "chart-value-paths-exist",
  description:
    "Every values path set on the Langfuse chart exists in that chart version's own values.yaml (or in the allow-list of that chart line's store subcharts).",
  check(resources, ctx) {
    const found: [PlannedResource, string][] = [];
    for (const r of resources.filter(isLangfuseRelease)) {
      // The allow-lists reach into each line's store subcharts (subchartAllowList.ts).
      const major = chartMajor(r);
      const defaults = ctx.chartDefaults(r.inputs.version);
      if (defaults === undefined) {
        return { skipped: `no reference values.yaml for chart ${r.inputs.version}` };
      }
      for (const path of leafPaths(r.inputs.values ?? {})) {
        if (!chartHasPath(defaults, path) && !isAllowListed(major, path)) {
          found.push([r, `values.${path} is not a value of chart ${r.inputs.version}: check its values.yaml (a typo is silently ignored by Helm)`]);
        }
      }
    }
    return violations(this.name, found);
  },
};
