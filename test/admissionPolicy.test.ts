// The runner pod patch, shown working: the CEL that the MutatingAdmissionPolicy manifest carries
// is evaluated with a real CEL implementation (@bufbuild/cel) against realistic runner pods of both
// pod creators (the operator's and the control plane's), and the JSON Patch it returns is applied
// the way the API server applies it. The simulated API server (evaluation order, selectors, the
// CEL types an expression constructs, RFC 6902) is infra/policies/admissionSimulator.ts, which the
// policy admission-policy-targets-runners runs too; its own behaviour is tested at the end.
// Not reproduced: Kubernetes' static type check of the expressions and its cost limits; only an
// API server (1.34+ with the beta enabled, or 1.36+) can confirm those.
import { describe, expect, it } from "vitest";
import {
  admissionPolicyBindingManifest,
  admissionPolicyManifest,
  type MutatingAdmissionPolicyManifest,
  type RunnerPatchSettings,
} from "../infra/operator/admissionPolicy";
import { admitPod, applyJsonPatch, type JsonPatchOp, matchesPodCreate } from "../infra/policies/admissionSimulator";
import { labelSelectorMatches } from "../infra/policies/labelSelector";

const MANAGED_NAMESPACE = { "kubernetes.io/metadata.name": "team-a", "ambient-code.io/managed": "true" };

/** Admits `pod`, created in a managed namespace, through the policy and its binding. */
function admit<T extends object>(
  policy: MutatingAdmissionPolicyManifest,
  pod: T,
  namespaceLabels: Record<string, string> = MANAGED_NAMESPACE,
): { applied: boolean; patches: JsonPatchOp[]; pod: T } {
  const binding = admissionPolicyBindingManifest({ ...settings, apiVersion: policy.apiVersion === "admissionregistration.k8s.io/v1" ? "v1" : "v1beta1" });
  return admitPod(policy.spec, { pod, namespaceLabels }, binding.spec.matchResources);
}

// ---------------------------------------------------------------------------------------------
// Fixtures: a runner pod as each pod creator builds it in a managed project namespace.

const settings: RunnerPatchSettings = {
  apiVersion: "v1",
  runnerContainer: "ambient-code-runner",
  keysSecretName: "langfuse-keys",
  configMapName: "langfuse-config",
  policyName: "ambient-langfuse-runner-env",
};
const policy = admissionPolicyManifest(settings);

const keysEntry = { secretRef: { name: "langfuse-keys", optional: true } };
const configEntry = { configMapRef: { name: "langfuse-config", optional: true } };

interface Container {
  name: string;
  image: string;
  env?: Array<{ name: string; value: string }>;
  envFrom?: Array<Record<string, unknown>>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

const initHydrate: Container = {
  name: "init-hydrate",
  image: "quay.io/ambient_code/vteam_runner:latest",
  env: [{ name: "AGENTIC_SESSION_NAME", value: "session-1764300000" }],
  volumeMounts: [{ name: "workspace", mountPath: "/workspace" }],
};
const content: Container = {
  name: "ambient-content",
  image: "quay.io/ambient_code/vteam_content:latest",
  volumeMounts: [{ name: "workspace", mountPath: "/workspace" }],
};

function runner(envFrom?: Container["envFrom"]): Container {
  return {
    name: "ambient-code-runner",
    image: "quay.io/ambient_code/vteam_claude_runner:latest",
    env: [
      { name: "AGENTIC_SESSION_NAME", value: "session-1764300000" },
      { name: "AGENTIC_SESSION_NAMESPACE", value: "team-a" },
      { name: "LLM_MODEL", value: "claude-sonnet-4-5" },
      { name: "INTERACTIVE", value: "false" },
    ],
    ...(envFrom === undefined ? {} : { envFrom }),
    volumeMounts: [{ name: "workspace", mountPath: "/workspace" }],
  };
}

function runnerPod(runnerContainer: Container) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "session-1764300000-runner",
      namespace: "team-a",
      labels: { app: "ambient-code-runner", "agentic-session": "session-1764300000" },
    },
    spec: {
      restartPolicy: "Never",
      initContainers: [initHydrate],
      containers: [content, runnerContainer],
      volumes: [{ name: "workspace", emptyDir: {} }],
    },
  };
}

const operatorEnvFrom = [{ secretRef: { name: "ambient-runner-secrets" } }];

