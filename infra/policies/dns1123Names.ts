import { isDns1123Label, isDns1123Subdomain } from "../kubernetesNames";
import { kubernetesObjects, type PlannedResource, type Policy, RELEASE_TYPE, violations } from "./types";

export const dns1123Names: Policy = {
  name: "dns1123-names",
  description: "Namespaces and release names are DNS-1123 labels; object names are DNS-1123 subdomains.",
  check(resources) {
    const found: [PlannedResource, string][] = [];
    for (const r of kubernetesObjects(resources)) {
      const { name, namespace } = r.inputs.metadata ?? {};
      const label = r.inputs.kind === "Namespace";
      if (typeof name !== "string" || !(label ? isDns1123Label(name) : isDns1123Subdomain(name))) {
        found.push([r, `metadata.name "${name ?? ""}" is not a DNS-1123 ${label ? "label" : "subdomain"}`]);
      }
      if (namespace !== undefined && !isDns1123Label(namespace)) {
        found.push([r, `metadata.namespace "${namespace}" is not a DNS-1123 label`]);
      }
    }
    for (const r of resources.filter((x) => x.type === RELEASE_TYPE)) {
      // Helm caps release names at 53 characters: it appends suffixes to build object names.
      if (!isDns1123Label(r.inputs.name ?? "") || r.inputs.name.length > 53) {
        found.push([r, `release name "${r.inputs.name ?? ""}" is not a DNS-1123 label of at most 53 characters`]);
      }
      if (!isDns1123Label(r.inputs.namespace ?? "")) {
        found.push([r, `release namespace "${r.inputs.namespace ?? ""}" is not a DNS-1123 label`]);
      }
    }
    return violations(this.name, found);
  },
};
