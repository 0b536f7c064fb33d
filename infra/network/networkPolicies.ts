import type { ChartLine } from "../langfuse/chartLine";
import { MANAGED_NAMESPACE_LABELS } from "../operator/admissionPolicy";
import type { PlatformProfile } from "../platform";
import { CLICKHOUSE_OPERATOR_POD, RELEASE_WORKLOADS, type Workload } from "./podSelectors";

/** meta/v1 LabelSelector, as NetworkPolicies take it. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
}

export interface IngressRule {
  /** Absent: from anywhere. */
  from?: NetworkPolicyPeer[];
  /** Absent: every port. */
  ports?: { protocol: "TCP"; port: number }[];
}

/** A networking.k8s.io/v1 NetworkPolicy as `kubectl apply` takes it (ingress only). */
export interface NetworkPolicyManifest {
  apiVersion: "networking.k8s.io/v1";
  kind: "NetworkPolicy";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { podSelector: LabelSelector; policyTypes: ["Ingress"]; ingress?: IngressRule[] };
}

export interface NetworkSettings {
  /** The Langfuse namespace, and the release in it. */
  namespace: string;
  releaseName: string;
  chartLine: ChartLine;
  /** The stores the chart deploys in the namespace (not managed services). */
  bundled: { postgresql: boolean; redis: boolean; s3: boolean; clickhouse: boolean };
  /** The namespaces the web port's users arrive from, besides project namespaces (ingressNamespaceSelector). */
  ingressNamespaces: LabelSelector;
  /**
   * Chart 2.x: the ClickHouse operator's namespace where this program installs it; undefined where
   * the cluster runs its own, somewhere this program does not know.
   */
  clickhouseOperatorNamespace: string | undefined;
  labels: Record<string, string>;
}

/**
 * Where users reach the web port from: OpenShift's router, whose namespaces (`openshift-ingress`,
 * and the host network for a router on it) carry `policy-group.network.openshift.io/ingress` (not
 * a name to rely on); on kind, the ingress controller's namespace by name.
 */
export function ingressNamespaceSelector(profile: PlatformProfile, ingressControllerNamespace: string | undefined): LabelSelector {
  if (profile.exposure === "route") return { matchLabels: { "policy-group.network.openshift.io/ingress": "" } };
  // Config validation gives every stack exposed by an Ingress its controller's namespace.
  if (ingressControllerNamespace === undefined) throw new Error("no ingress controller namespace for an Ingress-exposed stack");
  return { matchLabels: { "kubernetes.io/metadata.name": ingressControllerNamespace } };
}

const TCP = (ports: number[]) => ports.map((port) => ({ protocol: "TCP" as const, port }));
const pods = (w: Workload): NetworkPolicyPeer => ({ podSelector: { matchLabels: { ...w.selector } } });

/**
 * The Langfuse namespace's NetworkPolicies. Ingress is denied by default to every pod; then each
 * workload admits only its own clients: the web port from the ingress namespaces and from project
 * namespaces (runners send their traces there); each bundled store from the Langfuse pods that
 * use it; ClickHouse also from its own replicas, its Keepers from ClickHouse and from each other
 * (ClickHouse connects to the Keepers, never the reverse), and both from the ClickHouse operator
 * on chart 2.x. NetworkPolicies add up, so each workload's rules stand alone. Egress is not
 * restricted. Pure.
 */
export function langfuseNetworkPolicies(s: NetworkSettings): NetworkPolicyManifest[] {
  const w = RELEASE_WORKLOADS[s.chartLine](s.releaseName);
  const policy = (suffix: string, selector: LabelSelector, ingress?: IngressRule[]): NetworkPolicyManifest => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: `${s.releaseName}-${suffix}`, namespace: s.namespace, labels: { ...s.labels } },
    spec: { podSelector: selector, policyTypes: ["Ingress"], ...(ingress ? { ingress } : {}) },
  });
  const langfusePods = [pods(w.web), pods(w.worker)];
  const fromLangfuse = (store: Workload): IngressRule => ({ from: langfusePods, ports: TCP(store.clientPorts) });
  const operator: NetworkPolicyPeer[] =
    s.chartLine !== "2.x"
      ? []
      : [
          {
            // Where the cluster runs its own operator, any namespace but a project's.
            namespaceSelector:
              s.clickhouseOperatorNamespace !== undefined
                ? { matchLabels: { "kubernetes.io/metadata.name": s.clickhouseOperatorNamespace } }
                : { matchExpressions: Object.entries(MANAGED_NAMESPACE_LABELS).map(([key, value]) => ({ key, operator: "NotIn" as const, values: [value] })) },
            podSelector: { matchLabels: { ...CLICKHOUSE_OPERATOR_POD } },
          },
        ];
  const fromOperator: IngressRule[] = operator.length > 0 ? [{ from: operator }] : [];

  const policies = [
    // Selects every pod, admits nothing: whatever no rule below admits is refused.
    policy("default-deny-ingress", {}),
    policy("web", { matchLabels: { ...w.web.selector } }, [
      {
        from: [{ namespaceSelector: s.ingressNamespaces }, { namespaceSelector: { matchLabels: { ...MANAGED_NAMESPACE_LABELS } } }],
        ports: TCP(w.web.clientPorts),
      },
    ]),
  ];
  if (s.bundled.postgresql) policies.push(policy("postgresql", { matchLabels: { ...w.postgresql.selector } }, [fromLangfuse(w.postgresql)]));
  if (s.bundled.redis) policies.push(policy("redis", { matchLabels: { ...w.redis.selector } }, [fromLangfuse(w.redis)]));
  if (s.bundled.s3) {
    const bootstrap = w.storeBootstrap.s3;
    policies.push(
      policy("s3", { matchLabels: { ...w.s3.selector } }, [
        fromLangfuse(w.s3),
        ...(bootstrap
          ? [
              // The all-in-one pod reaches its own master and filer through its pod address.
              { from: [pods(w.s3)] },
              { from: [pods(bootstrap)], ports: TCP(bootstrap.clientPorts) },
            ]
          : []),
      ]),
    );
  }
  if (s.bundled.clickhouse) {
    policies.push(
      policy("clickhouse", { matchLabels: { ...w.clickhouse.selector } }, [fromLangfuse(w.clickhouse), { from: [pods(w.clickhouse)] }, ...fromOperator]),
      policy("clickhouse-keeper", { matchLabels: { ...w.keeper.selector } }, [
        { from: [pods(w.clickhouse)], ports: TCP(w.keeper.clientPorts) },
        { from: [pods(w.keeper)] },
        ...fromOperator,
      ]),
    );
  }
  return policies;
}