/**
 * A runner pod as the control plane builds it (ambient-code/platform,
 * components/ambient-control-plane/internal/reconciler/kube_reconciler.go, ensurePod): the session
 * labels and no `app` label, the runner container first with its AG-UI port, a literal env list and
 * no envFrom, then the MCP sidecar and a credential sidecar.
 */
function controlPlanePod(runnerEnvFrom?: Array<Record<string, unknown>>) {
  const sessionId = "2f9d1c0a6b7e4d3c8a1f";
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `session-${sessionId}-runner`,
      namespace: "team-a",
      labels: {
        "ambient-code.io/session-id": sessionId,
        "ambient-code.io/project-id": "team-a",
        "ambient-code.io/managed": "true",
        "ambient-code.io/managed-by": "ambient-control-plane",
      },
      annotations: { "ambient-code.io/session-id": sessionId, "ambient-code.io/session-name": "fix-the-build" },
    },
    spec: {
      serviceAccountName: `session-${sessionId}-sa`,
      automountServiceAccountToken: true,
      restartPolicy: "Never",
      terminationGracePeriodSeconds: 60,
      volumes: [{ name: "workspace", emptyDir: {} }, { name: "service-ca", configMap: { name: "openshift-service-ca.crt", optional: true } }],
      containers: [
        {
          name: "ambient-code-runner",
          image: "quay.io/ambient_code/vteam_claude_runner:latest",
          imagePullPolicy: "Always",
          ports: [{ name: "agui", containerPort: 8001, protocol: "TCP" }],
          volumeMounts: [{ name: "workspace", mountPath: "/workspace" }],
          env: [
            { name: "SESSION_ID", value: sessionId },
            { name: "AGENTIC_SESSION_NAME", value: "fix-the-build" },
            { name: "AGENTIC_SESSION_NAMESPACE", value: "team-a" },
            { name: "AGUI_PORT", value: "8001" },
          ],
          ...(runnerEnvFrom === undefined ? {} : { envFrom: runnerEnvFrom }),
          resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2000m", memory: "4Gi" } },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
        {
          name: "ambient-mcp",
          image: "quay.io/ambient_code/vteam_mcp:latest",
          ports: [{ name: "mcp-sse", containerPort: 8090, protocol: "TCP" }],
        },
        {
          name: "cred-github",
          image: "quay.io/ambient_code/vteam_credential_github:latest",
          ports: [{ name: "cred-github", containerPort: 8091, protocol: "TCP" }],
        },
      ],
    },
  };
}

// ---------------------------------------------------------------------------------------------

describe("runner pod patch, evaluated with @bufbuild/cel", () => {
  it("appends the keys Secret and the config ConfigMap to the runner container only, after its own envFrom", () => {
    const before = runnerPod(runner(operatorEnvFrom));
    const { patches, pod } = admit(policy, before);

    expect(patches).toEqual([
      { op: "add", path: "/spec/containers/1/envFrom/-", value: keysEntry },
      { op: "add", path: "/spec/containers/1/envFrom/-", value: configEntry },
    ]);
    expect(pod.spec.containers).toEqual([content, runner([...operatorEnvFrom, keysEntry, configEntry])]);
    expect(pod.spec.initContainers).toEqual([initHydrate]);
    expect({ ...pod, spec: { ...pod.spec, containers: before.spec.containers } }).toEqual(before);
  });

  it("changes nothing when it runs again on the pod it already mutated (reinvocation)", () => {
    const once = admit(policy, runnerPod(runner(operatorEnvFrom))).pod;
    const twice = admit(policy, once);

    expect(twice.patches).toEqual([]);
    expect(twice.pod).toEqual(once);
  });

  it("adds only the ConfigMap when the runner already reads langfuse-keys, keeping that entry as it is", () => {
    const existing = [...operatorEnvFrom, { secretRef: { name: "langfuse-keys" } }];
    const { pod } = admit(policy, runnerPod(runner(existing)));

    expect(pod.spec.containers).toEqual([content, runner([...existing, configEntry])]);
  });

  it("matches existing entries by kind and name: a ConfigMap called langfuse-keys is not the keys Secret", () => {
    const existing = [{ configMapRef: { name: "langfuse-keys" } }, { configMapRef: { name: "langfuse-config" } }];
    const { pod } = admit(policy, runnerPod(runner(existing)));

    expect(pod.spec.containers).toEqual([content, runner([...existing, keysEntry])]);
  });

  it("creates envFrom on a runner container that has none", () => {
    const { patches, pod } = admit(policy, runnerPod(runner()));

    expect(patches).toEqual([{ op: "add", path: "/spec/containers/1/envFrom", value: [keysEntry, configEntry] }]);
    expect(pod.spec.containers).toEqual([content, runner([keysEntry, configEntry])]);
  });

  it("finds the runner container wherever the operator puts it", () => {
    const before = runnerPod(runner(operatorEnvFrom));
    before.spec.containers = [before.spec.containers[1], content];
    const { pod } = admit(policy, before);

    expect(pod.spec.containers).toEqual([runner([...operatorEnvFrom, keysEntry, configEntry]), content]);
  });

  it("leaves a pod without the runner container untouched", () => {
    const before = runnerPod(content);
    before.spec.containers = [content];
    const { patches, pod } = admit(policy, before);

    expect(patches).toEqual([]);
    expect(pod).toEqual(before);
  });

  it("uses the configured container, Secret and ConfigMap names", () => {
    const custom = admissionPolicyManifest({
      ...settings,
      runnerContainer: "runner",
      keysSecretName: "tracing-keys",
      configMapName: "tracing.config",
    });
    const before = runnerPod({ ...content, name: "runner" });
    const { pod } = admit(custom, before);

    expect(pod.spec.containers).toEqual([
      content,
      {
        ...content,
        name: "runner",
        envFrom: [
          { secretRef: { name: "tracing-keys", optional: true } },
          { configMapRef: { name: "tracing.config", optional: true } },
        ],
      },
    ]);
  });
});

