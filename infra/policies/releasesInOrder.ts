import { isLangfuseRelease, type PlannedResource, type Policy, RELEASE_TYPE, resourceId, violations } from "./types";

/** cert-manager, from its OCI registry or its Helm repository. */
const isCertManager = (r: PlannedResource) => r.type === RELEASE_TYPE && /(^|\/)cert-manager$/.test(String(r.inputs.chart));
/** ClickHouse Inc's operator (not Altinity's): the one chart 2.x renders resources for. */
const isClickhouseOperator = (r: PlannedResource) =>
  r.type === RELEASE_TYPE && String(r.inputs.chart) === "oci://ghcr.io/clickhouse/clickhouse-operator-helm";

/**
 * Every resource `from` waits for, through `dependsOn` and transitively. Waiting for a component
 * means waiting for all of its children, as the engine does.
 */
export function waitsFor(from: PlannedResource, resources: PlannedResource[]): Set<string> {
  const byId = new Map(resources.map((r) => [resourceId(r), r]));
  const children = new Map<string, string[]>();
  for (const r of resources) {
    if (r.parent !== null) children.set(r.parent, [...(children.get(r.parent) ?? []), resourceId(r)]);
  }
  const seen = new Set<string>();
  const pending = [...from.options.dependsOn];
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    pending.push(...(children.get(id) ?? []), ...(byId.get(id)?.options.dependsOn ?? []));
  }
  return seen;
}

export const releasesInOrder: Policy = {
  name: "releases-in-order",
  description:
    "When the program installs them, the ClickHouse operator waits for cert-manager and Langfuse waits for the operator (dependsOn), so that each finds what it needs on a fresh cluster.",
  check(resources) {
    const found: [PlannedResource, string][] = [];
    const order: [(r: PlannedResource) => boolean, string, (r: PlannedResource) => boolean, string][] = [
      [isClickhouseOperator, "the ClickHouse operator", isCertManager, "cert-manager (its webhook certificates)"],
      [isLangfuseRelease, "Langfuse", isClickhouseOperator, "the ClickHouse operator (its CRDs and webhook)"],
    ];
    for (const [isLater, later, isEarlier, earlier] of order) {
      for (const r of resources.filter(isLater)) {
        const before = waitsFor(r, resources);
        for (const e of resources.filter(isEarlier)) {
          if (!before.has(resourceId(e))) {
            found.push([r, `${later} (release "${r.inputs.name}") does not wait for ${earlier}, release "${e.inputs.name}": add ${resourceId(e)} to its dependsOn`]);
          }
        }
      }
    }
    return violations(this.name, found);
  },
};
