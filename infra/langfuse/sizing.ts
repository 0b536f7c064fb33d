/** Requests and a memory limit: CPU is left unlimited so bursts (migrations, merges) are not throttled. */
export interface PodResources {
  requests: { cpu: string; memory: string };
  limits: { memory: string };
}

/** A Langfuse deployment (web or worker). */
export interface Workload {
  replicas: number;
  resources: PodResources;
}

export interface StoreSize {
  resources: PodResources;
  /** Persistent volume size, where the chart line lets us set it. */
  storage: string;
}

/**
 * How big, and how available, each part of the installation is. Both chart lines read the same
 * figures, each through its own value paths; a line that cannot set one (chart 1.5.x's volume
 * sizes, 1.5.9's disruption budgets) leaves the chart's.
 */
export interface Sizing {
  web: Workload;
  worker: Workload;
  postgresql: StoreSize;
  redis: StoreSize;
  s3: StoreSize;
  clickhouse: StoreSize & { replicas: number };
  /** ClickHouse's coordination: Keeper on chart 2.x, ZooKeeper on 1.5.x. Odd counts only. */
  keeper: StoreSize & { replicas: number };
  /** Keep all but one web and worker pod up through voluntary disruptions (node drains, upgrades). */
  disruptionBudgets: boolean;
  /** Spread web pods over zones and nodes, so that one zone's loss leaves the UI and the API up. */
  spreadWeb: boolean;
}

const resources = (cpu: string, memory: string, memoryLimit: string): PodResources => ({
  requests: { cpu, memory },
  limits: { memory: memoryLimit },
});

/** A laptop kind cluster: one of everything, small volumes, about 3 GiB of requests in all. */
export const LAPTOP_SIZING: Sizing = {
  web: { replicas: 1, resources: resources("250m", "512Mi", "2Gi") },
  worker: { replicas: 1, resources: resources("250m", "512Mi", "2Gi") },
  postgresql: { resources: resources("100m", "256Mi", "1Gi"), storage: "5Gi" },
  redis: { resources: resources("50m", "64Mi", "256Mi"), storage: "1Gi" },
  s3: { resources: resources("50m", "256Mi", "1Gi"), storage: "5Gi" },
  clickhouse: { replicas: 1, resources: resources("250m", "1Gi", "4Gi"), storage: "10Gi" },
  keeper: { replicas: 1, resources: resources("50m", "256Mi", "512Mi"), storage: "1Gi" },
  disruptionBudgets: false,
  spreadWeb: false,
};

/**
 * Production: two web and two worker pods (Langfuse's own guidance is 2 CPU and 4 GiB per
 * container under load), ClickHouse replicated three times with a Keeper (or ZooKeeper) quorum of
 * three, and the chart's own volume sizes for the stores where they are bundled.
 */
export const PRODUCTION_SIZING: Sizing = {
  web: { replicas: 2, resources: resources("1", "2Gi", "4Gi") },
  worker: { replicas: 2, resources: resources("1", "2Gi", "4Gi") },
  postgresql: { resources: resources("500m", "1Gi", "2Gi"), storage: "20Gi" },
  redis: { resources: resources("250m", "512Mi", "1Gi"), storage: "8Gi" },
  s3: { resources: resources("500m", "1Gi", "2Gi"), storage: "50Gi" },
  clickhouse: { replicas: 3, resources: resources("2", "8Gi", "8Gi"), storage: "100Gi" },
  keeper: { replicas: 3, resources: resources("250m", "512Mi", "1Gi"), storage: "20Gi" },
  disruptionBudgets: true,
  spreadWeb: true,
};

/** The sizing of a stack: `production` decides it, nothing else. */
export function sizingFor(production: boolean): Sizing {
  return production ? PRODUCTION_SIZING : LAPTOP_SIZING;
}
