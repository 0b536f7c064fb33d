import { langfuseReleasePods, type LangfusePod } from "./langfusePods";
import { accessMatrix, ingressAllowed, isIsolated, type Named, type Namespace, type NetworkPolicy, type Pod, type Source } from "./networkPolicySemantics";
import { isLangfuseRelease, type PlannedResource, type Policy, valueAt, violations } from "./types";

const NETWORK_POLICY_TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const NAMESPACE_TYPE = "kubernetes:core/v1:Namespace";

/**
 * Namespaces of the platform, as it labels them: projects carry `ambient-code.io/managed: "true"`
 * (the operator's and the control plane's). The probes' names are ones no stack uses.
 */
const PROJECT = { name: "policy-probe-project", labels: { "ambient-code.io/managed": "true" } };
const ELSEWHERE = { name: "policy-probe-elsewhere", labels: {} };

/**
 * Chart 1.x: the Bitnami store subcharts each render a NetworkPolicy with `allowExternal: true`
 * unless told not to (bitnami/charts postgresql/16.4.9, valkey/2.2.4, clickhouse/8.0.5,
 * zookeeper/13.7.4, minio/14.10.5), which admits every pod of the cluster to the store's ports.
 */
const BITNAMI_NETWORK_POLICIES = [
  { store: "postgresql", path: "postgresql.primary.networkPolicy.enabled" },
  { store: "redis", path: "redis.networkPolicy.enabled" },
  { store: "clickhouse", path: "clickhouse.networkPolicy.enabled" },
  { store: "clickhouse", path: "clickhouse.zookeeper.networkPolicy.enabled" },
  { store: "s3", path: "s3.networkPolicy.enabled" },
];

/**
 * The connections a release cannot run without, per chart major, between the pods of
 * langfusePods.ts (present ones only): Langfuse to each store's client port (ClickHouse over HTTP
 * and, for migrations, natively), ClickHouse to its replicas and Keepers, the Keepers to each
 * other, and on 2.x SeaweedFS's bucket hook to its master and filer.
 */
const coreNeeds = (s3ApiPort: number) => [
  ...["web", "worker"].flatMap((from) => [
    { from, to: "postgresql", ports: [5432] },
    { from, to: "redis", ports: [6379] },
    { from, to: "s3", ports: [s3ApiPort] },
    { from, to: "clickhouse", ports: [8123, 9000] },
  ]),
  { from: "clickhouse", to: "clickhouse", ports: [9000, 9009] },
  { from: "clickhouse", to: "keeper", ports: [2181] },
];
const NEEDS: Record<number, { from: string; to: string; ports: number[] }[]> = {
  // SeaweedFS's S3 gateway; ClickHouse Keeper's raft; the bucket hook's master and filer ports.
  2: [
    ...coreNeeds(8333),
    { from: "keeper", to: "keeper", ports: [9234] },
    { from: "s3-bucket-hook", to: "s3", ports: [9333, 19333, 8888, 18888] },
  ],
  // MinIO's API.
  1: coreNeeds(9000),
};

/** ClickHouse Inc's operator, as its chart labels its pod (dist/chart/templates/manager/manager.yaml). */
const OPERATOR_POD = { "app.kubernetes.io/name": "clickhouse-operator", "control-plane": "controller-manager", "app.kubernetes.io/instance": "clickhouse-operator" };

/**
 * Pods outside the Langfuse namespace: a runner in a project namespace, and a pod in a namespace
 * of nobody in particular; each also wearing every Langfuse pod's labels, since a rule that names
 * pods without a namespace must not let a look-alike in another namespace through.
 */
function outsiders(pods: LangfusePod[]): Named<Source>[] {
  const runner = { app: "ambient-code-runner", "agentic-session": "probe" };
  return [PROJECT, ELSEWHERE].flatMap((namespace) => [
    { name: `a runner pod in ${namespace === PROJECT ? "a project" : "another"} namespace`, value: { pod: { namespace, labels: runner } } },
    ...pods.map((p) => ({
      name: `a pod labelled like ${p.role} in ${namespace === PROJECT ? "a project" : "another"} namespace`,
      value: { pod: { namespace, labels: p.labels } },
    })),
  ]);
}

