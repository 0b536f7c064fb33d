// Step 4 of test/e2e/kind.sh: every Langfuse pod is ready and selected by a NetworkPolicy.
//
//   kubectl -n langfuse get pods,networkpolicies -o json | npx tsx test/e2e/langfusePodsFenced.ts
//
// Reads the List kubectl prints, and for each pod that runs (a finished hook Job's pod is passed
// over) prints the NetworkPolicies that select it for ingress, evaluated by the same NetworkPolicy
// semantics the plan's policies use (infra/policies/networkPolicySemantics.ts). Exits 1 naming
// each pod that is not ready or that no policy selects; 2 when the input holds no pod.
import * as fs from "node:fs";
import { ingressPoliciesOf, type NetworkPolicy } from "../../infra/policies/networkPolicySemantics";

interface KubePod {
  kind: "Pod";
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

interface KubeList {
  items?: Array<KubePod | (NetworkPolicy & { kind: "NetworkPolicy" }) | { kind: string }>;
}

export interface FenceReport {
  /** One line per running pod: its name and the policies that select it. */
  lines: string[];
  /** What is wrong, one line each; empty when every pod is ready and fenced. */
  problems: string[];
}

export function fenceReport(list: KubeList): FenceReport {
  const items = list.items ?? [];
  const policies = items.filter((i): i is NetworkPolicy & { kind: "NetworkPolicy" } => i.kind === "NetworkPolicy");
  const pods = items.filter((i): i is KubePod => i.kind === "Pod" && (i as KubePod).status?.phase !== "Succeeded");
  const lines: string[] = [];
  const problems: string[] = [];
  if (pods.length === 0) problems.push("no running pod in the input");
  for (const pod of pods) {
    const name = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const selecting = ingressPoliciesOf(policies, { namespace: { name: pod.metadata.namespace, labels: {} }, labels: pod.metadata.labels ?? {} }).map((p) => p.metadata.name);
    const ready = pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
    lines.push(`${name}: ${ready ? "ready" : "NOT READY"}; selected by ${selecting.length > 0 ? selecting.join(", ") : "NO NetworkPolicy"}`);
    if (!ready) problems.push(`${name} is not ready (phase ${pod.status?.phase ?? "unknown"})`);
    if (selecting.length === 0) problems.push(`${name} is selected by no NetworkPolicy: every port of it is open to every pod of the cluster`);
  }
  return { lines, problems };
}

if (require.main === module) {
  let list: KubeList;
  try {
    list = JSON.parse(fs.readFileSync(0, "utf8")) as KubeList;
  } catch {
    process.stderr.write("langfusePodsFenced: stdin is not the JSON of `kubectl get pods,networkpolicies -o json`\n");
    process.exit(2);
  }
  const { lines, problems } = fenceReport(list);
  for (const line of lines) process.stdout.write(`${line}\n`);
  for (const problem of problems) process.stderr.write(`langfusePodsFenced: ${problem}\n`);
  process.exit(problems.length === 0 ? 0 : lines.length === 0 ? 2 : 1);
}