describe("runner pods of the control plane (ambient-code.io/session-id, no app label)", () => {
  it("creates envFrom on its runner container, the first, and leaves the MCP and credential sidecars alone", () => {
    const before = controlPlanePod();
    const { patches, pod } = admit(policy, before);

    expect(patches).toEqual([{ op: "add", path: "/spec/containers/0/envFrom", value: [keysEntry, configEntry] }]);
    expect(pod.spec.containers[0]).toEqual({ ...before.spec.containers[0], envFrom: [keysEntry, configEntry] });
    expect(pod.spec.containers.slice(1)).toEqual(before.spec.containers.slice(1));
    expect({ ...pod, spec: { ...pod.spec, containers: before.spec.containers } }).toEqual(before);
  });

  it("changes nothing when it runs again on the pod it already mutated (reinvocation)", () => {
    const once = admit(policy, controlPlanePod()).pod;
    const twice = admit(policy, once);

    expect(twice.patches).toEqual([]);
    expect(twice.pod).toEqual(once);
  });

  it("appends after envFrom entries the control plane may set, and only the missing one", () => {
    const existing = [{ secretRef: { name: "ambient-runner-secrets" } }, { configMapRef: { name: "langfuse-config" } }];
    const { patches, pod } = admit(policy, controlPlanePod(existing));

    expect(patches).toEqual([{ op: "add", path: "/spec/containers/0/envFrom/-", value: keysEntry }]);
    expect(pod.spec.containers[0]).toMatchObject({ name: "ambient-code-runner", envFrom: [...existing, keysEntry] });
  });
});

