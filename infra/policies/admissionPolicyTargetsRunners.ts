import { admitPod, type AdmissionPolicySpec, type MatchResources } from "./admissionSimulator";
import { type PlannedResource, type Policy, resourceId, violations } from "./types";

const isKind = (kind: string) => (r: PlannedResource) =>
  r.type.startsWith("kubernetes:admissionregistration.k8s.io/") && r.inputs.kind === kind;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What a runner pod patch may match: pod CREATE in the core group, nothing else. */
const POD_CREATE = [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }];

interface Probe {
  what: string;
  namespaceLabels: Record<string, string>;
  labels: Record<string, string>;
  containers: string[];
  /** The runner container's own envFrom, as its creator set it (kept first and unchanged by the patch). */
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
  /** A runner pod in a managed namespace: the one kind of pod the patch must change. */
  runner: boolean;
}

/**
 * Pods as the platform creates them, and pods it must leave alone, in this policy's own reading
 * of the platform (ambient-code/platform): the operator labels runner pods `app:
 * ambient-code-runner` (and `agentic-session`), the control plane `ambient-code.io/session-id`
 * with no `app` label; both put them in namespaces labelled `ambient-code.io/managed: "true"`.
 */
function probes(runner: string): Probe[] {
  const managed = { "ambient-code.io/managed": "true", "kubernetes.io/metadata.name": "team-a" };
  const operatorPod = { app: "ambient-code-runner", "agentic-session": "session-1" };
  const controlPlanePod = {
    "ambient-code.io/session-id": "2f9d1c0a",
    "ambient-code.io/project-id": "team-a",
    "ambient-code.io/managed": "true",
    "ambient-code.io/managed-by": "ambient-control-plane",
  };
  return [
    {
      what: "the operator's runner pod",
      namespaceLabels: managed,
      labels: operatorPod,
      containers: ["ambient-content", runner, "state-sync"],
      envFrom: [{ secretRef: { name: "ambient-runner-secrets" } }],
      runner: true,
    },
    {
      what: "a runner Job's pod (older operators)",
      namespaceLabels: managed,
      labels: { ...operatorPod, "batch.kubernetes.io/job-name": "session-1-job", "job-name": "session-1-job" },
      containers: [runner],
      runner: true,
    },
    { what: "the control plane's runner pod", namespaceLabels: managed, labels: controlPlanePod, containers: [runner, "ambient-mcp", "cred-github"], runner: true },
    { what: "a pod of another app in a managed namespace", namespaceLabels: managed, labels: { app: "ambient-code-backend" }, containers: [runner], runner: false },
    { what: "an unlabelled pod in a managed namespace", namespaceLabels: managed, labels: {}, containers: [runner], runner: false },
    { what: "a pod carrying only agentic-session", namespaceLabels: managed, labels: { "agentic-session": "session-1" }, containers: [runner], runner: false },
    { what: "the operator's runner pod in an unmanaged namespace", namespaceLabels: { "kubernetes.io/metadata.name": "default" }, labels: operatorPod, containers: [runner], runner: false },
    {
      what: "the control plane's runner pod in a namespace labelled managed=false",
      namespaceLabels: { "ambient-code.io/managed": "false", "kubernetes.io/metadata.name": "sandbox" },
      labels: controlPlanePod,
      containers: [runner],
      runner: false,
    },
  ];
}

interface ProbePod {
  apiVersion: "v1";
  kind: "Pod";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { containers: { name: string; image: string; envFrom?: Probe["envFrom"] }[] };
}

const podOf = (p: Probe & { runnerName: string }): ProbePod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "probe", namespace: p.namespaceLabels["kubernetes.io/metadata.name"], labels: p.labels },
  spec: {
    containers: p.containers.map((name) => ({
      name,
      image: "registry.example/runner:1",
      ...(name === p.runnerName && p.envFrom ? { envFrom: p.envFrom } : {}),
    })),
  },
});

export const admissionPolicyTargetsRunners: Policy = {
  name: "admission-policy-targets-runners",
  description:
    "The runner pod patch, run on the pods each platform creator builds, changes only the runner container of runner pods (app=ambient-code-runner or ambient-code.io/session-id) in managed namespaces, once; it never blocks a pod and is bound.",
  check(resources) {
    const found: [PlannedResource, string][] = [];
    const bindings = resources.filter(isKind("MutatingAdmissionPolicyBinding"));
    for (const policy of resources.filter(isKind("MutatingAdmissionPolicy"))) {
      const spec: AdmissionPolicySpec & { failurePolicy?: string } = policy.inputs.spec ?? {};
      const runner = resources.find((r) => resourceId(r) === policy.parent)?.inputs.runnerContainer;
      if (!same(spec.matchConstraints?.resourceRules, POD_CREATE)) {
        found.push([policy, "spec.matchConstraints.resourceRules must be exactly pod CREATE"]);
      }
      if (spec.failurePolicy !== "Ignore") found.push([policy, "spec.failurePolicy must be Ignore: a failing policy must never block a session"]);
      const bound = bindings.filter((b) => b.inputs.spec?.policyName === policy.inputs.metadata?.name);
      if (bound.length === 0) {
        found.push([policy, "no MutatingAdmissionPolicyBinding names this policy: it would never run"]);
        continue;
      }
      if (typeof runner !== "string") {
        found.push([policy, "no runner container is recorded by the component that owns this policy: nothing says which container it may change"]);
        continue;
      }
      for (const probe of probes(runner)) {
        try {
          judge(probe, spec, bound.map((b) => b.inputs.spec.matchResources as MatchResources | undefined), runner, (message) => found.push([policy, message]));
        } catch (e) {
          found.push([policy, `cannot be evaluated on ${probe.what}: ${(e as Error).message}`]);
        }
      }
    }
    return violations(this.name, found);
  },
};

function judge(probe: Probe, spec: AdmissionPolicySpec, bindingMatches: (MatchResources | undefined)[], runner: string, report: (message: string) => void): void {
  const pod = podOf({ ...probe, runnerName: runner });
  const request = { pod, namespaceLabels: probe.namespaceLabels };
  const results = bindingMatches.map((match) => admitPod(spec, request, match));
  const applied = results.filter((r) => r.applied);
  if (!probe.runner) {
    if (applied.some((r) => r.patches.length > 0)) report(`changes ${probe.what}: it must change only runner pods in managed namespaces`);
    return;
  }
  if (applied.length === 0 || applied.every((r) => r.patches.length === 0)) {
    report(`misses ${probe.what}: runner pods carry app=ambient-code-runner or ambient-code.io/session-id`);
    return;
  }
  const index = probe.containers.indexOf(runner);
  for (const { patches, pod: after } of applied) {
    const stray = patches.filter((p) => !p.path.startsWith(`/spec/containers/${index}/`));
    if (stray.length > 0) {
      report(`on ${probe.what} patches ${stray.map((p) => p.path).join(", ")}: only the runner container "${runner}" (/spec/containers/${index}) may change`);
    }
    const kept = after.spec.containers[index]?.envFrom?.slice(0, probe.envFrom?.length ?? 0);
    if (JSON.stringify(kept ?? []) !== JSON.stringify(probe.envFrom ?? [])) {
      report(`drops or changes the envFrom entries ${probe.what} had: append to them, keeping them first and unchanged`);
    }
    const again = admitPod(spec, { pod: after, namespaceLabels: probe.namespaceLabels }, undefined);
    if (again.patches.length > 0) report(`changes ${probe.what} again when it runs a second time (reinvocation): the patch must be idempotent`);
  }
}
