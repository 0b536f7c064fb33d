import { walkObjects } from "./secretLike";
import { chartMajor, langfuseDeployments, type PlannedResource, type Policy, RELEASE_TYPE, valueAt, violations } from "./types";

/** The security-context fields that fix an identity OpenShift's restricted-v2 SCC assigns itself. */
const UID_FIELDS = ["runAsUser", "runAsGroup", "fsGroup"];

/**
 * Identities the store subcharts fix in their own values.yaml, below what the Langfuse chart's file
 * lists (which this policy reads itself), per chart major. Read from the subcharts' sources.
 */
const SUBCHART_FIXED: Record<number, { path: string; value: number; source: string }[]> = {
  2: [{ path: "redis.securityContext.runAsUser", value: 1000, source: "valkey-io/valkey 0.9.4's container securityContext" }],
};

/** Chart 1.x's Bitnami stores, each fixing UID/GID 1001 unless Bitnami's OpenShift switch drops them. */
const BITNAMI_STORES = ["postgresql", "redis", "clickhouse", "s3"];

const deployed = (values: unknown, defaults: unknown, store: string) =>
  (valueAt(values, `${store}.deploy`) ?? valueAt(defaults, `${store}.deploy`) ?? true) !== false;

export const noFixedUids: Policy = {
  name: "no-fixed-uids",
  description:
    "On OpenShift, no value of any release fixes a runAsUser, runAsGroup or fsGroup, and every one a deployed store subchart fixes by default is taken away (null on chart 2.x, Bitnami's adaptSecurityContext force on 1.x).",
  check(resources, ctx) {
    const found: [PlannedResource, string][] = [];
    const deployments = langfuseDeployments(resources);
    if (!deployments.some((d) => d.platform === "openshift")) return violations(this.name, found);

    // What we set, on every release of the stack: cert-manager and the operator run there too.
    for (const release of resources.filter((r) => r.type === RELEASE_TYPE)) {
      walkObjects(release.inputs.values ?? {}, (obj, path) => {
        for (const field of UID_FIELDS) {
          if (typeof obj[field] === "number") {
            found.push([release, `values.${path ? `${path}.` : ""}${field} fixes ${field} ${obj[field]}: OpenShift assigns it per namespace and refuses pods that fix one; leave it unset`]);
          }
        }
      });
    }

    // What the Langfuse chart's stores fix by default, wherever the store is deployed.
    for (const { release } of deployments.filter((d) => d.platform === "openshift")) {
      const values = release.inputs.values ?? {};
      const defaults = ctx.chartDefaults(release.inputs.version);
      const major = chartMajor(release);
      const fixedByDefault: { path: string; value: number; source: string }[] = [...(SUBCHART_FIXED[major ?? -1] ?? [])];
      walkObjects(defaults ?? {}, (obj, path) => {
        for (const field of UID_FIELDS) {
          if (typeof obj[field] === "number") fixedByDefault.push({ path: `${path}.${field}`, value: obj[field], source: `chart ${release.inputs.version}'s values.yaml` });
        }
      });
      for (const fixed of fixedByDefault) {
        if (deployed(values, defaults, fixed.path.split(".")[0]) && valueAt(values, fixed.path) !== null) {
          found.push([release, `values.${fixed.path} stays ${fixed.value} (${fixed.source}): set it to null, which deletes the default, so that OpenShift assigns it`]);
        }
      }
      if (major === 1 && BITNAMI_STORES.some((s) => deployed(values, defaults, s))) {
        const mode = valueAt(values, "global.compatibility.openshift.adaptSecurityContext");
        if (mode !== "force") {
          found.push([
            release,
            `values.global.compatibility.openshift.adaptSecurityContext is ${JSON.stringify(mode ?? "auto")}: set it to "force", ` +
              `or the Bitnami stores keep UID and GID 1001 wherever the chart renders without the cluster's API list`,
          ]);
        }
      }
    }
    return violations(this.name, found);
  },
};
