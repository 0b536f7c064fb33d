import { INTERNAL_SECRET_KEYS as K } from "./secretKeys";
import { langfuseAppValues, type ValuesContext } from "./langfuseAppValues";
import { MANAGED_STORES } from "./managedStoreValues";
import { POSTGRES_ACCOUNTS, REDIS_ACL_USER } from "./storeSecrets";

/** `{ className }` where a storage class is configured, else nothing (the cluster's default). */
const storageClass = (ctx: ValuesContext, field = "className") =>
  ctx.settings.storageClassName !== undefined ? { [field]: ctx.settings.storageClassName } : {};

/**
 * Chart 2.x's stores, one builder per store. A managed store turns the bundled one off
 * (managedStoreValues.ts). A bundled one pins every secret the chart would otherwise generate
 * with `lookup` (a new value on every render where the cluster cannot be read): Langfuse reads its
 * passwords from the internal Secret, the store's own subchart from its store Secret. Where the
 * platform assigns UIDs, the UIDs and fsGroups the subcharts fix by default are deleted (null
 * removes a default in Helm): PostgreSQL's 999, Valkey's 1000.
 */
export const STORES_2_X = {
  postgresql: (ctx: ValuesContext) => {
    const { settings, refs, sizing, profile } = ctx;
    if (settings.externalStores.postgres) return MANAGED_STORES.postgresql(settings.externalStores.postgres, refs);
    return {
      auth: {
        // Named here as in the store Secret, so that what Langfuse connects as is what PostgreSQL creates.
        username: POSTGRES_ACCOUNTS.user,
        database: POSTGRES_ACCOUNTS.database,
        existingSecret: refs.internalSecretName,
        secretKeys: { userPasswordKey: K.postgresPassword, adminPasswordKey: K.postgresPassword },
      },
      settings: { existingSecret: refs.storeSecretNames.postgresql },
      userDatabase: { existingSecret: refs.storeSecretNames.postgresql },
      resources: sizing.postgresql.resources,
      storage: { requestedSize: sizing.postgresql.storage, ...storageClass(ctx) },
      ...(profile.assignsUids
        ? { podSecurityContext: { fsGroup: null }, securityContext: { runAsUser: null, runAsGroup: null } }
        : {}),
    };
  },
  redis: (ctx: ValuesContext) => {
    const { settings, refs, sizing, profile } = ctx;
    if (settings.externalStores.redis) return MANAGED_STORES.redis(settings.externalStores.redis, refs);
    return {
      auth: {
        username: REDIS_ACL_USER,
        existingSecret: refs.internalSecretName,
        existingSecretPasswordKey: K.redisPassword,
        usersExistingSecret: refs.storeSecretNames.redis,
      },
      resources: sizing.redis.resources,
      dataStorage: { requestedSize: sizing.redis.storage, ...storageClass(ctx) },
      ...(profile.assignsUids
        ? {
            // The pod's seccompProfile default stays; the container sets its UID again (valkey-helm's securityContext).
            podSecurityContext: { fsGroup: null, runAsUser: null, runAsGroup: null },
            securityContext: { runAsUser: null },
          }
        : {}),
    };
  },
  clickhouse: (ctx: ValuesContext) => ({
    // The chart refuses to render unless the operator's CRDs are served (`crdCheck`). When this
    // program installs the operator, the CRDs appear only during the update itself, after the
    // operator's release and before Langfuse's (dependsOn): a render ahead of that point, such
    // as a first `pulumi preview` on a fresh cluster, would fail on the check although the
    // order it protects is already guaranteed. When the cluster runs its own operator, the CRDs
    // must exist beforehand, so the check stays on and a missing operator fails with the chart's
    // own message instead of an unknown kind halfway through the install.
    crdCheck: !ctx.settings.installClickhouseOperator,
    auth: { existingSecret: ctx.refs.internalSecretName, existingSecretKey: K.clickhousePassword },
    // Its pods are the operator's to build: their security context is no value of this chart.
    cluster: {
      replicas: ctx.sizing.clickhouse.replicas,
      resources: ctx.sizing.clickhouse.resources,
      storage: { size: ctx.sizing.clickhouse.storage, ...storageClass(ctx) },
    },
    keeper: {
      replicas: ctx.sizing.keeper.replicas,
      resources: ctx.sizing.keeper.resources,
      storage: { size: ctx.sizing.keeper.storage, ...storageClass(ctx) },
    },
  }),
  s3: (ctx: ValuesContext) => {
    const { settings, refs, sizing } = ctx;
    if (settings.externalStores.s3) return MANAGED_STORES.s3(settings.externalStores.s3, refs);
    return {
      auth: { existingSecret: refs.internalSecretName, rootUserSecretKey: K.s3User, rootPasswordSecretKey: K.s3Password },
      allInOne: {
        s3: { existingConfigSecret: refs.storeSecretNames.s3 },
        resources: sizing.s3.resources,
        data: { size: sizing.s3.storage, ...storageClass(ctx, "storageClass") },
      },
    };
  },
};

/** Values for chart 2.x (Langfuse v4; groundhog2k PostgreSQL, Valkey, SeaweedFS, operator-run ClickHouse). */
export function chartValues2x(ctx: ValuesContext): Record<string, any> {
  return {
    langfuse: langfuseAppValues(ctx, [
      { name: "LANGFUSE_MIGRATION_V4_WRITE_MODE", value: ctx.settings.v4WriteMode },
    ]),
    postgresql: STORES_2_X.postgresql(ctx),
    redis: STORES_2_X.redis(ctx),
    clickhouse: STORES_2_X.clickhouse(ctx),
    s3: STORES_2_X.s3(ctx),
  };
}
