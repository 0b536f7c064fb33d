/**
 * Values paths that the Langfuse chart passes through to a store subchart but that its own
 * `values.yaml` does not list, per chart major. Each entry is a dotted prefix and the subchart
 * value it reaches; nothing outside these lists may be set unless the chart's file has it.
 */
export const SUBCHART_ALLOW_LIST: Record<number, { prefix: string; why: string }[]> = {
  // Chart 1.x: the Bitnami subcharts (postgresql 16.4.9, valkey, clickhouse 8.0.5 with zookeeper, minio; common 2.30.0).
  1: [
    { prefix: "postgresql.primary.resources", why: "bitnami/postgresql primary.resources: laptop-sized requests" },
    { prefix: "postgresql.auth.secretKeys.adminPasswordKey", why: "bitnami/postgresql auth.secretKeys.adminPasswordKey (absent from chart 1.5.9's file)" },
    { prefix: "redis.primary.resources", why: "bitnami/valkey primary.resources: laptop-sized requests" },
    { prefix: "clickhouse.resources", why: "bitnami/clickhouse resources (replaces resourcesPreset)" },
    { prefix: "clickhouse.zookeeper.replicaCount", why: "bitnami/zookeeper replicaCount: one keeper on kind, three in production" },
    { prefix: "clickhouse.zookeeper.resources", why: "bitnami/zookeeper resources: laptop-sized requests" },
    { prefix: "s3.resources", why: "bitnami/minio resources: laptop-sized requests" },
    { prefix: "global.compatibility.openshift.adaptSecurityContext", why: "bitnami/common: drop fixed UIDs under OpenShift's restricted SCC" },
    { prefix: "global.defaultStorageClass", why: "bitnami/common: the StorageClass of every Bitnami volume claim" },
    // Each store's own NetworkPolicy (on by default, allowExternal: true), switched off so that the namespace's decide.
    { prefix: "postgresql.primary.networkPolicy.enabled", why: "bitnami/postgresql 16.4.9 primary.networkPolicy.enabled" },
    { prefix: "redis.networkPolicy.enabled", why: "bitnami/valkey 2.2.4 networkPolicy.enabled" },
    { prefix: "clickhouse.networkPolicy.enabled", why: "bitnami/clickhouse 8.0.5 networkPolicy.enabled" },
    { prefix: "clickhouse.zookeeper.networkPolicy.enabled", why: "bitnami/zookeeper 13.7.4 networkPolicy.enabled" },
    { prefix: "s3.networkPolicy.enabled", why: "bitnami/minio 14.10.5 networkPolicy.enabled" },
  ],
  // Chart 2.x lists nearly every value it passes on; valkey-io/valkey 0.9.4 also fixes its
  // container's UID (securityContext.runAsUser: 1000), which the chart's file does not list.
  2: [{ prefix: "redis.securityContext.runAsUser", why: "valkey-io/valkey securityContext.runAsUser: deleted where the platform assigns UIDs" }],
};

export function isAllowListed(chartMajor: number | undefined, path: string): boolean {
  return (SUBCHART_ALLOW_LIST[chartMajor ?? -1] ?? []).some((e) => path === e.prefix || path.startsWith(`${e.prefix}.`));
}