describe("which pods the policy and its binding select", () => {
  const operatorLabels = { app: "ambient-code-runner", "agentic-session": "session-1764300000" };
  const controlPlaneLabels = controlPlanePod().metadata.labels;
  const withLabels = (labels: Record<string, string>) => {
    const pod = runnerPod(runner());
    return { ...pod, metadata: { ...pod.metadata, labels } };
  };

  it.each([
    ["the operator's runner pod", operatorLabels, MANAGED_NAMESPACE, true],
    ["a runner Job's pod (older operators)", { ...operatorLabels, "batch.kubernetes.io/job-name": "session-1764300000-job", "job-name": "session-1764300000-job" }, MANAGED_NAMESPACE, true],
    ["the control plane's runner pod", controlPlaneLabels, MANAGED_NAMESPACE, true],
    ["a pod carrying only the session id", { "ambient-code.io/session-id": "2f9d1c0a" }, MANAGED_NAMESPACE, true],
    ["a pod of another app", { app: "ambient-code-backend" }, MANAGED_NAMESPACE, false],
    ["a pod whose app label only starts like the runner's", { app: "ambient-code-runner-debug" }, MANAGED_NAMESPACE, false],
    ["a pod carrying only agentic-session", { "agentic-session": "session-1764300000" }, MANAGED_NAMESPACE, false],
    ["a pod without labels", {}, MANAGED_NAMESPACE, false],
    ["the operator's runner pod in an unmanaged namespace", operatorLabels, { "kubernetes.io/metadata.name": "default" }, false],
    ["the control plane's runner pod in a namespace labelled managed=false", controlPlaneLabels, { "kubernetes.io/metadata.name": "sandbox", "ambient-code.io/managed": "false" }, false],
  ])("%s: patched %s", (_what, labels, namespaceLabels, patched) => {
    const { patches } = admit(policy, withLabels(labels), namespaceLabels);
    expect(patches.length > 0).toBe(patched);
  });

  it("a pod without metadata.labels at all is not selected (the label lookups do not fail on it)", () => {
    const pod = runnerPod(runner());
    const { metadata, ...rest } = pod;
    const { labels: _labels, ...unlabelled } = metadata;
    expect(admit(policy, { ...rest, metadata: unlabelled })).toMatchObject({ applied: false, patches: [] });
  });

  it("a control plane pod without the runner container is not selected", () => {
    const pod = controlPlanePod();
    pod.spec.containers = pod.spec.containers.slice(1);
    expect(admit(policy, pod)).toMatchObject({ applied: false, patches: [] });
  });
});

describe("the simulated API server: selectors and the JSON Patch applier (RFC 6902)", () => {
  it("matches label selectors as the API does: matchLabels and In, NotIn, Exists, DoesNotExist", () => {
    const labels = { app: "web", tier: "front" };
    expect(labelSelectorMatches({}, labels)).toBe(true);
    expect(labelSelectorMatches({ matchLabels: { app: "web" } }, labels)).toBe(true);
    expect(labelSelectorMatches({ matchLabels: { app: "web", tier: "back" } }, labels)).toBe(false);
    expect(labelSelectorMatches({ matchExpressions: [{ key: "tier", operator: "In", values: ["front", "edge"] }] }, labels)).toBe(true);
    expect(labelSelectorMatches({ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }, labels)).toBe(false);
    expect(labelSelectorMatches({ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] }, labels)).toBe(true);
    expect(labelSelectorMatches({ matchExpressions: [{ key: "app", operator: "NotIn", values: ["web"] }] }, labels)).toBe(false);
    expect(labelSelectorMatches({ matchExpressions: [{ key: "app", operator: "Exists" }] }, labels)).toBe(true);
    expect(labelSelectorMatches({ matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, labels)).toBe(false);
  });

  it("admits a pod CREATE only through matching resource rules and selectors", () => {
    const rules = [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }];
    const managed = { matchLabels: { "ambient-code.io/managed": "true" } };
    expect(matchesPodCreate({ namespaceSelector: managed, resourceRules: rules }, MANAGED_NAMESPACE, {})).toBe(true);
    expect(matchesPodCreate({ namespaceSelector: managed, resourceRules: rules }, { "kubernetes.io/metadata.name": "default" }, {})).toBe(false);
    expect(matchesPodCreate({ resourceRules: [{ ...rules[0], operations: ["UPDATE"] }] }, MANAGED_NAMESPACE, {})).toBe(false);
    expect(matchesPodCreate({ objectSelector: { matchLabels: { app: "x" } } }, MANAGED_NAMESPACE, { app: "y" })).toBe(false);
  });

  it("appends with -, inserts at an index and unescapes ~1 and ~0 in keys", () => {
    const document = { list: [1, 2], labels: { "a/b": "x", "c~d": "y" } };
    const result = applyJsonPatch(document, [
      { op: "add", path: "/list/-", value: 3 },
      { op: "add", path: "/list/0", value: 0 },
      { op: "replace", path: "/labels/a~1b", value: "z" },
      { op: "add", path: "/labels/c~0d", value: "w" },
    ]);

    expect(result).toEqual({ list: [0, 1, 2, 3], labels: { "a/b": "z", "c~d": "w" } });
    expect(document).toEqual({ list: [1, 2], labels: { "a/b": "x", "c~d": "y" } });
  });

  it("refuses to add below a path that does not exist", () => {
    expect(() => applyJsonPatch({ spec: {} }, [{ op: "add", path: "/spec/containers/0/envFrom/-", value: 1 }])).toThrow(
      /does not exist/,
    );
  });
});

