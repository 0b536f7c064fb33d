import { isProjectConfigMap } from "./projectResources";
import { chartFullname, isLangfuseRelease, type PlannedResource, type Policy, valueAt, violations } from "./types";

/**
 * The web Service of a Langfuse release, as a pod in another namespace reaches it: the chart names
 * it `<fullname>-web` in the release's namespace and serves it on `langfuse.web.service.port`
 * (3000 unless the values say otherwise), plain HTTP inside the cluster. Read from the chart's
 * templates (web/service.yaml, `langfuse.fullname`), not from the program's URL builder.
 */
function webServiceUrl(release: PlannedResource): string {
  const port = valueAt(release.inputs.values ?? {}, "langfuse.web.service.port") ?? 3000;
  return `http://${chartFullname(release.inputs.name)}-web.${release.inputs.namespace}.svc.cluster.local:${port}`;
}

export const configUrlPointsAtRelease: Policy = {
  name: "config-url-points-at-release",
  description: "Every project ConfigMap's LANGFUSE_HOST and LANGFUSE_BASE_URL are the Langfuse release's own web service.",
  check(resources) {
    const urls = resources.filter(isLangfuseRelease).map(webServiceUrl);
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
