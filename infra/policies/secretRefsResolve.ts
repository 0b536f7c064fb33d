import { walkObjects } from "./secretLike";
import { type PlannedResource, type Policy, RELEASE_TYPE, SECRET_TYPE, violations } from "./types";

/** Where the chart takes a store's existing Secret, and the fields naming its keys. */
export const STORE_SECRET_FIELDS: Record<string, string[]> = {
  "postgresql.auth": ["secretKeys.userPasswordKey", "secretKeys.adminPasswordKey"],
  "clickhouse.auth": ["existingSecretKey"],
  "redis.auth": ["existingSecretPasswordKey"],
  "s3.auth": ["rootUserSecretKey", "rootPasswordSecretKey"],
};

const get = (obj: any, dotted: string): any => dotted.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);

/** Every Secret reference in chart values, as `{ at, name, key }`. */
export function chartSecretRefs(values: Record<string, unknown>): { at: string; name: string; key: string | undefined }[] {
  const refs: { at: string; name: string; key: string | undefined }[] = [];
  walkObjects(values, (obj, path) => {
    const ref = obj.secretKeyRef;
    if (ref && typeof ref === "object" && (ref.name || ref.key)) {
      refs.push({ at: `${path}.secretKeyRef`, name: ref.name, key: ref.key });
    }
    if (typeof obj.existingSecret === "string" && obj.existingSecret !== "") {
      const keyFields = STORE_SECRET_FIELDS[path];
      if (keyFields === undefined) {
        refs.push({ at: `${path}.existingSecret`, name: obj.existingSecret, key: undefined });
      }
      for (const field of keyFields ?? []) {
        refs.push({ at: `${path}.${field}`, name: obj.existingSecret, key: get(obj, field) });
      }
    }
  });
  return refs;
}

export const secretRefsResolve: Policy = {
  name: "secret-refs-resolve",
  description: "Every secretKeyRef / existingSecret in chart values names a key of a Secret this program creates in the release's namespace.",
  check(resources) {
    const found: [PlannedResource, string][] = [];
    for (const release of resources.filter((r) => r.type === RELEASE_TYPE)) {
      const ns = release.inputs.namespace;
      const secrets = new Map<string, Set<string>>();
      for (const s of resources.filter((r) => r.type === SECRET_TYPE && r.inputs.metadata?.namespace === ns)) {
        secrets.set(s.inputs.metadata.name, new Set([...Object.keys(s.inputs.stringData ?? {}), ...Object.keys(s.inputs.data ?? {})]));
      }
      for (const ref of chartSecretRefs(release.inputs.values ?? {})) {
        const keys = secrets.get(ref.name);
        if (keys === undefined) {
          found.push([release, `values.${ref.at} names Secret "${ref.name}", which this program does not create in namespace "${ns}"`]);
        } else if (ref.key === undefined || ref.key === "") {
          found.push([release, `values.${ref.at} names no key of Secret "${ref.name}": set the key name the chart should read`]);
        } else if (!keys.has(ref.key)) {
          found.push([release, `values.${ref.at} names key "${ref.key}", which Secret "${ref.name}" lacks (it has ${[...keys].join(", ")})`]);
        }
      }
    }
    return violations(this.name, found);
  },
};
