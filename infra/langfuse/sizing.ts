/** Requests and a memory limit: CPU is left unlimited so bursts (migrations, merges) are not throttled. */
export interface PodResources {
  requests: { cpu: string; memory: string };
  limits: { memory: string };
}

export interface StoreSize {
  resources: PodResources;
  /** Persistent volume size, where the chart line lets us set it. */
  storage: string;
}

/**
 * How big each part of the installation is. Both chart lines read the same figures, each through
 * its own value paths; a line that cannot set one (chart 1.5.x's volume sizes) leaves the chart's.
 */
export interface Sizing {
  web: PodResources;
  worker: PodResources;
  postgresql: StoreSize;
  redis: StoreSize;
  s3: StoreSize;
  clickhouse: StoreSize & { replicas: number };
  /** ClickHouse's coordination: Keeper on chart 2.x, ZooKeeper on 1.5.x. Odd counts only. */
  keeper: StoreSize & { replicas: number };
}

const resources = (cpu: string, memory: string, memoryLimit: string): PodResources => ({
  requests: { cpu, memory },
  limits: { memory: memoryLimit },
});

/** A laptop kind cluster: one of everything, small volumes, about 3 GiB of requests in all. */
export const LAPTOP_SIZING: Sizing = {
  web: resources("250m", "512Mi", "2Gi"),
  worker: resources("250m", "512Mi", "2Gi"),
  postgresql: { resources: resources("100m", "256Mi", "1Gi"), storage: "5Gi" },
  redis: { resources: resources("50m", "64Mi", "256Mi"), storage: "1Gi" },
  s3: { resources: resources("50m", "256Mi", "1Gi"), storage: "5Gi" },
  clickhouse: { replicas: 1, resources: resources("250m", "1Gi", "4Gi"), storage: "10Gi" },
  keeper: { replicas: 1, resources: resources("50m", "256Mi", "512Mi"), storage: "1Gi" },
};
