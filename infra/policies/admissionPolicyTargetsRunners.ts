import { MANAGED_NAMESPACE_LABELS, RUNNER_POD_LABELS } from "../operator/admissionPolicy";
import { type PlannedResource, type Policy, resourceId, violations } from "./types";

const isKind = (kind: string) => (r: PlannedResource) =>
  r.type.startsWith("kubernetes:admissionregistration.k8s.io/") && r.inputs.kind === kind;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Match rules a runner pod patch may have: pod CREATE in the core group, nothing else. */
const RUNNER_POD_RULES = [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }];

function checkMatch(r: PlannedResource, at: string, match: any, found: [PlannedResource, string][]): void {
  if (!same(match?.namespaceSelector, { matchLabels: MANAGED_NAMESPACE_LABELS })) {
    found.push([r, `${at}.namespaceSelector must select only namespaces labelled ambient-code.io/managed=true`]);
  }
  if (!same(match?.objectSelector, { matchLabels: RUNNER_POD_LABELS })) {
    found.push([r, `${at}.objectSelector must select only pods labelled app=ambient-code-runner`]);
  }
  if (!same(match?.resourceRules, RUNNER_POD_RULES)) {
    found.push([r, `${at}.resourceRules must be exactly pod CREATE`]);
  }
}

export const admissionPolicyTargetsRunners: Policy = {
  name: "admission-policy-targets-runners",
  description: "The runner pod patch touches only the runner container of runner pods in managed namespaces, never blocks a pod, and is bound.",
  check(resources) {
    const found: [PlannedResource, string][] = [];
    const bindings = resources.filter(isKind("MutatingAdmissionPolicyBinding"));
    for (const policy of resources.filter(isKind("MutatingAdmissionPolicy"))) {
      const spec = policy.inputs.spec ?? {};
      const owner = resources.find((r) => resourceId(r) === policy.parent);
      const runner = owner?.inputs.runnerContainer;
      checkMatch(policy, "spec.matchConstraints", spec.matchConstraints, found);
      if (spec.failurePolicy !== "Ignore") found.push([policy, "spec.failurePolicy must be Ignore: a failing policy must never block a session"]);
      const condition = (spec.matchConditions ?? []).map((c: any) => c.expression).join(" ");
      const indexVar = (spec.variables ?? []).find((v: any) => v.name === "runnerIndex")?.expression ?? "";
      const target = JSON.stringify(runner ?? "");
      if (runner === undefined || !condition.includes(`c.name == ${target}`) || !indexVar.includes(`indexOf(${target})`)) {
        found.push([policy, `the mutation must target the runner container ${target} by name (matchConditions and runnerIndex)`]);
      }
      const bound = bindings.filter((b) => b.inputs.spec?.policyName === policy.inputs.metadata?.name);
      if (bound.length === 0) found.push([policy, "no MutatingAdmissionPolicyBinding names this policy: it would never run"]);
      for (const b of bound) checkMatch(b, "spec.matchResources", b.inputs.spec.matchResources, found);
    }
    return violations(this.name, found);
  },
};
