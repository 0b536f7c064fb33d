import { walkObjects } from "./secretLike";
import { isLangfuseRelease, type PlannedResource, type Policy, RELEASE_TYPE, SECRET_TYPE, UNKNOWN_AT_PREVIEW, valueAt, violations } from "./types";

/** One key the chart (or a subchart) reads from a Secret it is given by name. */
export interface SecretRef {
  /** Values path of the field that names the key, or of the Secret's name where the key is fixed. */
  at: string;
  name: string;
  key: string | undefined;
  /** The key is the store's own fixed name (or set in a separate field), not named at `at`. */
  fixed: boolean;
}

type KeysOf = (obj: any, values: any, defaults: any) => { key: string | undefined; at?: string }[];

/** Key names set in fields beside the Secret's name. */
const fields = (...names: string[]): KeysOf => (obj) => names.map((f) => ({ key: valueAt(obj, f), at: f }));

/** Fixed key names, each overridable in a `<field>.secretKey` (groundhog2k's convention). */
const fixedKeys = (keys: Record<string, string>): KeysOf => (obj) =>
  Object.entries(keys).map(([field, key]) => ({ key: valueAt(obj, `${field}.secretKey`) ?? key }));

/**
 * Langfuse's password, and the superuser's where the chart deploys PostgreSQL: with `deploy: false`
 * no superuser is created, and the chart reads `adminPasswordKey` nowhere.
 */
const postgresAuthKeys: KeysOf = (obj, values, defaults) =>
  fields("secretKeys.userPasswordKey", ...(valueAt(values, "postgresql.deploy") === false ? [] : ["secretKeys.adminPasswordKey"]))(obj, values, defaults);

/** One key per Valkey ACL user, named after the user unless `passwordKey` says otherwise. */
const aclUserKeys: KeysOf = (obj, _values, defaults) => {
  const users = { ...(valueAt(defaults, "redis.auth.aclUsers") ?? { default: {} }), ...(obj.aclUsers ?? {}) };
  return Object.entries(users).map(([user, spec]) => ({ key: (spec as any)?.passwordKey ?? user }));
};

/**
 * Where the chart and its stores take an existing Secret by name, written from the chart's
 * templates and its subcharts' (1.5.x Bitnami; 2.x groundhog2k, valkey-io and SeaweedFS).
 */
export const NAMED_SECRETS: { path: string; nameField: string; keys: KeysOf }[] = [
  { path: "postgresql.auth", nameField: "existingSecret", keys: postgresAuthKeys },
  { path: "clickhouse.auth", nameField: "existingSecret", keys: fields("existingSecretKey") },
  { path: "redis.auth", nameField: "existingSecret", keys: fields("existingSecretPasswordKey") },
  { path: "s3.auth", nameField: "existingSecret", keys: fields("rootUserSecretKey", "rootPasswordSecretKey") },
  // Chart 2.x: PostgreSQL's superuser and its Langfuse database and user.
  { path: "postgresql.settings", nameField: "existingSecret", keys: fixedKeys({ superuser: "POSTGRES_USER", superuserPassword: "POSTGRES_PASSWORD" }) },
  {
    path: "postgresql.userDatabase",
    nameField: "existingSecret",
    keys: fixedKeys({ name: "POSTGRES_DB", user: "USERDB_USER", password: "USERDB_PASSWORD" }),
  },
  // Chart 2.x: Valkey's ACL users and SeaweedFS's IAM config, both mounted whole.
  { path: "redis.auth", nameField: "usersExistingSecret", keys: aclUserKeys },
  { path: "s3.allInOne.s3", nameField: "existingConfigSecret", keys: () => [{ key: "seaweedfs_s3_config" }] },
];

/** Every Secret reference in chart values. `defaults` is the chart's values.yaml, where known. */
export function chartSecretRefs(values: Record<string, unknown>, defaults?: unknown): SecretRef[] {
  const refs: SecretRef[] = [];
  walkObjects(values, (obj, path) => {
    const ref = obj.secretKeyRef;
    if (ref && typeof ref === "object" && (ref.name || ref.key)) {
      refs.push({ at: `${path}.secretKeyRef`, name: ref.name, key: ref.key, fixed: false });
    }
    const known = NAMED_SECRETS.filter((n) => n.path === path);
    for (const { nameField, keys } of known) {
      const name = obj[nameField];
      if (typeof name !== "string" || name === "") continue;
      for (const k of keys(obj, values, defaults)) {
        refs.push(
          k.at
            ? { at: `${path}.${k.at}`, name, key: k.key, fixed: false }
            : { at: `${path}.${nameField}`, name, key: k.key, fixed: true },
        );
      }
    }
    if (typeof obj.existingSecret === "string" && obj.existingSecret !== "" && !known.some((n) => n.nameField === "existingSecret")) {
      refs.push({ at: `${path}.existingSecret`, name: obj.existingSecret, key: undefined, fixed: false });
    }
  });
  return refs;
}

export const secretRefsResolve: Policy = {
  name: "secret-refs-resolve",
  description:
    "Every secretKeyRef / existingSecret in chart values names a key of a Secret this program creates in the release's namespace, including the keys each store reads from a Secret of its own shape.",
  check(resources, ctx) {
    const found: [PlannedResource, string][] = [];
    for (const release of resources.filter((r) => r.type === RELEASE_TYPE)) {
      const ns = release.inputs.namespace;
      // A Secret whose data is unknown at preview (made from random values) has keys nobody can list yet.
      const secrets = new Map<string, Set<string> | "unknown">();
      for (const s of resources.filter((r) => r.type === SECRET_TYPE && r.inputs.metadata?.namespace === ns)) {
        const fields = [s.inputs.stringData, s.inputs.data];
        secrets.set(
          s.inputs.metadata.name,
          fields.includes(UNKNOWN_AT_PREVIEW) ? "unknown" : new Set(fields.flatMap((f) => Object.keys(f ?? {}))),
        );
      }
      const defaults = isLangfuseRelease(release) ? ctx.chartDefaults(release.inputs.version) : undefined;
      for (const ref of chartSecretRefs(release.inputs.values ?? {}, defaults)) {
        const keys = secrets.get(ref.name);
        if (keys === undefined) {
          found.push([release, `values.${ref.at} names Secret "${ref.name}", which this program does not create in namespace "${ns}"`]);
        } else if (ref.key === undefined || ref.key === "") {
          found.push([release, `values.${ref.at} names no key of Secret "${ref.name}": set the key name the chart should read`]);
        } else if (keys !== "unknown" && !keys.has(ref.key)) {
          const has = `it has ${[...keys].join(", ")}`;
          found.push([
            release,
            ref.fixed
              ? `values.${ref.at} names Secret "${ref.name}", which lacks key "${ref.key}" that the store reads (${has})`
              : `values.${ref.at} names key "${ref.key}", which Secret "${ref.name}" lacks (${has})`,
          ]);
        }
      }
    }
    return violations(this.name, found);
  },
};
