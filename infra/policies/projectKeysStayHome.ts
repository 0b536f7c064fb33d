import { CONTRACT_SECRET, isProjectSecret, projectComponents } from "./projectResources";
import { type PlannedResource, type Policy, resourceId, violations } from "./types";

export const projectKeysStayHome: Policy = {
  name: "project-keys-stay-home",
  description: `A project's ${CONTRACT_SECRET} Secret lives only in that project's namespace, created by that project's wiring.`,
  check(resources) {
    const projects = projectComponents(resources);
    const found: [PlannedResource, string][] = [];
    for (const secret of resources.filter(isProjectSecret)) {
      const ns = secret.inputs.metadata.namespace;
      const owner = projects.get(ns);
      if (owner === undefined) {
        found.push([secret, `${CONTRACT_SECRET} in namespace "${ns}", which is not a listed project: project keys belong only in project namespaces`]);
      } else if (secret.parent !== resourceId(owner)) {
        found.push([secret, `${CONTRACT_SECRET} in namespace "${ns}" is not created by that project's wiring (${resourceId(owner)})`]);
      }
    }
    return violations(this.name, found);
  },
};
