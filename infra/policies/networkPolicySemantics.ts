// Ingress under Kubernetes NetworkPolicies (networking.k8s.io/v1), evaluated the way the API
// documents them (NetworkPolicySpec, NetworkPolicyIngressRule, NetworkPolicyPeer,
// NetworkPolicyPort, and the "Network Policies" concept page), for one connection at a time:
//
// - A policy applies to pods in its own namespace that its `podSelector` selects (`{}` selects
//   all). It governs ingress when `policyTypes` lists Ingress; with `policyTypes` unset it always
//   does (and Egress only when it has egress rules).
// - A pod no ingress policy selects is not isolated: every connection to it is allowed. A pod some
//   ingress policy selects admits exactly what the union of those policies' rules admits.
// - A rule admits a connection when some peer of `from` matches the source (an absent or empty
//   `from` matches every source, pod or not) and some entry of `ports` matches the port (an absent
//   or empty `ports` matches every port).
// - A peer with only `podSelector` matches pods of the policy's own namespace; with only
//   `namespaceSelector`, every pod of the matching namespaces; with both, the pods matching the
//   first in the namespaces matching the second; `ipBlock` matches source addresses in its CIDR
//   and outside its exceptions (pods are given no address here: whether a pod's own IP matches an
//   ipBlock is left to the implementation by the API).
// - A port entry matches its protocol (TCP when unset); a number matches that port, up to
//   `endPort` when set; a name matches when a container of the destination pod declares a port of
//   that name and protocol with the connection's number (named ports resolve per pod); no port
//   matches every port of the protocol.
// - Every namespace carries `kubernetes.io/metadata.name: <name>`, set by the API server.
//
// Pure: written from the specification, with no knowledge of what any policy here is for.
import { labelSelectorMatches, type LabelSelector } from "./labelSelector";

export type Protocol = "TCP" | "UDP" | "SCTP";

export interface NetworkPolicyPort {
  protocol?: Protocol;
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface NetworkPolicy {
  metadata: { name: string; namespace: string };
  spec: {
    podSelector: LabelSelector;
    policyTypes?: ("Ingress" | "Egress")[];
    ingress?: { from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
    egress?: unknown[];
  };
}

export interface Namespace {
  name: string;
  labels: Record<string, string>;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: Protocol;
}

export interface Pod {
  namespace: Namespace;
  labels: Record<string, string>;
  /** Every port declared by the pod's containers, for named ports. */
  ports: ContainerPort[];
}

/** Where a connection comes from: a pod, or something that is not a pod (a node, the API server). */
export type Source = { pod: Omit<Pod, "ports"> } | { address: string };

export interface Connection {
  source: Source;
  destination: Pod;
  port: number;
  protocol?: Protocol;
}

/** A namespace's labels as selectors see them, with the one the API server sets. */
export function namespaceLabels(ns: Namespace): Record<string, string> {
  return { ...ns.labels, "kubernetes.io/metadata.name": ns.name };
}

function governsIngress(policy: NetworkPolicy): boolean {
  return policy.spec.policyTypes === undefined ? true : policy.spec.policyTypes.includes("Ingress");
}

/** The ingress policies that select a pod (in its own namespace). */
export function ingressPoliciesOf(policies: NetworkPolicy[], pod: Omit<Pod, "ports">): NetworkPolicy[] {
  return policies.filter(
    (p) => p.metadata.namespace === pod.namespace.name && governsIngress(p) && labelSelectorMatches(p.spec.podSelector ?? {}, pod.labels),
  );
}

/** Whether a pod is isolated for ingress (some ingress policy selects it). */
export function isIsolated(policies: NetworkPolicy[], pod: Omit<Pod, "ports">): boolean {
  return ingressPoliciesOf(policies, pod).length > 0;
}

function ipv4(address: string): number | undefined {
  const parts = address.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function inCidr(address: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const a = ipv4(address);
  const b = ipv4(base);
  const n = Number(bits);
  if (a === undefined || b === undefined || !Number.isInteger(n) || n < 0 || n > 32) return false;
  const size = 2 ** (32 - n);
  return Math.floor(a / size) === Math.floor(b / size);
}

function peerMatches(peer: NetworkPolicyPeer, source: Source, policyNamespace: string): boolean {
  if (peer.ipBlock !== undefined) {
    if (!("address" in source)) return false;
    const { cidr, except = [] } = peer.ipBlock;
    return inCidr(source.address, cidr) && !except.some((e) => inCidr(source.address, e));
  }
  if (!("pod" in source)) return false;
  const { pod } = source;
  if (peer.namespaceSelector === undefined) {
    if (pod.namespace.name !== policyNamespace) return false;
  } else if (!labelSelectorMatches(peer.namespaceSelector, namespaceLabels(pod.namespace))) {
    return false;
  }
  return peer.podSelector === undefined || labelSelectorMatches(peer.podSelector, pod.labels);
}

function portMatches(entry: NetworkPolicyPort, destination: Pod, port: number, protocol: Protocol): boolean {
  if ((entry.protocol ?? "TCP") !== protocol) return false;
  if (entry.port === undefined) return true;
  if (typeof entry.port === "number") {
    return entry.endPort === undefined ? port === entry.port : port >= entry.port && port <= entry.endPort;
  }
  return destination.ports.some((p) => p.name === entry.port && (p.protocol ?? "TCP") === protocol && p.containerPort === port);
}

/** Whether NetworkPolicies admit a connection into its destination pod. */
export function ingressAllowed(policies: NetworkPolicy[], c: Connection): boolean {
  const protocol = c.protocol ?? "TCP";
  const selecting = ingressPoliciesOf(policies, c.destination);
  if (selecting.length === 0) return true;
  return selecting.some((policy) =>
    (policy.spec.ingress ?? []).some(
      (rule) =>
        (rule.from === undefined || rule.from.length === 0 || rule.from.some((peer) => peerMatches(peer, c.source, policy.metadata.namespace))) &&
        (rule.ports === undefined || rule.ports.length === 0 || rule.ports.some((p) => portMatches(p, c.destination, c.port, protocol))),
    ),
  );
}

/** A named source or destination of an access matrix. */
export interface Named<T> {
  name: string;
  value: T;
}

export interface MatrixCell {
  source: string;
  destination: string;
  /** `<port name>/<number>` where the pod names the port, else the number. */
  port: string;
  allowed: boolean;
}

/**
 * Every source against every declared port of every destination pod: the whole access matrix of
 * a set of policies.
 */
export function accessMatrix(policies: NetworkPolicy[], sources: Named<Source>[], destinations: Named<Pod>[]): MatrixCell[] {
  const cells: MatrixCell[] = [];
  for (const source of sources) {
    for (const destination of destinations) {
      for (const port of destination.value.ports) {
        cells.push({
          source: source.name,
          destination: destination.name,
          port: port.name ? `${port.name}/${port.containerPort}` : String(port.containerPort),
          allowed: ingressAllowed(policies, { source: source.value, destination: destination.value, port: port.containerPort, protocol: port.protocol }),
        });
      }
    }
  }
  return cells;
}
