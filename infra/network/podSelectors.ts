import type { ChartLine } from "../langfuse/chartLine";

/**
 * The labels that select each workload of a Langfuse release, and the ports its clients use, per
 * chart line: data, written from the charts' and the operator's own sources at the pinned
 * versions. Each selector keeps only labels that every version of its line sets (the chart's own
 * Service selectors where there is one), so a pod is never missed for a label it lacks.
 */
export interface Workload {
  /** matchLabels of the pods. */
  selector: Record<string, string>;
  /** The ports Langfuse (or the store's own clients) connect to. */
  clientPorts: number[];
}

export interface ReleaseWorkloads {
  web: Workload;
  worker: Workload;
  postgresql: Workload;
  redis: Workload;
  s3: Workload;
  clickhouse: Workload;
  /** ClickHouse Keeper on 2.x, ZooKeeper on 1.5.x: what ClickHouse coordinates through. */
  keeper: Workload;
  /** Pods that only bootstrap a store and must reach it (2.x: SeaweedFS's bucket hook). */
  storeBootstrap: { s3?: Workload };
}

/** The chart's `langfuse.fullname` for a release name, without overrides. */
const fullname = (release: string) => (release.includes("langfuse") ? release : `${release}-langfuse`);

/**
 * Langfuse web and worker, both lines (langfuse/langfuse-k8s tags langfuse-2.0.0, langfuse-1.5.41,
 * langfuse-1.5.9: templates/{web,worker}/deployment.yaml and web/service.yaml). The Service's own
 * selector (`selectorLabels` + `app`); `app.kubernetes.io/component` is absent before 1.5.27.
 * Web serves the port named `http`: langfuse.web.service.port, 3000.
 */
const langfuse = (release: string, app: "web" | "worker"): Workload => ({
  selector: { "app.kubernetes.io/name": "langfuse", "app.kubernetes.io/instance": release, app },
  clientPorts: app === "web" ? [3000] : [],
});

export const RELEASE_WORKLOADS: Record<ChartLine, (release: string) => ReleaseWorkloads> = {
  "2.x": (release) => ({
    web: langfuse(release, "web"),
    worker: langfuse(release, "worker"),
    // groundhog2k/helm-charts tag postgres-1.6.3, charts/postgres: selectorLabels (the alias is the chart's name); port 5432.
    postgresql: { selector: { "app.kubernetes.io/name": "postgresql", "app.kubernetes.io/instance": release }, clientPorts: [5432] },
    // valkey-io/valkey-helm tag valkey-0.9.4, valkey/templates/deploy_valkey.yaml: selectorLabels (alias redis); service.port 6379.
    redis: { selector: { "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": release }, clientPorts: [6379] },
    // seaweedfs/seaweedfs tag 4.23, all-in-one-deployment.yaml (alias s3); the S3 gateway on the
    // Langfuse chart's s3.allInOne.s3.port, 8333.
    s3: {
      selector: { "app.kubernetes.io/name": "s3", "app.kubernetes.io/instance": release, "app.kubernetes.io/component": "seaweedfs-all-in-one" },
      clientPorts: [8333],
    },
    // ClickHouse/clickhouse-operator (commit 581494e; labels.go, clickhouse/templates.go): the pods
    // of ClickHouseCluster `<fullname>` carry `app: <fullname>-clickhouse` and the role; Langfuse
    // queries over HTTP (8123) and migrates over the native protocol (9000).
    clickhouse: { selector: { app: `${fullname(release)}-clickhouse`, "clickhouse.com/role": "clickhouse-server" }, clientPorts: [8123, 9000] },
    // KeeperCluster `<fullname>` (keeper/templates.go): ClickHouse connects on the native port 2181.
    keeper: { selector: { app: `${fullname(release)}-keeper`, "clickhouse.com/role": "clickhouse-keeper" }, clientPorts: [2181] },
    // SeaweedFS's post-install hook, Job `<release>-bucket-hook` (shared/post-install-bucket-hook.yaml),
    // waits for the master (9333) and the filer (8888) and creates the bucket with `weed shell`
    // through their gRPC ports (19333, 18888); the Job controller labels its pod with the Job's name.
    storeBootstrap: {
      s3: { selector: { "batch.kubernetes.io/job-name": `${release}-bucket-hook` }, clientPorts: [9333, 19333, 8888, 18888] },
    },
  }),
  "1.5.x": (release) => {
    // bitnami/charts tags postgresql/16.4.9, valkey/2.2.4, clickhouse/8.0.5, zookeeper/13.7.4,
    // minio/14.10.5: common.labels.matchLabels (name = chart or alias, instance = release) and the
    // component each StatefulSet or Deployment adds.
    const bitnami = (name: string, component?: string) => ({
      "app.kubernetes.io/name": name,
      "app.kubernetes.io/instance": release,
      ...(component ? { "app.kubernetes.io/component": component } : {}),
    });
    return {
      web: langfuse(release, "web"),
      worker: langfuse(release, "worker"),
      postgresql: { selector: bitnami("postgresql", "primary"), clientPorts: [5432] },
      redis: { selector: bitnami("redis", "primary"), clientPorts: [6379] },
      // MinIO standalone: no component label; the S3 API on 9000.
      s3: { selector: bitnami("s3"), clientPorts: [9000] },
      clickhouse: { selector: bitnami("clickhouse", "clickhouse"), clientPorts: [8123, 9000] },
      // ZooKeeper, the ClickHouse subchart's own dependency: the client port 2181.
      keeper: { selector: bitnami("zookeeper", "zookeeper"), clientPorts: [2181] },
      storeBootstrap: {},
    };
  },
};

/**
 * The ClickHouse operator's pods (ClickHouse/clickhouse-operator, dist/chart/templates/manager/manager.yaml:
 * `app.kubernetes.io/name` is the chart's name without `-helm`, `control-plane: controller-manager`,
 * in every version read). It manages ClickHouse on its management port and Keeper on its client
 * and control ports, which change between its versions: it reaches every port of both.
 */
export const CLICKHOUSE_OPERATOR_POD = { "app.kubernetes.io/name": "clickhouse-operator", "control-plane": "controller-manager" } as const;
