// The pods a Langfuse release runs in its namespace, with the labels and container ports they are
// created with, per chart line: this policy set's own reading of the charts' and the ClickHouse
// operator's sources (not the program's selectors), so that a selector that misses a pod is caught.
//
// Chart 2.x (langfuse/langfuse-k8s tag langfuse-2.0.0):
// - web, worker: charts/langfuse/templates/{web,worker}/deployment.yaml (selectorLabels, component, app);
//   ports `http` = langfuse.web.service.port (3000) and langfuse.worker.port (3030).
// - postgresql: groundhog2k/helm-charts tag postgres-1.6.3, charts/postgres/templates/statefulset.yaml
//   (selectorLabels; the alias `postgresql` is the chart name); port `postgres` 5432.
// - redis: valkey-io/valkey-helm tag valkey-0.9.4, valkey/templates/deploy_valkey.yaml (selectorLabels;
//   alias `redis`); port `tcp` = service.port 6379.
// - s3: seaweedfs/seaweedfs tag 4.23, k8s/charts/seaweedfs/templates/all-in-one/all-in-one-deployment.yaml
//   (alias `s3`); master 9333/19333, volume 8080/18080, filer 8888/18888, S3 8333 (the Langfuse chart's
//   s3.allInOne.s3.port), metrics 9324. Its post-install hook (shared/post-install-bucket-hook.yaml),
//   Job `<release>-bucket-hook`, creates the bucket through the master and the filer.
// - clickhouse, keeper: built by ClickHouse Inc's operator for the chart's ClickHouseCluster and
//   KeeperCluster named `<fullname>` (templates/clickhouse/{cluster,keeper}.yaml). Labels and ports
//   from ClickHouse/clickhouse-operator (commit 581494e, 2026-02-27, internal/controllerutil/labels.go,
//   internal/controller/{clickhouse,keeper}/templates.go and constants.go): `app: <name>-clickhouse`
//   or `<name>-keeper`, `clickhouse.com/role`; ClickHouse http 8123, tcp 9000, management 9001,
//   interserver 9009, prometheus 9363; Keeper keeper 2181, raft-ipc 9234, prometheus 9090.
// Chart 1.5.x (tags langfuse-1.5.41 and langfuse-1.5.9, Bitnami subcharts from bitnami/charts tags
// postgresql/16.4.9, valkey/2.2.4, clickhouse/8.0.5, zookeeper/13.7.4, minio/14.10.5):
// - web, worker as on 2.x, without `app.kubernetes.io/component` before 1.5.27;
// - every Bitnami pod: `app.kubernetes.io/name: <chart or alias>`, `app.kubernetes.io/instance:
//   <release>`, and a component: postgresql primary (tcp-postgresql 5432), valkey primary (redis
//   6379), clickhouse clickhouse (+ `shard`; http 8123, tcp 9000, tcp-mysql 9004, tcp-postgresql 9005,
//   http-intersrv 9009), zookeeper zookeeper (client 2181, follower 2888 and election 3888 with more
//   than one replica, http-admin 8080), minio none (minio-api 9000, minio-console 9001).
import type { ContainerPort } from "./networkPolicySemantics";

export interface LangfusePod {
  /** What the pod is: web, worker, postgresql, redis, s3, clickhouse, keeper, s3-bucket-hook. */
  role: string;
  labels: Record<string, string>;
  ports: ContainerPort[];
  /** A store: nothing outside the release may reach any of its ports. */
  store: boolean;
}

const tcp = (name: string, containerPort: number): ContainerPort => ({ name, containerPort, protocol: "TCP" });

/** The chart's `langfuse.fullname`, with no override: the release name where it contains "langfuse". */
function fullname(release: string): string {
  return release.includes("langfuse") ? release : `${release}-langfuse`;
}

const deployed = (values: any, store: string) => values?.[store]?.deploy !== false;

function langfusePods(release: string, withComponent: boolean): LangfusePod[] {
  return (["web", "worker"] as const).map((app) => ({
    role: app,
    labels: {
      "app.kubernetes.io/name": "langfuse",
      "app.kubernetes.io/instance": release,
      ...(withComponent ? { "app.kubernetes.io/component": app } : {}),
      app,
    },
    ports: [tcp("http", app === "web" ? 3000 : 3030)],
    store: false,
  }));
}

