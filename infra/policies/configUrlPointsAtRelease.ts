import { internalWebUrl } from "../names";
import { isProjectConfigMap } from "./projectResources";
import { isLangfuseRelease, type PlannedResource, type Policy, violations } from "./types";

export const configUrlPointsAtRelease: Policy = {
  name: "config-url-points-at-release",
  description: "Every project ConfigMap's LANGFUSE_HOST and LANGFUSE_BASE_URL are the Langfuse release's own web service.",
  check(resources) {
    const releases = resources.filter(isLangfuseRelease);
    const urls = releases.map((r) => internalWebUrl(r.inputs.namespace, r.inputs.name));
    const found: [PlannedResource, string][] = [];
    for (const cm of resources.filter(isProjectConfigMap)) {
      for (const key of ["LANGFUSE_HOST", "LANGFUSE_BASE_URL"]) {
        const url = cm.inputs.data?.[key];
        if (!urls.includes(url)) {
          found.push([cm, `data.${key} is "${url ?? ""}", not the release's web service (${urls.join(" or ") || "no release"})`]);
        }
      }
    }
    return violations(this.name, found);
  },
};
