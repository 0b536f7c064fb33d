/**
 * Values paths that the Langfuse chart passes through to its Bitnami subcharts but that its own
 * `values.yaml` does not list. Each entry is a dotted prefix and the subchart value it reaches;
 * nothing outside this list may be set unless the chart's file has it.
 */
export const BITNAMI_ALLOW_LIST: { prefix: string; why: string }[] = [
  { prefix: "postgresql.primary.resources", why: "bitnami/postgresql primary.resources: laptop-sized requests" },
  { prefix: "postgresql.auth.secretKeys.adminPasswordKey", why: "bitnami/postgresql auth.secretKeys.adminPasswordKey (absent from chart 1.5.9's file)" },
  { prefix: "redis.primary.resources", why: "bitnami/valkey primary.resources: laptop-sized requests" },
  { prefix: "clickhouse.resources", why: "bitnami/clickhouse resources (replaces resourcesPreset)" },
  { prefix: "clickhouse.zookeeper.replicaCount", why: "bitnami/zookeeper replicaCount: one keeper on kind" },
  { prefix: "clickhouse.zookeeper.resources", why: "bitnami/zookeeper resources: laptop-sized requests" },
  { prefix: "s3.resources", why: "bitnami/minio resources: laptop-sized requests" },
  { prefix: "global.compatibility.openshift.adaptSecurityContext", why: "bitnami/common: drop fixed UIDs under OpenShift's restricted SCC" },
];

export function isAllowListed(path: string): boolean {
  return BITNAMI_ALLOW_LIST.some((e) => path === e.prefix || path.startsWith(`${e.prefix}.`));
}
