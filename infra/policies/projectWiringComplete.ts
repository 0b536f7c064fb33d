import { CONTRACT_CONFIGMAP, CONTRACT_SECRET, isProjectConfigMap, isProjectSecret, projectComponents } from "./projectResources";
import { type PlannedResource, type Policy, violations } from "./types";

export const projectWiringComplete: Policy = {
  name: "project-wiring-complete",
  description: `Each listed project has exactly one ${CONTRACT_SECRET} Secret and one ${CONTRACT_CONFIGMAP} ConfigMap in its namespace.`,
  check(resources) {
    const count = (pred: (r: PlannedResource) => boolean) => {
      const n = new Map<string, number>();
      for (const r of resources.filter(pred)) n.set(r.inputs.metadata.namespace, (n.get(r.inputs.metadata.namespace) ?? 0) + 1);
      return n;
    };
    const secrets = count(isProjectSecret);
    const configMaps = count(isProjectConfigMap);
    const found: [PlannedResource, string][] = [];
    for (const [ns, component] of projectComponents(resources)) {
      for (const [what, n] of [[`Secret ${CONTRACT_SECRET}`, secrets.get(ns) ?? 0], [`ConfigMap ${CONTRACT_CONFIGMAP}`, configMaps.get(ns) ?? 0]] as const) {
        if (n !== 1) found.push([component, `project "${ns}" has ${n} ${what} (exactly one expected)`]);
      }
    }
    return violations(this.name, found);
  },
};