/** The pods of a chart 2.x release, as its values deploy them. */
function pods2x(release: string, values: any): LangfusePod[] {
  const name = fullname(release);
  const pods = langfusePods(release, true);
  if (deployed(values, "postgresql")) {
    pods.push({
      role: "postgresql",
      labels: { "app.kubernetes.io/name": "postgresql", "app.kubernetes.io/instance": release },
      ports: [tcp("postgres", 5432)],
      store: true,
    });
  }
  if (deployed(values, "redis")) {
    pods.push({ role: "redis", labels: { "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": release }, ports: [tcp("tcp", 6379)], store: true });
  }
  if (deployed(values, "s3")) {
    pods.push({
      role: "s3",
      labels: {
        "app.kubernetes.io/name": "s3",
        "helm.sh/chart": "s3-4.23.0",
        "app.kubernetes.io/instance": release,
        "app.kubernetes.io/component": "seaweedfs-all-in-one",
      },
      ports: [
        tcp("swfs-mas", 9333),
        tcp("swfs-mas-grpc", 19333),
        tcp("swfs-vol", 8080),
        tcp("swfs-vol-grpc", 18080),
        tcp("swfs-fil", 8888),
        tcp("swfs-fil-grpc", 18888),
        tcp("swfs-s3", 8333),
        tcp("server-metrics", 9324),
      ],
      store: true,
    });
    pods.push({
      role: "s3-bucket-hook",
      labels: {
        "app.kubernetes.io/managed-by": "Helm",
        "app.kubernetes.io/instance": release,
        "batch.kubernetes.io/job-name": `${release}-bucket-hook`,
        "job-name": `${release}-bucket-hook`,
      },
      ports: [],
      store: false,
    });
  }
  if (deployed(values, "clickhouse")) {
    pods.push({
      role: "clickhouse",
      labels: {
        app: `${name}-clickhouse`,
        "app.kubernetes.io/instance": `${name}-clickhouse`,
        "app.kubernetes.io/name": "clickhouse-server",
        "clickhouse.com/role": "clickhouse-server",
        "clickhouse.com/shard-id": "0",
        "clickhouse.com/replica-id": "0",
      },
      ports: [tcp("http", 8123), tcp("interserver", 9009), tcp("management", 9001), tcp("prometheus", 9363), tcp("tcp", 9000)],
      store: true,
    });
    pods.push({
      role: "keeper",
      labels: {
        app: `${name}-keeper`,
        "app.kubernetes.io/instance": `${name}-keeper`,
        "app.kubernetes.io/name": "clickhouse-keeper",
        "clickhouse.com/role": "clickhouse-keeper",
        "clickhouse.com/keeper-replica-id": "0",
      },
      ports: [tcp("raft-ipc", 9234), tcp("prometheus", 9090), tcp("keeper", 2181)],
      store: true,
    });
  }
  return pods;
}

/** The pods of a chart 1.5.x release (Bitnami stores), as its values deploy them. */
function pods15x(release: string, version: string, values: any): LangfusePod[] {
  const patch = Number(/^v?1\.5\.(\d+)/.exec(version)?.[1] ?? 0);
  const pods = langfusePods(release, patch >= 27);
  const bitnami = (name: string, chart: string, component: string | undefined) => ({
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/instance": release,
    "app.kubernetes.io/managed-by": "Helm",
    "helm.sh/chart": chart,
    ...(component ? { "app.kubernetes.io/component": component } : {}),
  });
  if (deployed(values, "postgresql")) {
    pods.push({ role: "postgresql", labels: bitnami("postgresql", "postgresql-16.4.9", "primary"), ports: [tcp("tcp-postgresql", 5432)], store: true });
  }
  if (deployed(values, "redis")) {
    pods.push({ role: "redis", labels: bitnami("redis", "redis-2.2.4", "primary"), ports: [tcp("redis", 6379)], store: true });
  }
  if (deployed(values, "s3")) {
    pods.push({ role: "s3", labels: bitnami("s3", "s3-14.10.5", undefined), ports: [tcp("minio-api", 9000), tcp("minio-console", 9001)], store: true });
  }
  if (deployed(values, "clickhouse")) {
    pods.push({
      role: "clickhouse",
      labels: { ...bitnami("clickhouse", "clickhouse-8.0.5", "clickhouse"), shard: "0" },
      ports: [tcp("http", 8123), tcp("tcp", 9000), tcp("tcp-postgresql", 9005), tcp("tcp-mysql", 9004), tcp("http-intersrv", 9009)],
      store: true,
    });
    const keepers = Number(values?.clickhouse?.zookeeper?.replicaCount ?? 1);
    pods.push({
      role: "keeper",
      labels: bitnami("zookeeper", "zookeeper-13.7.4", "zookeeper"),
      ports: [tcp("client", 2181), ...(keepers > 1 ? [tcp("follower", 2888), tcp("election", 3888)] : []), tcp("http-admin", 8080)],
      store: true,
    });
  }
  return pods;
}

/** The pods of a Langfuse release, or undefined for a chart line these sources do not cover. */
export function langfuseReleasePods(release: { name: string; version: string; values: unknown }): LangfusePod[] | undefined {
  const major = Number(/^v?(\d+)\./.exec(release.version)?.[1]);
  if (major === 2) return pods2x(release.name, release.values);
  if (major === 1) return pods15x(release.name, release.version, release.values);
  return undefined;
}
