import { chartFullname, isLangfuseRelease, type PlannedResource, type Policy, valueAt, violations } from "./types";

const ROUTE_TYPE = "kubernetes:route.openshift.io/v1:Route";

/**
 * The ways users can reach a release's web Service, each with the URL it serves: the chart's own
 * Ingress (https where its TLS is on), and any OpenShift Route in the release's namespace that
 * points at the chart's web Service (https where it terminates TLS).
 */
function exposures(release: PlannedResource, resources: PlannedResource[]): { what: string; url: string; route?: PlannedResource }[] {
  const values = release.inputs.values ?? {};
  const found: { what: string; url: string; route?: PlannedResource }[] = [];
  if (valueAt(values, "langfuse.ingress.enabled") === true) {
    const host = valueAt(values, "langfuse.ingress.hosts")?.[0]?.host;
    const scheme = valueAt(values, "langfuse.ingress.tls.enabled") === true ? "https" : "http";
    found.push({ what: "the chart's Ingress", url: `${scheme}://${host}` });
  }
  const service = `${chartFullname(release.inputs.name)}-web`;
  for (const route of resources.filter((r) => r.type === ROUTE_TYPE && r.inputs.metadata?.namespace === release.inputs.namespace)) {
    if (route.inputs.spec?.to?.kind !== "Service" || route.inputs.spec?.to?.name !== service) continue;
    const scheme = route.inputs.spec.tls?.termination ? "https" : "http";
    found.push({ what: `Route "${route.inputs.metadata.name}"`, url: `${scheme}://${route.inputs.spec.host}`, route });
  }
  return found;
}

export const exposureMatchesUrl: Policy = {
  name: "exposure-matches-url",
  description:
    "Each Langfuse release is reached one way, the chart's Ingress or an OpenShift Route to its web Service, whose URL (scheme and host) is NextAuth's; a Route terminates TLS at the edge and redirects plain HTTP.",
  check(resources) {
    const found: [PlannedResource, string][] = [];
    for (const release of resources.filter(isLangfuseRelease)) {
      const url = valueAt(release.inputs.values ?? {}, "langfuse.nextauth.url");
      const ways = exposures(release, resources);
      if (ways.length !== 1) {
        found.push([
          release,
          ways.length === 0
            ? `nothing exposes the web Service ${chartFullname(release.inputs.name)}-web: enable the chart's Ingress or add a Route to it`
            : `the web Service is exposed ${ways.length} ways (${ways.map((w) => w.what).join(", ")}): keep one, so that one URL is NextAuth's`,
        ]);
      }
      for (const way of ways) {
        if (way.url !== url) {
          found.push([release, `values.langfuse.nextauth.url is ${JSON.stringify(url)}, but ${way.what} serves ${way.url}: sign-in redirects need them equal`]);
        }
        const tls = way.route?.inputs.spec.tls;
        if (way.route && (tls?.termination !== "edge" || tls?.insecureEdgeTerminationPolicy !== "Redirect")) {
          found.push([
            way.route,
            `${way.what} has tls ${JSON.stringify(tls ?? null)}: terminate TLS at the edge (termination: edge) and redirect plain HTTP ` +
              `(insecureEdgeTerminationPolicy: Redirect), so that no session cookie crosses the network in clear`,
          ]);
        }
      }
    }
    return violations(this.name, found);
  },
};
