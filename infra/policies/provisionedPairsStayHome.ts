import { type PlannedResource, type Policy, resourceId, violations } from "./types";

/**
 * A key pair that `pulumi up` creates through Langfuse's API for one platform project, in this
 * policy's own words: a dynamic resource of this type, whose `project` input names the namespace the
 * pair is for (README, "Provisioned isolation and model prices").
 */
const PROVISIONED_PAIR_TYPE = "pulumi-nodejs:dynamic/langfuse:ProjectApiKey";

/** Where a Kubernetes object lives: its metadata's namespace, or a Helm release's own; undefined when cluster-scoped. */
function namespaceOf(r: PlannedResource): string | undefined {
  const ns = r.inputs?.metadata?.namespace ?? (r.type.startsWith("kubernetes:helm.sh/") ? r.inputs?.namespace : undefined);
  return typeof ns === "string" && ns !== "" ? ns : undefined;
}

export const provisionedPairsStayHome: Policy = {
  name: "provisioned-pairs-stay-home",
  description:
    "A key pair provisioned for one project (isolation provisioned) reaches Kubernetes only in that project's namespace: no " +
    "object in another namespace, and no cluster-scoped object, is made from it.",
  check(resources) {
    const pairs = new Map(resources.filter((r) => r.type === PROVISIONED_PAIR_TYPE).map((r) => [resourceId(r), r]));
    if (pairs.size === 0) return { violations: [] };
    const found: [PlannedResource, string][] = [];
    for (const r of resources.filter((x) => x.type.startsWith("kubernetes:"))) {
      for (const [input, sources] of Object.entries(r.propertyDependencies ?? {})) {
        for (const source of new Set(sources)) {
          const pair = pairs.get(source);
          if (pair === undefined) continue;
          const home = pair.inputs?.project;
          const ns = namespaceOf(r);
          if (ns === home) continue;
          const where = ns === undefined ? "a cluster-scoped object" : `namespace "${ns}"`;
          found.push([
            r,
            `${input} is made from the key pair provisioned for project "${home}" (${source}), in ${where}: a provisioned pair ` +
              `belongs only in its own project's namespace ("${home}"); give this namespace its own project's pair`,
          ]);
        }
      }
    }
    return violations(this.name, found);
  },
};
