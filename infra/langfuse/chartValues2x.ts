import { INTERNAL_SECRET_KEYS as K } from "./secretKeys";
import { langfuseAppValues, type ValuesContext } from "./langfuseAppValues";
import { POSTGRES_ACCOUNTS, REDIS_ACL_USER } from "./storeSecrets";

/**
 * Chart 2.x's stores, one builder per store. Each pins every secret the chart would otherwise
 * generate with `lookup` (a new value on every render where the cluster cannot be read): Langfuse
 * reads its passwords from the internal Secret, the store's own subchart from its store Secret.
 */
export const STORES_2_X = {
  postgresql: ({ refs, sizing }: ValuesContext) => ({
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
    storage: { requestedSize: sizing.postgresql.storage },
  }),
  redis: ({ refs, sizing }: ValuesContext) => ({
    auth: {
      username: REDIS_ACL_USER,
      existingSecret: refs.internalSecretName,
      existingSecretPasswordKey: K.redisPassword,
      usersExistingSecret: refs.storeSecretNames.redis,
    },
    resources: sizing.redis.resources,
    dataStorage: { requestedSize: sizing.redis.storage },
  }),
  clickhouse: ({ settings, refs, sizing }: ValuesContext) => ({
    // The chart refuses to render unless the operator's CRDs are served (`crdCheck`). When this
    // program installs the operator, the CRDs appear only during the update itself, after the
    // operator's release and before Langfuse's (dependsOn): a render ahead of that point, such
    // as a first `pulumi preview` on a fresh cluster, would fail on the check although the
    // order it protects is already guaranteed. When the cluster runs its own operator, the CRDs
    // must exist beforehand, so the check stays on and a missing operator fails with the chart's
    // own message instead of an unknown kind halfway through the install.
    crdCheck: !settings.installClickhouseOperator,
    auth: { existingSecret: refs.internalSecretName, existingSecretKey: K.clickhousePassword },
    cluster: {
      replicas: sizing.clickhouse.replicas,
      resources: sizing.clickhouse.resources,
      storage: { size: sizing.clickhouse.storage },
    },
    keeper: {
      replicas: sizing.keeper.replicas,
      resources: sizing.keeper.resources,
      storage: { size: sizing.keeper.storage },
    },
  }),
  s3: ({ refs, sizing }: ValuesContext) => ({
    auth: { existingSecret: refs.internalSecretName, rootUserSecretKey: K.s3User, rootPasswordSecretKey: K.s3Password },
    allInOne: {
      s3: { existingConfigSecret: refs.storeSecretNames.s3 },
      resources: sizing.s3.resources,
      data: { size: sizing.s3.storage },
    },
  }),
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
