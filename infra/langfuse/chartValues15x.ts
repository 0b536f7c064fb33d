import { INTERNAL_SECRET_KEYS as K } from "./secretKeys";
import { langfuseAppValues, type ValuesContext } from "./langfuseAppValues";
import { MANAGED_STORES } from "./managedStoreValues";

/**
 * Every Bitnami store subchart renders a NetworkPolicy of its own by default, with `allowExternal:
 * true`: it admits any pod of any namespace to the store's ports, and NetworkPolicies add up, so it
 * would undo the namespace's fence (network/networkPolicies.ts). Switched off where each subchart
 * reads it (bitnami/charts tags postgresql/16.4.9 `primary.networkPolicy`, valkey/2.2.4,
 * clickhouse/8.0.5, zookeeper/13.7.4 and minio/14.10.5 `networkPolicy`).
 */
const NO_SUBCHART_NETWORK_POLICY = { networkPolicy: { enabled: false } } as const;

/**
 * Chart 1.5.x's Bitnami stores, one builder per store: a managed store turns the bundled one off
 * (managedStoreValues.ts); a bundled one reads its password from the internal Secret by key and
 * leaves the namespace's NetworkPolicies to decide who reaches it.
 */
export const STORES_1_5_X = {
  postgresql: ({ settings, refs, sizing }: ValuesContext) => {
    if (settings.externalStores.postgres) return MANAGED_STORES.postgresql(settings.externalStores.postgres, refs);
    return {
      auth: {
        existingSecret: refs.internalSecretName,
        // The chart's user is `postgres`: admin and user passwords must be the same key.
        secretKeys: { userPasswordKey: K.postgresPassword, adminPasswordKey: K.postgresPassword },
      },
      primary: { resources: sizing.postgresql.resources, ...NO_SUBCHART_NETWORK_POLICY },
    };
  },
  clickhouse: ({ refs, sizing }: ValuesContext) => ({
    auth: { existingSecret: refs.internalSecretName, existingSecretKey: K.clickhousePassword },
    // With one replica the chart turns clustering off; replicas cannot be added to it later.
    replicaCount: sizing.clickhouse.replicas,
    resourcesPreset: "none",
    resources: sizing.clickhouse.resources,
    zookeeper: { replicaCount: sizing.keeper.replicas, resources: sizing.keeper.resources, ...NO_SUBCHART_NETWORK_POLICY },
    ...NO_SUBCHART_NETWORK_POLICY,
  }),
  redis: ({ settings, refs, sizing }: ValuesContext) => {
    if (settings.externalStores.redis) return MANAGED_STORES.redis(settings.externalStores.redis, refs);
    return {
      auth: { existingSecret: refs.internalSecretName, existingSecretPasswordKey: K.redisPassword },
      primary: { resources: sizing.redis.resources },
      ...NO_SUBCHART_NETWORK_POLICY,
    };
  },
  s3: ({ settings, refs, sizing }: ValuesContext) => {
    if (settings.externalStores.s3) return MANAGED_STORES.s3(settings.externalStores.s3, refs);
    return {
      auth: { existingSecret: refs.internalSecretName, rootUserSecretKey: K.s3User, rootPasswordSecretKey: K.s3Password },
      resources: sizing.s3.resources,
      ...NO_SUBCHART_NETWORK_POLICY,
    };
  },
};

/**
 * Values for chart 1.5.x (Langfuse v3, Bitnami stores). Volume sizes are left to the chart: a
 * running install's StatefulSets cannot change them, and this line is kept for installs that run.
 * The Bitnami charts share one switch for OpenShift (drop their fixed UIDs) and one storage class.
 */
export function chartValues15x(ctx: ValuesContext): Record<string, any> {
  const values: Record<string, any> = {
    langfuse: langfuseAppValues(ctx),
    postgresql: STORES_1_5_X.postgresql(ctx),
    clickhouse: STORES_1_5_X.clickhouse(ctx),
    redis: STORES_1_5_X.redis(ctx),
    s3: STORES_1_5_X.s3(ctx),
  };
  const global: Record<string, any> = {};
  if (ctx.profile.assignsUids) global.compatibility = { openshift: { adaptSecurityContext: "force" } };
  if (ctx.settings.storageClassName !== undefined) global.defaultStorageClass = ctx.settings.storageClassName;
  if (Object.keys(global).length > 0) values.global = global;
  return values;
}
