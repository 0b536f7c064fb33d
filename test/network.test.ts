// Network isolation: the NetworkPolicy evaluator against the API's semantics, then the whole access
// matrix of the NetworkPolicies the program renders for dev (kind, chart 2.x), rosa (OpenShift,
// managed stores) and a stack on chart 1.5.41, on the pods each chart line runs
// (infra/policies/langfusePods.ts, read from the charts' and the operator's sources), and the
// policy langfuse-namespace-fenced catching what it guards against.
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError, parseSettings } from "../infra/config";
import { POLICIES, type PlannedResource, referenceContext, runPolicies } from "../infra/policies";
import { langfuseNamespaceFenced } from "../infra/policies/langfuseNamespaceFenced";
import { langfuseReleasePods } from "../infra/policies/langfusePods";
import {
  accessMatrix,
  ingressAllowed,
  isIsolated,
  type Named,
  type Namespace,
  type NetworkPolicy,
  type Pod,
  type Source,
} from "../infra/policies/networkPolicySemantics";
import { type Rendering, renderStack } from "../infra/render/mockHarness";
import { REPO_ROOT, loadStackConfig } from "../infra/render/stackConfig";

const ctx = referenceContext();
const RELEASE = "kubernetes:helm.sh/v3:Release";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

const ns = (name: string, labels: Record<string, string> = {}): Namespace => ({ name, labels });
const np = (name: string, namespace: string, spec: NetworkPolicy["spec"]): NetworkPolicy => ({ metadata: { name, namespace }, spec });

// ---------------------------------------------------------------------------------------------
// The evaluator, case by case, against the NetworkPolicy API's documented semantics.

describe("NetworkPolicy semantics", () => {
  const app = ns("app");
  const other = ns("other", { team: "b" });
  const server: Pod = { namespace: app, labels: { role: "db" }, ports: [{ name: "sql", containerPort: 5432 }] };
  const client = (namespace: Namespace, labels: Record<string, string>): Source => ({ pod: { namespace, labels } });
  const allowed = (policies: NetworkPolicy[], source: Source, port = 5432, destination = server) => ingressAllowed(policies, { source, destination, port });

  it("admits everything to a pod no policy selects, and nothing to one a rule-less policy selects", () => {
    expect(allowed([], client(other, {}))).toBe(true);
    const deny = np("deny", "app", { podSelector: {}, policyTypes: ["Ingress"] });
    expect(allowed([deny], client(app, { role: "web" }))).toBe(false);
    expect(isIsolated([deny], server)).toBe(true);
  });

  it("takes policyTypes unset as Ingress, and an Egress-only policy as no ingress isolation", () => {
    expect(isIsolated([np("p", "app", { podSelector: {} })], server)).toBe(true);
    expect(isIsolated([np("p", "app", { podSelector: {}, policyTypes: ["Egress"], egress: [] })], server)).toBe(false);
  });

  it("applies a policy only to pods of its own namespace that its podSelector selects", () => {
    expect(isIsolated([np("p", "other", { podSelector: {} })], server)).toBe(false);
    expect(isIsolated([np("p", "app", { podSelector: { matchLabels: { role: "web" } } })], server)).toBe(false);
  });

  it("admits the union of every selecting policy's rules", () => {
    const a = np("a", "app", { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { role: "web" } } }] }] });
    const b = np("b", "app", { podSelector: { matchLabels: { role: "db" } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: "job" } } }] }] });
    expect([allowed([a, b], client(app, { role: "web" })), allowed([a, b], client(app, { role: "job" })), allowed([a, b], client(app, { role: "x" }))]).toEqual([true, true, false]);
  });

  it("reads a peer with only podSelector as the policy's own namespace, only namespaceSelector as every pod there, both as both", () => {
    const podOnly = np("p", "app", { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { role: "web" } } }] }] });
    expect([allowed([podOnly], client(app, { role: "web" })), allowed([podOnly], client(other, { role: "web" }))]).toEqual([true, false]);
    const nsOnly = np("p", "app", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "b" } } }] }] });
    expect([allowed([nsOnly], client(other, { any: "pod" })), allowed([nsOnly], client(app, {}))]).toEqual([true, false]);
    const both = np("p", "app", {
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "b" } }, podSelector: { matchLabels: { role: "web" } } }] }],
    });
    expect([allowed([both], client(other, { role: "web" })), allowed([both], client(other, { role: "job" })), allowed([both], client(app, { role: "web" }))]).toEqual([
      true,
      false,
      false,
    ]);
  });

  it("gives every namespace its kubernetes.io/metadata.name label, and evaluates matchExpressions", () => {
    const byName = np("p", "app", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "other" } } }] }] });
    expect(allowed([byName], client(other, {}))).toBe(true);
    const notB = np("p", "app", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: "team", operator: "NotIn", values: ["b"] }] } }] }] });
    expect([allowed([notB], client(other, {})), allowed([notB], client(ns("unlabelled"), {}))]).toEqual([false, true]);
  });

  it("reads an absent or empty from as every source, pod or not, and absent ports as every port", () => {
    for (const rule of [{}, { from: [] }]) {
      const open = np("p", "app", { podSelector: {}, ingress: [rule] });
      expect([allowed([open], client(other, {}), 1), allowed([open], { address: "10.0.0.1" }, 65000)]).toEqual([true, true]);
    }
  });

  it("matches ports by number and range, protocol (TCP by default) and name, the name resolved per destination pod", () => {
    const rule = (ports: NetworkPolicy["spec"]["ingress"] extends (infer R)[] | undefined ? R extends { ports?: infer P } ? P : never : never) =>
      np("p", "app", { podSelector: {}, ingress: [{ ports }] });
    const from = client(other, {});
    expect([allowed([rule([{ port: 5432 }])], from, 5432), allowed([rule([{ port: 5432 }])], from, 5433)]).toEqual([true, false]);
    expect([allowed([rule([{ port: 5000, endPort: 6000 }])], from, 5432), allowed([rule([{ port: 5000, endPort: 6000 }])], from, 6001)]).toEqual([true, false]);
    expect(allowed([rule([{ protocol: "UDP", port: 5432 }])], from, 5432)).toBe(false);
    expect(allowed([rule([{ protocol: "TCP" }])], from, 1234)).toBe(true);
    const named = rule([{ port: "sql" }]);
    const elsewhere: Pod = { namespace: app, labels: {}, ports: [{ name: "sql", containerPort: 3306 }] };
    expect([allowed([named], from, 5432), allowed([named], from, 3306), allowed([named], from, 3306, elsewhere), allowed([named], from, 5432, elsewhere)]).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });

  it("matches ipBlock on addresses within the CIDR and outside its exceptions, never a pod selected by labels", () => {
    const block = np("p", "app", { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "172.18.0.0/16", except: ["172.18.5.0/24"] } }] }] });
    expect([allowed([block], { address: "172.18.0.2" }), allowed([block], { address: "172.18.5.9" }), allowed([block], { address: "10.0.0.1" }), allowed([block], client(other, {}))]).toEqual([
      true,
      false,
      false,
      false,
    ]);
    const pods = np("p", "app", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] });
    expect(allowed([pods], { address: "172.18.0.2" })).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// The matrix of what the program renders.