describe.each(["v1", "v1beta1"] as const)("manifests for admissionregistration.k8s.io/%s", (apiVersion) => {
  const s: RunnerPatchSettings = { ...settings, apiVersion };
  // No object selector: "either label" is not a label selector; the match conditions decide.
  const managedPodCreates = {
    namespaceSelector: { matchLabels: { "ambient-code.io/managed": "true" } },
    resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }],
    matchPolicy: "Equivalent",
  };

  // kubernetes-models 4.5 has no MutatingAdmissionPolicy kinds: this is their schema check.
  it("declares a policy that mutates runner pod CREATEs in managed namespaces and never blocks them", () => {
    const manifest = admissionPolicyManifest(s);

    expect(Object.keys(manifest).sort()).toEqual(["apiVersion", "kind", "metadata", "spec"]);
    expect(manifest.apiVersion).toBe(`admissionregistration.k8s.io/${apiVersion}`);
    expect(manifest.kind).toBe("MutatingAdmissionPolicy");
    expect(manifest.metadata.name).toBe("ambient-langfuse-runner-env");
    expect(Object.keys(manifest.spec).sort()).toEqual(
      ["failurePolicy", "matchConditions", "matchConstraints", "mutations", "reinvocationPolicy", "variables"].sort(),
    );
    expect(manifest.spec.matchConstraints).toEqual(managedPodCreates);
    expect(manifest.spec.failurePolicy).toBe("Ignore");
    expect(manifest.spec.reinvocationPolicy).toBe("IfNeeded");
    expect(manifest.spec.mutations).toHaveLength(1);
    expect(Object.keys(manifest.spec.mutations[0]).sort()).toEqual(["jsonPatch", "patchType"]);
    expect(manifest.spec.mutations[0].patchType).toBe("JSONPatch");
    for (const named of [...manifest.spec.matchConditions, ...manifest.spec.variables]) {
      expect(Object.keys(named).sort()).toEqual(["expression", "name"]);
    }
    // Variable names are CEL identifiers (`variables.<name>`); match condition names are qualified names.
    for (const variable of manifest.spec.variables) expect(variable.name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    for (const condition of manifest.spec.matchConditions) expect(condition.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(manifest.spec.matchConditions).toEqual([
      {
        name: "is-runner-pod",
        expression:
          'has(object.metadata.labels) && (("app" in object.metadata.labels && object.metadata.labels["app"] == "ambient-code-runner") ' +
          '|| "ambient-code.io/session-id" in object.metadata.labels)',
      },
      { name: "has-runner-container", expression: 'object.spec.containers.exists(c, c.name == "ambient-code-runner")' },
    ]);
  });

  it("declares a binding that activates that policy, by name, for the same pods", () => {
    const binding = admissionPolicyBindingManifest(s);

    expect(binding).toEqual({
      apiVersion: `admissionregistration.k8s.io/${apiVersion}`,
      kind: "MutatingAdmissionPolicyBinding",
      metadata: { name: "ambient-langfuse-runner-env", labels: { "app.kubernetes.io/component": "runner-pod-patch" } },
      spec: { policyName: admissionPolicyManifest(s).metadata.name, matchResources: managedPodCreates },
    });
  });
});

describe("settings", () => {
  it("refuses a container name that is not a Kubernetes name, saying which setting is wrong", () => {
    expect(() => admissionPolicyManifest({ ...settings, runnerContainer: 'runner" || true' })).toThrow(
      /runnerContainer is "runner\\" \|\| true": use a lowercase Kubernetes name/,
    );
  });

  it("refuses an API version Kubernetes does not serve the policy under", () => {
    expect(() => admissionPolicyManifest({ ...settings, apiVersion: "v1alpha1" as "v1" })).toThrow(/use "v1"/);
  });

  it("adds the caller's labels to both objects", () => {
    const labels = { "app.kubernetes.io/managed-by": "pulumi" };
    expect(admissionPolicyManifest({ ...settings, labels }).metadata.labels).toEqual({
      "app.kubernetes.io/managed-by": "pulumi",
      "app.kubernetes.io/component": "runner-pod-patch",
    });
    expect(admissionPolicyBindingManifest({ ...settings, labels }).metadata.labels).toEqual({
      "app.kubernetes.io/managed-by": "pulumi",
      "app.kubernetes.io/component": "runner-pod-patch",
    });
  });
});
