import { isExactVersion } from "../kubernetesNames";
import { type PlannedResource, type Policy, RELEASE_TYPE, violations } from "./types";

export const exactChartVersion: Policy = {
  name: "exact-chart-version",
  description: "Every Helm release pins an exact chart version.",
  check(resources) {
    const found: [PlannedResource, string][] = [];
    for (const r of resources.filter((x) => x.type === RELEASE_TYPE)) {
      // Some projects tag their charts with a leading "v" (cert-manager's "v1.20.2"): still exact.
      if (typeof r.inputs.version !== "string" || !isExactVersion(r.inputs.version.replace(/^v/, ""))) {
        found.push([r, `chart version "${r.inputs.version ?? ""}" is not exact: pin a version such as 2.0.0`]);
      }
    }
    return violations(this.name, found);
  },
};
