import { INTERNAL_SECRET_KEYS as K } from "./secretKeys";
import { langfuseAppValues, type ValuesContext } from "./langfuseAppValues";

/** Chart 1.5.x's Bitnami stores, one builder per store: each reads its password from the internal Secret by key. */
export const STORES_1_5_X = {
  postgresql: ({ refs, sizing }: ValuesContext) => ({
    auth: {
      existingSecret: refs.internalSecretName,
      // The chart's user is `postgres`: admin and user passwords must be the same key.
      secretKeys: { userPasswordKey: K.postgresPassword, adminPasswordKey: K.postgresPassword },
    },
    primary: { resources: sizing.postgresql.resources },
  }),
  clickhouse: ({ refs, sizing }: ValuesContext) => ({
    auth: { existingSecret: refs.internalSecretName, existingSecretKey: K.clickhousePassword },
    // With one replica the chart turns clustering off; replicas cannot be added to it later.
    replicaCount: sizing.clickhouse.replicas,
    resourcesPreset: "none",
    resources: sizing.clickhouse.resources,
    zookeeper: { replicaCount: sizing.keeper.replicas, resources: sizing.keeper.resources },
  }),
  redis: ({ refs, sizing }: ValuesContext) => ({
    auth: { existingSecret: refs.internalSecretName, existingSecretPasswordKey: K.redisPassword },
    primary: { resources: sizing.redis.resources },
  }),
  s3: ({ refs, sizing }: ValuesContext) => ({
    auth: { existingSecret: refs.internalSecretName, rootUserSecretKey: K.s3User, rootPasswordSecretKey: K.s3Password },
    resources: sizing.s3.resources,
  }),
};

/**
 * Values for chart 1.5.x (Langfuse v3, Bitnami stores). Volume sizes are left to the chart: a
 * running install's StatefulSets cannot change them, and this line is kept for installs that run.
 */
export function chartValues15x(ctx: ValuesContext): Record<string, any> {
  const values: Record<string, any> = {
    langfuse: langfuseAppValues(ctx),
    postgresql: STORES_1_5_X.postgresql(ctx),
    clickhouse: STORES_1_5_X.clickhouse(ctx),
    redis: STORES_1_5_X.redis(ctx),
    s3: STORES_1_5_X.s3(ctx),
  };
  if (ctx.profile.adaptBitnamiSecurityContext) {
    values.global = { compatibility: { openshift: { adaptSecurityContext: "force" } } };
  }
  return values;
}
