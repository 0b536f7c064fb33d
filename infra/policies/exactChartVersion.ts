import { isExactVersion } from "../kubernetesNames";
import { type PlannedResource, type Policy, RELEASE_TYPE, violations } from "./types";

export const exactChartVersion: Policy = {
  name: "exact-chart-version",
  description: "Every Helm release pins an exact chart version.",
  check(resources) {
    const found: [PlannedResource, string][] = [];
    for (const r of resources.filter((x) => x.type === RELEASE_TYPE)) {
      if (typeof r.inputs.version !== "string" || !isExactVersion(r.inputs.version)) {
        found.push([r, `chart version "${r.inputs.version ?? ""}" is not exact: pin a version such as 1.5.41`]);
      }
    }
    return violations(this.name, found);
  },
};
