import { chartSecretRefs } from "./secretRefsResolve";
import { langfuseDeployments, type PlannedResource, type Policy, SECRET_TYPE, valueAt, violations } from "./types";

const NAMESPACE_TYPE = "kubernetes:core/v1:Namespace";

/** A value as the chart reads it: ours where we set it, else the chart's default. */
const effective = (values: unknown, defaults: unknown, path: string) => valueAt(values, path) ?? valueAt(defaults, path);

/**
 * How many pods a Langfuse deployment keeps, read as the chart's templates read it: the HPA's
 * minimum where an HPA runs it, else its own replicas, else the global `langfuse.replicas`.
 */
function replicasOf(component: "web" | "worker", values: unknown, defaults: unknown): number {
  if (effective(values, defaults, `langfuse.${component}.hpa.enabled`) === true) {
    return Number(effective(values, defaults, `langfuse.${component}.hpa.minReplicas`) ?? 1);
  }
  return Number(valueAt(values, `langfuse.${component}.replicas`) ?? effective(values, defaults, "langfuse.replicas") ?? 1);
}

/**
 * Chart versions whose web and worker Deployments get PodDisruptionBudgets (`langfuse.<component>.pdb`,
 * `create: true` by default): every 2.x, and 1.5.x from 1.5.27 (langfuse-k8s templates/{web,worker}/pdb.yaml).
 */
function rendersBudgets(version: string): boolean {
  const [major, minor, patch] = version.replace(/^v/, "").split(/[.-]/).map(Number);
  return major >= 2 || (major === 1 && (minor > 5 || (minor === 5 && patch >= 27)));
}

export const productionReady: Policy = {
  name: "production-ready",
  description:
    "A production stack runs at least two web and two worker pods, keeps the chart's disruption budgets where its version has them, and protects its namespace and the Secrets Langfuse's own secrets come from.",
  check(resources, ctx) {
    const found: [PlannedResource, string][] = [];
    for (const { release, production } of langfuseDeployments(resources)) {
      if (!production) continue;
      const values = release.inputs.values ?? {};
      const defaults = ctx.chartDefaults(release.inputs.version);
      for (const component of ["web", "worker"] as const) {
        const replicas = replicasOf(component, values, defaults);
        if (replicas < 2) {
          found.push([
            release,
            `production stack: Langfuse ${component} runs ${replicas} replica: run at least 2 (values.langfuse.${component}.replicas), ` +
              `so that a pod's restart or a node's drain does not take it down`,
          ]);
        }
        // Only where the chart version renders budgets at all (1.5.9 has none): its values.yaml says
        // so; without the file (the CrossGuard pack), this policy's own reading of the chart lines.
        const hasBudget =
          defaults === undefined ? rendersBudgets(String(release.inputs.version)) : valueAt(defaults, `langfuse.${component}.pdb`) !== undefined;
        const create = valueAt(values, `langfuse.${component}.pdb.create`) ?? (defaults === undefined ? true : valueAt(defaults, `langfuse.${component}.pdb.create`));
        if (hasBudget && create !== true) {
          found.push([
            release,
            `production stack: Langfuse ${component} has no disruption budget: set values.langfuse.${component}.pdb.create to true ` +
              `(chart ${release.inputs.version} has one), so that a drain leaves a pod serving`,
          ]);
        }
      }

      const ns = release.inputs.namespace;
      const namespace = resources.find((r) => r.type === NAMESPACE_TYPE && r.inputs.metadata?.name === ns);
      if (namespace && !namespace.options.protect) {
        found.push([namespace, `production stack: namespace "${ns}" is not protected: set protect to true (deleting it deletes every volume and Secret in it)`]);
      }
      // The Secrets Langfuse's own secrets (salt, keys, NextAuth, bootstrap) are read from, named by the release.
      const names = new Set(chartSecretRefs(values, defaults).filter((ref) => ref.at.startsWith("langfuse.")).map((ref) => ref.name));
      for (const secret of resources.filter((r) => r.type === SECRET_TYPE && r.inputs.metadata?.namespace === ns && names.has(r.inputs.metadata?.name))) {
        if (!secret.options.protect) {
          found.push([
            secret,
            `production stack: Secret "${secret.inputs.metadata.name}", which Langfuse reads its own secrets from, is not protected: ` +
              `set protect to true (a new salt or encryption key makes every API key and stored credential unusable)`,
          ]);
        }
      }
    }
    return violations(this.name, found);
  },
};