export const langfuseNamespaceFenced: Policy = {
  name: "langfuse-namespace-fenced",
  description:
    "The Langfuse namespace's NetworkPolicies, evaluated on the pods each chart line runs: ingress denied by default, no store, worker or internal port open to any pod of another namespace, the web port open to project namespaces, and on chart 1.x no Bitnami store NetworkPolicy admitting everyone.",
  check(resources) {
    const found: [PlannedResource, string][] = [];
    for (const release of resources.filter(isLangfuseRelease)) {
      const ns: string = release.inputs.namespace;
      const values = release.inputs.values ?? {};
      const pods = langfuseReleasePods({ name: release.inputs.name, version: String(release.inputs.version), values });
      if (pods === undefined) {
        found.push([release, `chart ${release.inputs.version} is of a line whose pods this policy does not know: add them from its templates`]);
        continue;
      }
      const namespaceResource = resources.find((r) => r.type === NAMESPACE_TYPE && r.inputs.metadata?.name === ns);
      const namespace: Namespace = { name: ns, labels: namespaceResource?.inputs.metadata?.labels ?? {} };
      const policies = resources
        .filter((r) => r.type === NETWORK_POLICY_TYPE && r.inputs.metadata?.namespace === ns)
        .map((r) => r.inputs as NetworkPolicy);

      // A pod no rule names (a new workload, a debug pod) is isolated too: ingress is denied by default.
      if (!isIsolated(policies, { namespace, labels: { "policy-probe": "any-new-pod" } })) {
        found.push([
          release,
          `no NetworkPolicy in namespace "${ns}" denies ingress by default: add one whose podSelector is {} with no ingress rule, ` +
            `so that a pod no rule names is closed to every other pod of the cluster`,
        ]);
      }

      const destinations: Named<Pod>[] = pods.map((p) => ({ name: p.role, value: { namespace, labels: p.labels, ports: p.ports } }));
      const cells = accessMatrix(policies, outsiders(pods), destinations);
      // One finding per port, naming the kinds of namespace it is open to.
      const open = new Map<string, Set<string>>();
      for (const cell of cells.filter((c) => c.allowed)) {
        const where = cell.source.endsWith("in a project namespace") ? "project namespaces" : "other namespaces";
        if (cell.destination === "web" && cell.port === "http/3000" && where === "project namespaces") continue;
        const at = `${cell.destination} port ${cell.port}`;
        open.set(at, (open.get(at) ?? new Set()).add(where));
      }
      for (const [at, where] of open) {
        found.push([
          release,
          `${at} is open to pods in ${[...where].sort((a, b) => b.localeCompare(a)).join(" and ")}: ` +
            (at.startsWith("web port http/") ? "the web port is for project namespaces and the ingress only" : "only the Langfuse pods that use it may reach it"),
        ]);
      }
      const major = Number(/^v?(\d+)\./.exec(String(release.inputs.version))?.[1]);
      const byRole = new Map(destinations.map((d) => [d.name, d.value]));
      for (const need of NEEDS[major] ?? []) {
        const from = byRole.get(need.from);
        const to = byRole.get(need.to);
        if (from === undefined || to === undefined) continue;
        for (const port of need.ports) {
          if (!ingressAllowed(policies, { source: { pod: from }, destination: to, port })) {
            found.push([release, `${need.from} cannot reach ${need.to} on port ${port}, which it connects to: the release would not run`]);
          }
        }
      }
      if (major === 2) {
        // The operator's own release where the stack installs it, else a namespace of its own.
        const operatorRelease = resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "oci://ghcr.io/clickhouse/clickhouse-operator-helm");
        const operator = { pod: { namespace: { name: operatorRelease?.inputs.namespace ?? "policy-probe-operator", labels: {} }, labels: OPERATOR_POD } };
        for (const [role, port] of [["clickhouse", 9001], ["keeper", 2181]] as const) {
          const to = byRole.get(role);
          if (to !== undefined && !ingressAllowed(policies, { source: operator, destination: to, port })) {
            found.push([release, `the ClickHouse operator cannot reach ${role} on port ${port}, which it manages it through`]);
          }
        }
      }
      const runnerToWeb = cells.find((c) => c.destination === "web" && c.port === "http/3000" && c.source === "a runner pod in a project namespace");
      if (runnerToWeb !== undefined && !runnerToWeb.allowed) {
        found.push([release, "the web port http/3000 is closed to runner pods in project namespaces (labelled ambient-code.io/managed=true): their traces could not reach Langfuse"]);
      }

      if (/^v?1\./.test(String(release.inputs.version))) {
        for (const { store, path } of BITNAMI_NETWORK_POLICIES) {
          if (valueAt(values, `${store}.deploy`) === false) continue;
          if (valueAt(values, path) !== false) {
            found.push([
              release,
              `values.${path} is not false: the Bitnami subchart then renders a NetworkPolicy with allowExternal: true, ` +
                `which admits every pod of the cluster to the store (NetworkPolicies add up); set it to false`,
            ]);
          }
        }
      }
    }
    return violations(this.name, found);
  },
};
