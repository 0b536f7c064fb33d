import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { admissionPolicyTargetsRunners } from "./admissionPolicyTargetsRunners";
import { chartSecretsPinned } from "./chartSecretsPinned";
import { chartValuePathsExist } from "./chartValuePathsExist";
import { configUrlPointsAtRelease } from "./configUrlPointsAtRelease";
import { dns1123Names } from "./dns1123Names";
import { exactChartVersion } from "./exactChartVersion";
import { exposureMatchesUrl } from "./exposureMatchesUrl";
import { kubernetesSchema } from "./kubernetesSchema";
import { langfuseNamespaceFenced } from "./langfuseNamespaceFenced";
import { noFixedUids } from "./noFixedUids";
import { noLiteralSecrets } from "./noLiteralSecrets";
import { operatorEnvRefsOptional } from "./operatorEnvRefsOptional";
import { productionReady } from "./productionReady";
import { projectKeysStayHome } from "./projectKeysStayHome";
import { projectWiringComplete } from "./projectWiringComplete";
import { releasesInOrder } from "./releasesInOrder";
import { secretRefsResolve } from "./secretRefsResolve";
import { secretsAreSecret } from "./secretsAreSecret";
import { strictProjectsOwnKeys } from "./strictProjectsOwnKeys";
import type { PlannedResource, Policy, PolicyContext, Violation } from "./types";

export * from "./types";

/** Every policy, in the order the plan reports them. */
export const POLICIES: Policy[] = [
  noLiteralSecrets,
  secretRefsResolve,
  chartSecretsPinned,
  exactChartVersion,
  chartValuePathsExist,
  releasesInOrder,
  exposureMatchesUrl,
  noFixedUids,
  productionReady,
  langfuseNamespaceFenced,
  kubernetesSchema,
  secretsAreSecret,
  dns1123Names,
  projectKeysStayHome,
  projectWiringComplete,
  strictProjectsOwnKeys,
  admissionPolicyTargetsRunners,
  configUrlPointsAtRelease,
  operatorEnvRefsOptional,
];

/** Where the chart's own values files live: `../shared/reference` beside the checkout. */
export const REFERENCE_DIR = path.resolve(__dirname, "..", "..", "..", "shared", "reference");

/** Reads `langfuse-chart-<version>.values.yaml` from a directory, if it is there. */
export function referenceContext(dir = REFERENCE_DIR): PolicyContext {
  const cache = new Map<string, Record<string, unknown> | undefined>();
  return {
    chartDefaults(version) {
      if (!cache.has(version)) {
        const file = path.join(dir, `langfuse-chart-${version}.values.yaml`);
        cache.set(version, existsSync(file) ? (parse(readFileSync(file, "utf8")) as Record<string, unknown>) : undefined);
      }
      return cache.get(version);
    },
  };
}

export interface PolicyRun {
  policy: string;
  status: "passed" | "failed" | "skipped";
  detail?: string;
}

export function runPolicies(
  resources: PlannedResource[],
  ctx: PolicyContext,
  policies: Policy[] = POLICIES,
): { runs: PolicyRun[]; violations: Violation[] } {
  const runs: PolicyRun[] = [];
  const all: Violation[] = [];
  for (const p of policies) {
    const result = p.check(resources, ctx);
    if ("skipped" in result) {
      runs.push({ policy: p.name, status: "skipped", detail: result.skipped });
    } else {
      runs.push({ policy: p.name, status: result.violations.length ? "failed" : "passed" });
      all.push(...result.violations);
    }
  }
  return { runs, violations: all };
}