/** The platform around Langfuse: where pods come from. */
const TEAM_A = ns("team-a", { "ambient-code.io/managed": "true" });
const TEAM_B = ns("team-b", { "ambient-code.io/managed": "true", "ambient-code.io/project-id": "team-b", "ambient-code.io/managed-by": "ambient-control-plane" });
const DEFAULT = ns("default");
const OPERATOR_LABELS = { "app.kubernetes.io/name": "clickhouse-operator", "app.kubernetes.io/instance": "clickhouse-operator", "control-plane": "controller-manager" };

function world(r: Rendering) {
  const release = r.resources.find((x) => x.type === RELEASE && x.name === "langfuse")!;
  const langfuse = ns(release.inputs.namespace);
  const pods = langfuseReleasePods({ name: release.inputs.name, version: release.inputs.version, values: release.inputs.values })!;
  const destinations: Named<Pod>[] = pods.map((p) => ({ name: p.role, value: { namespace: langfuse, labels: p.labels, ports: p.ports } }));
  const web = pods.find((p) => p.role === "web")!;
  const sources: Named<Source>[] = [
    { name: "operator's runner in team-a", value: { pod: { namespace: TEAM_A, labels: { app: "ambient-code-runner", "agentic-session": "s-1" } } } },
    { name: "control plane's runner in team-b", value: { pod: { namespace: TEAM_B, labels: { "ambient-code.io/session-id": "2f9d", "ambient-code.io/managed": "true" } } } },
    { name: "pod in team-a labelled like web", value: { pod: { namespace: TEAM_A, labels: web.labels } } },
    { name: "pod in default", value: { pod: { namespace: DEFAULT, labels: { app: "debug" } } } },
    { name: "pod in default labelled like the operator", value: { pod: { namespace: DEFAULT, labels: OPERATOR_LABELS } } },
    { name: "pod in team-a labelled like the operator", value: { pod: { namespace: TEAM_A, labels: OPERATOR_LABELS } } },
    { name: "ingress-nginx controller", value: { pod: { namespace: ns("ingress-nginx"), labels: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" } } } },
    { name: "OpenShift router", value: { pod: { namespace: ns("openshift-ingress", { "policy-group.network.openshift.io/ingress": "" }), labels: { "ingresscontroller.operator.openshift.io/deployment-ingresscontroller": "default" } } } },
    { name: "ClickHouse operator", value: { pod: { namespace: ns("clickhouse-operator"), labels: OPERATOR_LABELS } } },
    ...pods.map((p) => ({ name: p.role, value: { pod: { namespace: langfuse, labels: p.labels } } })),
    { name: "node or API server", value: { address: "172.18.0.2" } },
  ];
  const policies = r.resources.filter((x) => x.type === NETWORK_POLICY).map((x) => x.inputs as NetworkPolicy);
  return { sources, destinations, policies };
}

/** Every source with every destination port it may reach; any other cell of the matrix is denied. */
function allowedBySource(r: Rendering): Record<string, string[]> {
  const { sources, destinations, policies } = world(r);
  const result: Record<string, string[]> = Object.fromEntries(sources.map((s) => [s.name, []]));
  for (const cell of accessMatrix(policies, sources, destinations)) if (cell.allowed) result[cell.source].push(`${cell.destination} ${cell.port}`);
  return result;
}

const render = (stack: string, settings: Record<string, unknown> = {}) => renderStack(stack, loadStackConfig(stack, REPO_ROOT, settings));

const WEB = ["web http/3000"];
/** Pods of other namespaces, in every stack: projects reach the web port, nobody else anything. */
const OUTSIDERS = {
  "operator's runner in team-a": WEB,
  "control plane's runner in team-b": WEB,
  "pod in team-a labelled like web": WEB,
  "pod in default": [],
  "pod in default labelled like the operator": [],
  "pod in team-a labelled like the operator": WEB,
};
const CLICKHOUSE_ALL = ["clickhouse http/8123", "clickhouse interserver/9009", "clickhouse management/9001", "clickhouse prometheus/9363", "clickhouse tcp/9000"];
const KEEPER_ALL = ["keeper raft-ipc/9234", "keeper prometheus/9090", "keeper keeper/2181"];
const S3_ALL = ["s3 swfs-mas/9333", "s3 swfs-mas-grpc/19333", "s3 swfs-vol/8080", "s3 swfs-vol-grpc/18080", "s3 swfs-fil/8888", "s3 swfs-fil-grpc/18888", "s3 swfs-s3/8333", "s3 server-metrics/9324"];

let dev: Rendering;
let rosa: Rendering;
let v3: Rendering;
beforeAll(async () => {
  dev = await render("dev");
  rosa = await render("rosa");
  v3 = await render("dev", { chartVersion: "1.5.41", langfuseVersion: "3.224.1" });
});

describe("the access matrix of the Langfuse namespace", () => {
  it("dev (kind, chart 2.0.0, bundled stores): the web port from ingress-nginx and projects, each store from its users only", () => {
    const langfuseClient = ["postgresql postgres/5432", "redis tcp/6379", "s3 swfs-s3/8333", "clickhouse http/8123", "clickhouse tcp/9000"];
    expect(allowedBySource(dev)).toEqual({
      ...OUTSIDERS,
      "ingress-nginx controller": WEB,
      "OpenShift router": [],
      "ClickHouse operator": [...CLICKHOUSE_ALL, ...KEEPER_ALL],
      web: langfuseClient,
      worker: langfuseClient,
      postgresql: [],
      redis: [],
      s3: S3_ALL,
      "s3-bucket-hook": ["s3 swfs-mas/9333", "s3 swfs-mas-grpc/19333", "s3 swfs-fil/8888", "s3 swfs-fil-grpc/18888"],
      clickhouse: [...CLICKHOUSE_ALL, "keeper keeper/2181"],
      keeper: KEEPER_ALL,
      "node or API server": [],
    });
  });

  it("rosa (OpenShift, managed PostgreSQL, Redis and S3): the web port from the router's policy group, not by namespace name", () => {
    expect(allowedBySource(rosa)).toEqual({
      ...OUTSIDERS,
      "ingress-nginx controller": [],
      "OpenShift router": WEB,
      "ClickHouse operator": [...CLICKHOUSE_ALL, ...KEEPER_ALL],
      web: ["clickhouse http/8123", "clickhouse tcp/9000"],
      worker: ["clickhouse http/8123", "clickhouse tcp/9000"],
      clickhouse: [...CLICKHOUSE_ALL, "keeper keeper/2181"],
      keeper: KEEPER_ALL,
      "node or API server": [],
    });
    expect(rosa.resources.filter((r) => r.type === NETWORK_POLICY).map((r) => r.name)).toEqual([
      "langfuse-default-deny-ingress",
      "langfuse-web",
      "langfuse-clickhouse",
      "langfuse-clickhouse-keeper",
    ]);
  });

  it("chart 1.5.41 (Bitnami stores, ZooKeeper, no operator): the same fence, on the Bitnami pods' labels and ports", () => {
    const langfuseClient = ["postgresql tcp-postgresql/5432", "redis redis/6379", "s3 minio-api/9000", "clickhouse http/8123", "clickhouse tcp/9000"];
    const clickhouseAll = ["clickhouse http/8123", "clickhouse tcp/9000", "clickhouse tcp-postgresql/9005", "clickhouse tcp-mysql/9004", "clickhouse http-intersrv/9009"];
    expect(allowedBySource(v3)).toEqual({
      ...OUTSIDERS,
      "ingress-nginx controller": WEB,
      "OpenShift router": [],
      "ClickHouse operator": [],
      web: langfuseClient,
      worker: langfuseClient,
      postgresql: [],
      redis: [],
      s3: [],
      clickhouse: [...clickhouseAll, "keeper client/2181"],
      keeper: ["keeper client/2181", "keeper http-admin/8080"],
      "node or API server": [],
    });
  });

  it.each([
    ["dev", () => dev],
    ["rosa", () => rosa],
    ["chart 1.5.41", () => v3],
  ])("%s: no port of a store, of the worker or of an internal listener is open to a project namespace", (_name, rendering) => {
    const { sources, destinations, policies } = world(rendering());
    const projectSources = sources.filter((s) => "pod" in s.value && s.value.pod.namespace.labels["ambient-code.io/managed"] === "true");
    expect(projectSources.map((s) => s.name)).toEqual(["operator's runner in team-a", "control plane's runner in team-b", "pod in team-a labelled like web", "pod in team-a labelled like the operator"]);
    const open = accessMatrix(policies, projectSources, destinations).filter((c) => c.allowed);
    expect(open.every((c) => c.destination === "web" && c.port === "http/3000")).toBe(true);
    expect(destinations.filter((d) => d.name !== "web").flatMap((d) => d.value.ports).length).toBeGreaterThan(3);
  });

  it("chart 1.5.41: every Bitnami store's own NetworkPolicy (allowExternal: true) is switched off where its subchart reads it", () => {
    const values = v3.resources.find((r) => r.type === RELEASE && r.name === "langfuse")!.inputs.values;
    expect([
      values.postgresql.primary.networkPolicy,
      values.redis.networkPolicy,
      values.clickhouse.networkPolicy,
      values.clickhouse.zookeeper.networkPolicy,
      values.s3.networkPolicy,
    ]).toEqual(Array(5).fill({ enabled: false }));
    expect(runPolicies(v3.resources, ctx).violations).toEqual([]);
  });

  it("chart 2.0.0: no store subchart ships a NetworkPolicy of its own, so none is switched off", () => {
    // groundhog2k postgres 1.6.3 and valkey 0.9.4 render one only from a non-empty `networkPolicy`
    // value (default {}); SeaweedFS 4.23 has no NetworkPolicy template.
    const values = dev.resources.find((r) => r.type === RELEASE && r.name === "langfuse")!.inputs.values;
    expect(JSON.stringify(values)).not.toContain("networkPolicy");
    expect(ctx.chartDefaults("2.0.0")).toBeDefined();
  });

  it("renders each policy for the namespace, labelled as the program's, and waits for them before the release", () => {
    const policies = dev.resources.filter((r) => r.type === NETWORK_POLICY);
    expect(policies.map((r) => [r.name, r.parent, r.inputs.metadata.namespace, r.options.dependsOn])).toEqual(
      ["default-deny-ingress", "web", "postgresql", "redis", "s3", "clickhouse", "clickhouse-keeper"].map((n) => [
        `langfuse-${n}`,
        "ambient-langfuse:network:LangfuseNetworkPolicies::langfuse",
        "langfuse",
        ["kubernetes:core/v1:Namespace::langfuse"],
      ]),
    );
    for (const p of policies) expect(p.inputs.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "ambient-langfuse" });
    expect(dev.resources.find((r) => r.type === RELEASE && r.name === "langfuse")!.options.dependsOn).toContain("ambient-langfuse:network:LangfuseNetworkPolicies::langfuse");
  });
});

describe("the webhooks of cert-manager and the ClickHouse operator", () => {
  it("stay reachable from the API server: no NetworkPolicy selects a pod outside the Langfuse namespace", () => {
    const { policies } = world(dev);
    expect(new Set(policies.map((p) => p.metadata.namespace))).toEqual(new Set(["langfuse"]));
    // cert-manager v1.20.2 webhook-deployment.yaml and the operator's manager.yaml, as their charts label them.
    const webhooks: Pod[] = [
      { namespace: ns("cert-manager"), labels: { app: "webhook", "app.kubernetes.io/name": "webhook", "app.kubernetes.io/instance": "cert-manager", "app.kubernetes.io/component": "webhook" }, ports: [{ name: "https", containerPort: 10250 }] },
      { namespace: ns("clickhouse-operator"), labels: OPERATOR_LABELS, ports: [{ name: "webhook-server", containerPort: 9443 }] },
    ];
    for (const destination of webhooks) {
      expect(ingressAllowed(policies, { source: { address: "172.18.0.2" }, destination, port: destination.ports[0].containerPort })).toBe(true);
    }
  });
});

describe("settings that move the fence", () => {
  it("ingressControllerNamespace names the one namespace on kind whose pods reach the web port besides projects", async () => {
    const r = await render("dev", { ingressControllerNamespace: "nginx-system" });
    const { policies } = world(r);
    const web: Pod = { namespace: ns("langfuse"), labels: langfuseReleasePods({ name: "langfuse", version: "2.0.0", values: {} })![0].labels, ports: [{ name: "http", containerPort: 3000 }] };
    const from = (namespace: string): Source => ({ pod: { namespace: ns(namespace), labels: { "app.kubernetes.io/name": "ingress-nginx" } } });
    expect([ingressAllowed(policies, { source: from("nginx-system"), destination: web, port: 3000 }), ingressAllowed(policies, { source: from("ingress-nginx"), destination: web, port: 3000 })]).toEqual([true, false]);
    expect(runPolicies(r.resources, ctx).violations).toEqual([]);
  });

  it("ingressControllerNamespace defaults to ingress-nginx on kind, and is refused on OpenShift, whose router is matched by label", () => {
    const minimal = { adminEmail: "admin@example.com" };
    expect(parseSettings(minimal).ingressControllerNamespace).toBe("ingress-nginx");
    expect(parseSettings({ ...minimal, platform: "openshift" }).ingressControllerNamespace).toBeUndefined();
    expect(() => parseSettings({ ...minimal, platform: "openshift", ingressControllerNamespace: "openshift-ingress" })).toThrow(
      /ingressControllerNamespace is "openshift-ingress", but platform is "openshift": the router's namespaces are matched by their policy-group.network.openshift.io\/ingress label/,
    );
    expect(() => parseSettings({ ...minimal, ingressControllerNamespace: "Ingress_NGINX" })).toThrow(ConfigError);
  });

  it("a cluster's own ClickHouse operator, somewhere this program does not know, is admitted from any namespace but a project's", async () => {
    const r = await render("dev", { installClickhouseOperator: false });
    const { sources, destinations, policies } = world(r);
    const cells = accessMatrix(policies, sources.filter((s) => s.name.includes("operator")), destinations.filter((d) => d.name === "clickhouse"));
    const reach = (source: string) => cells.filter((c) => c.source === source && c.allowed).map((c) => c.port);
    expect(reach("ClickHouse operator")).toHaveLength(5);
    expect(reach("pod in default labelled like the operator")).toHaveLength(5);
    expect(reach("pod in team-a labelled like the operator")).toEqual([]);
  });
});

describe("langfuse-namespace-fenced catches what it guards against", () => {
  const mutated = (r: Rendering, mutate: (rs: PlannedResource[]) => void) => {
    const copy = structuredClone(r.resources);
    mutate(copy);
    return copy;
  };
  const policyNamed = (rs: PlannedResource[], name: string) => rs.find((r) => r.type === NETWORK_POLICY && r.name === name)!;
  const messages = (rs: PlannedResource[]) => {
    const result = langfuseNamespaceFenced.check(rs, ctx);
    return "violations" in result ? result.violations.map((v) => v.message) : [];
  };

  it("is part of the plan and passes on every stack and chart line rendered here", () => {
    expect(POLICIES).toContain(langfuseNamespaceFenced);
    for (const r of [dev, rosa, v3]) expect(messages(r.resources)).toEqual([]);
  });

  it("a namespace without a default deny: a pod no rule names, such as the worker, is open", () => {
    const rs = mutated(dev, (r) => r.splice(r.indexOf(policyNamed(r, "langfuse-default-deny-ingress")), 1));
    expect(messages(rs)).toEqual([
      'no NetworkPolicy in namespace "langfuse" denies ingress by default: add one whose podSelector is {} with no ingress rule, so that a pod no rule names is closed to every other pod of the cluster',
      "worker port http/3030 is open to pods in project namespaces and other namespaces: only the Langfuse pods that use it may reach it",
    ]);
  });

  it("a store rule admitting every namespace, and the web port admitting every namespace", () => {
    const rs = mutated(dev, (r) => {
      policyNamed(r, "langfuse-postgresql").inputs.spec.ingress[0].from.push({ namespaceSelector: {} });
      policyNamed(r, "langfuse-web").inputs.spec.ingress[0].from.push({ namespaceSelector: {} });
    });
    expect(messages(rs)).toEqual([
      "postgresql port postgres/5432 is open to pods in project namespaces and other namespaces: only the Langfuse pods that use it may reach it",
      "web port http/3000 is open to pods in other namespaces: the web port is for project namespaces and the ingress only",
    ]);
  });

  it("a selector the producer got wrong everywhere (the chart's instance label on operator-built ClickHouse pods) leaves ClickHouse unreachable", () => {
    // The operator labels ClickHouse pods app.kubernetes.io/instance: langfuse-clickhouse, not the release.
    const wrong = { "app.kubernetes.io/instance": "langfuse", "clickhouse.com/role": "clickhouse-server" };
    const rs = mutated(dev, (r) => {
      const p = policyNamed(r, "langfuse-clickhouse").inputs.spec;
      p.podSelector = { matchLabels: wrong };
      p.ingress[1].from[0].podSelector = { matchLabels: wrong };
    });
    expect(messages(rs)).toEqual([
      "web cannot reach clickhouse on port 8123, which it connects to: the release would not run",
      "web cannot reach clickhouse on port 9000, which it connects to: the release would not run",
      "worker cannot reach clickhouse on port 8123, which it connects to: the release would not run",
      "worker cannot reach clickhouse on port 9000, which it connects to: the release would not run",
      "clickhouse cannot reach clickhouse on port 9000, which it connects to: the release would not run",
      "clickhouse cannot reach clickhouse on port 9009, which it connects to: the release would not run",
      "the ClickHouse operator cannot reach clickhouse on port 9001, which it manages it through",
    ]);
  });

  it("chart 1.5.9: a web selector with the component label, which 1.5.9's pods lack, closes the web port to runners", async () => {
    const r = await render("dev", { chartVersion: "1.5.9", langfuseVersion: "3.124.1" });
    expect(messages(r.resources)).toEqual([]);
    const rs = mutated(r, (x) => (policyNamed(x, "langfuse-web").inputs.spec.podSelector.matchLabels["app.kubernetes.io/component"] = "web"));
    expect(messages(rs)).toEqual([
      "the web port http/3000 is closed to runner pods in project namespaces (labelled ambient-code.io/managed=true): their traces could not reach Langfuse",
    ]);
  });

  it("chart 1.5.41: a Bitnami store's own NetworkPolicy left on", () => {
    const rs = mutated(v3, (r) => {
      const values = r.find((x) => x.type === RELEASE && x.name === "langfuse")!.inputs.values;
      delete values.redis.networkPolicy;
      values.clickhouse.zookeeper.networkPolicy.enabled = true;
    });
    expect(messages(rs)).toEqual([
      "values.redis.networkPolicy.enabled is not false: the Bitnami subchart then renders a NetworkPolicy with allowExternal: true, which admits every pod of the cluster to the store (NetworkPolicies add up); set it to false",
      "values.clickhouse.zookeeper.networkPolicy.enabled is not false: the Bitnami subchart then renders a NetworkPolicy with allowExternal: true, which admits every pod of the cluster to the store (NetworkPolicies add up); set it to false",
    ]);
  });
});
