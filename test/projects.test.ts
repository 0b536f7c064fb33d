import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { admissionPolicyBindingManifest, admissionPolicyManifest } from "../infra/operator/admissionPolicy";
import { OPERATOR_SECRET_KEYS, operatorEnv } from "../infra/operator/operatorEnv";
import { type PlannedResource, type Policy, POLICIES, referenceContext, runPolicies } from "../infra/policies";
import { admissionPolicyTargetsRunners } from "../infra/policies/admissionPolicyTargetsRunners";
import { configUrlPointsAtRelease } from "../infra/policies/configUrlPointsAtRelease";
import { noLiteralSecrets } from "../infra/policies/noLiteralSecrets";
import { operatorEnvRefsOptional } from "../infra/policies/operatorEnvRefsOptional";
import { projectKeysStayHome } from "../infra/policies/projectKeysStayHome";
import { projectWiringComplete } from "../infra/policies/projectWiringComplete";
import { projectConfigData } from "../infra/projects/projectContract";
import { type Rendering, renderStack } from "../infra/render/mockHarness";
import { REPO_ROOT, loadStackConfig } from "../infra/render/stackConfig";

const ctx = referenceContext();
const SECRET = "kubernetes:core/v1:Secret";
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const WIRING = "ambient-langfuse:projects:ProjectWiring";
const MAP_V1 = "kubernetes:admissionregistration.k8s.io/v1:MutatingAdmissionPolicy";
const MAPB_V1 = "kubernetes:admissionregistration.k8s.io/v1:MutatingAdmissionPolicyBinding";
const URL = "http://langfuse-web.langfuse.svc.cluster.local:3000";
const unwrap = (v: any) => (v && v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig ? v.value : v);
const find = (r: Rendering | PlannedResource[], type: string, name: string) => {
  const list = Array.isArray(r) ? r : r.resources;
  const found = list.find((x) => x.type === type && x.name === name);
  if (!found) throw new Error(`no ${type}::${name}`);
  return found;
};
const render = (overrides: Record<string, unknown> = {}) =>
  renderStack("dev", loadStackConfig("dev", REPO_ROOT, Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`ambient-langfuse:${k}`, v]))));
const types = (r: Rendering) => r.resources.map((x) => x.type);

let dev: Rendering;
beforeAll(async () => {
  dev = await render();
});

describe("the project contract", () => {
  it("gives a project the in-cluster URL under both names, its own name and the flags, and no key material", () => {
    expect(projectConfigData({ namespace: "team-a", langfuseNamespace: "langfuse", maskMessages: true })).toEqual({
      LANGFUSE_HOST: URL,
      LANGFUSE_BASE_URL: URL,
      LANGFUSE_ENABLED: "true",
      LANGFUSE_PROJECT: "team-a",
      LANGFUSE_MASK_MESSAGES: "true",
    });
  });

  it("makes the operator read every Langfuse key as an optional Secret reference", () => {
    expect(operatorEnv()).toEqual(
      OPERATOR_SECRET_KEYS.map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: "ambient-admin-langfuse-secret", key, optional: true } } })),
    );
  });
});

describe("the dev stack's two example projects", () => {
  it.each(["team-a", "team-b"])("gives %s a langfuse-keys Secret with both keys redacted", (ns) => {
    const secret = find(dev, SECRET, `project-${ns}-keys`);
    expect(secret.parent).toBe(`${WIRING}::project-${ns}`);
    expect(secret.inputs.metadata).toMatchObject({ name: "langfuse-keys", namespace: ns });
    expect(secret.inputs.stringData).toEqual({ LANGFUSE_PUBLIC_KEY: "[secret]", LANGFUSE_SECRET_KEY: "[secret]" });
    expect(secret.secretPaths).toEqual(["$.stringData.LANGFUSE_PUBLIC_KEY", "$.stringData.LANGFUSE_SECRET_KEY"]);
  });

  it.each(["team-a", "team-b"])("gives %s a langfuse-config ConfigMap with the in-cluster URL and no key material", (ns) => {
    const cm = find(dev, CONFIGMAP, `project-${ns}-config`);
    expect(cm.inputs.metadata).toMatchObject({ name: "langfuse-config", namespace: ns });
    expect(cm.inputs.data).toEqual({ LANGFUSE_HOST: URL, LANGFUSE_BASE_URL: URL, LANGFUSE_ENABLED: "true", LANGFUSE_PROJECT: ns, LANGFUSE_MASK_MESSAGES: "false" });
    expect(cm.secretPaths).toEqual([]);
  });

  it("shares the bootstrap key pair with every project (isolation: shared)", () => {
    const boot = unwrap(dev.rawInputs.get(`${SECRET}::bootstrap`).stringData);
    for (const ns of ["team-a", "team-b"]) {
      const keys = unwrap(dev.rawInputs.get(`${SECRET}::project-${ns}-keys`).stringData);
      expect(unwrap(keys.LANGFUSE_PUBLIC_KEY)).toBe(unwrap(boot["public-key"]));
      expect(unwrap(keys.LANGFUSE_SECRET_KEY)).toBe(unwrap(boot["secret-key"]));
    }
    const configMaps = JSON.stringify(dev.resources.filter((r) => r.type === CONFIGMAP));
    for (const v of dev.generatedValues) expect(configMaps).not.toContain(v);
  });

  it("creates each project namespace labelled as managed, with its display name", () => {
    expect(find(dev, NAMESPACE, "project-team-b-namespace").inputs.metadata).toEqual({
      name: "team-b",
      labels: { "ambient-code.io/managed": "true", "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "ambient-langfuse" },
      annotations: { "openshift.io/display-name": "Team B" },
    });
  });

  it("adds the admission policy and its binding, as the pure manifests say", () => {
    const settings = { apiVersion: "v1" as const, runnerContainer: "ambient-code-runner", keysSecretName: "langfuse-keys", configMapName: "langfuse-config", policyName: "ambient-langfuse-runner-env", labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "ambient-langfuse" } };
    expect(find(dev, MAP_V1, "runner-pod-patch-policy").inputs).toEqual(admissionPolicyManifest(settings));
    expect(find(dev, MAPB_V1, "runner-pod-patch-binding").inputs).toEqual(admissionPolicyBindingManifest(settings));
  });

  it("exports the object names and the key source per project, and no key", () => {
    expect(dev.outputs.projects).toEqual({
      value: {
        "team-a": { secret: "langfuse-keys", configMap: "langfuse-config", keySource: "shared" },
        "team-b": { secret: "langfuse-keys", configMap: "langfuse-config", keySource: "shared" },
      },
      secret: false,
    });
  });
});

describe("settings that change the wiring", () => {
  it("never creates, labels or deletes a project namespace unless asked to", async () => {
    const r = await render({ createProjectNamespaces: false });
    // The program's own namespaces only: the prerequisites', and Langfuse's.
    expect(r.resources.filter((x) => x.type === NAMESPACE).map((x) => x.inputs.metadata.name)).toEqual(["cert-manager", "clickhouse-operator", "langfuse"]);
    expect(runPolicies(r.resources, ctx).violations).toEqual([]);
  });

  it("passes maskMessages to every project", async () => {
    const r = await render({ maskMessages: true });
    expect(find(r, CONFIGMAP, "project-team-a-config").inputs.data.LANGFUSE_MASK_MESSAGES).toBe("true");
  });

  it("uses the typed v1beta1 resources for Kubernetes 1.34/1.35", async () => {
    const r = await render({ admissionPolicyApiVersion: "v1beta1" });
    expect(types(r).filter((t) => t.includes("admissionregistration"))).toEqual([
      "kubernetes:admissionregistration.k8s.io/v1beta1:MutatingAdmissionPolicy",
      "kubernetes:admissionregistration.k8s.io/v1beta1:MutatingAdmissionPolicyBinding",
    ]);
    expect(runPolicies(r.resources, ctx).violations).toEqual([]);
  });

  it.each(["v1", "v1beta1"] as const)(
    "registers the typed %s policy and binding as a generic resource of that apiVersion and kind did: same type tokens, names and inputs (no replacement)",
    async (apiVersion) => {
      const typed = await render({ admissionPolicyApiVersion: apiVersion });
      const settings = { apiVersion, runnerContainer: "ambient-code-runner", keysSecretName: "langfuse-keys", configMapName: "langfuse-config", policyName: "ambient-langfuse-runner-env", labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "ambient-langfuse" } };
      // The registration before the typed classes: the provider's generic resource for any kind.
      const generic = await renderStack("dev", loadStackConfig("dev"), () => {
        new k8s.apiextensions.CustomResource("runner-pod-patch-policy", admissionPolicyManifest(settings));
        new k8s.apiextensions.CustomResource("runner-pod-patch-binding", admissionPolicyBindingManifest(settings));
      });
      const admissionObjects = (r: Rendering) => r.resources.filter((x) => x.type.includes("admissionregistration")).map((x) => [x.type, x.name, x.inputs]);
      expect(admissionObjects(typed)).toEqual(admissionObjects(generic));
      expect(admissionObjects(typed).map(([type]) => type)).toEqual([
        `kubernetes:admissionregistration.k8s.io/${apiVersion}:MutatingAdmissionPolicy`,
        `kubernetes:admissionregistration.k8s.io/${apiVersion}:MutatingAdmissionPolicyBinding`,
      ]);
      // The parent, and so the URN, is the component's as before.
      expect(typed.resources.filter((x) => x.type.includes("admissionregistration")).map((x) => x.parent)).toEqual([
        "ambient-langfuse:operator:RunnerPodPatch::runner-pod-patch",
        "ambient-langfuse:operator:RunnerPodPatch::runner-pod-patch",
      ]);
    },
  );

  it("in operator-env mode writes the operator's Secret and patches its Deployment instead of adding an admission policy", async () => {
    const r = await render({ operatorIntegration: "operator-env", maskMessages: true });
    expect(types(r).some((t) => t.includes("admissionregistration"))).toBe(false);
    const secret = find(r, SECRET, "operator-env-secret");
    expect(secret.inputs.metadata).toMatchObject({ name: "ambient-admin-langfuse-secret", namespace: "ambient-code" });
    // Exactly the four the operator forwards to runners, nothing it would drop.
    expect(Object.keys(secret.inputs.stringData).sort()).toEqual(["LANGFUSE_ENABLED", "LANGFUSE_HOST", "LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY"]);
    expect([...OPERATOR_SECRET_KEYS].sort()).toEqual(Object.keys(secret.inputs.stringData).sort());
    const data = unwrap(r.rawInputs.get(`${SECRET}::operator-env-secret`).stringData);
    expect([unwrap(data.LANGFUSE_HOST), unwrap(data.LANGFUSE_ENABLED)]).toEqual([URL, "true"]);
    expect(unwrap(data.LANGFUSE_SECRET_KEY)).toMatch(/^sk-lf-/);
    const patch = find(r, "kubernetes:apps/v1:DeploymentPatch", "operator-env-deployment");
    expect(patch.inputs.metadata).toMatchObject({ name: "agentic-operator", namespace: "ambient-code" });
    expect(patch.inputs.spec.template.spec.containers).toEqual([{ name: "agentic-operator", env: operatorEnv() }]);
    expect(find(r, "kubernetes:apps/v1:DeploymentPatch", "operator-env-deployment").options).toMatchObject({ retainOnDelete: true });
    expect(runPolicies(r.resources, ctx).violations).toEqual([]);
    // The project namespaces keep their contract in every mode.
    expect(find(r, SECRET, "project-team-a-keys").inputs.metadata.name).toBe("langfuse-keys");
  });

  it("with operatorIntegration none touches neither the operator nor admission", async () => {
    const r = await render({ operatorIntegration: "none" });
    expect(types(r).filter((t) => t.startsWith("ambient-langfuse:operator") || t.includes("admissionregistration") || t.endsWith("Patch"))).toEqual([]);
  });

  it("renders 500 projects with every policy passing", async () => {
    const projects = Array.from({ length: 500 }, (_, i) => `project-${String(i).padStart(3, "0")}`);
    const started = Date.now();
    const r = await render({ projects });
    const { runs, violations } = runPolicies(r.resources, ctx);
    expect(violations).toEqual([]);
    expect(runs.every((x) => x.status === "passed")).toBe(true);
    expect(r.resources.filter((x) => x.type === WIRING)).toHaveLength(500);
    // Generous bound: the benchmark (`npm run bench`) measures the real figure.
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it("refuses a duplicate project before registering anything", async () => {
    await expect(render({ projects: ["team-a", "team-a"] })).rejects.toThrow(/projects\[1\] is "team-a" again/);
  });
});

describe("project policies catch what they guard against", () => {
  const mutated = (mutate: (rs: PlannedResource[]) => void) => {
    const copy = structuredClone(dev.resources);
    mutate(copy);
    return copy;
  };
  const only = (policy: Policy, rs: PlannedResource[]) => policy.check(rs, ctx);

  it("every project policy is part of the plan", () => {
    for (const p of [projectKeysStayHome, projectWiringComplete, admissionPolicyTargetsRunners, configUrlPointsAtRelease, operatorEnvRefsOptional]) {
      expect(POLICIES).toContain(p);
    }
  });

  it("project-keys-stay-home: keys copied into a namespace that is not a listed project", () => {
    const rs = mutated((r) => {
      const copy = structuredClone(find(r, SECRET, "project-team-a-keys"));
      copy.name = "stray-keys";
      copy.inputs.metadata.namespace = "default";
      r.push(copy);
    });
    expect(only(projectKeysStayHome, rs)).toEqual({
      violations: [{ policy: "project-keys-stay-home", resource: `${SECRET}::stray-keys`, message: 'langfuse-keys in namespace "default", which is not a listed project: project keys belong only in project namespaces' }],
    });
  });

  it("project-keys-stay-home: one project's wiring writing into another project's namespace", () => {
    const rs = mutated((r) => (find(r, SECRET, "project-team-a-keys").inputs.metadata.namespace = "team-b"));
    expect(only(projectKeysStayHome, rs)).toEqual({
      violations: [{ policy: "project-keys-stay-home", resource: `${SECRET}::project-team-a-keys`, message: `langfuse-keys in namespace "team-b" is not created by that project's wiring (${WIRING}::project-team-b)` }],
    });
  });

  it("project-wiring-complete: a project without its Secret and with two ConfigMaps", () => {
    const rs = mutated((r) => {
      r.splice(r.indexOf(find(r, SECRET, "project-team-b-keys")), 1);
      r.push({ ...structuredClone(find(r, CONFIGMAP, "project-team-b-config")), name: "extra-config" });
    });
    expect(only(projectWiringComplete, rs)).toEqual({
      violations: [
        { policy: "project-wiring-complete", resource: `${WIRING}::project-team-b`, message: 'project "team-b" has 0 Secret langfuse-keys (exactly one expected)' },
        { policy: "project-wiring-complete", resource: `${WIRING}::project-team-b`, message: 'project "team-b" has 2 ConfigMap langfuse-config (exactly one expected)' },
      ],
    });
  });

  const P = `${MAP_V1}::runner-pod-patch-policy`;
  const A = (message: string) => ({ policy: "admission-policy-targets-runners", resource: P, message });
  const admission = (r: PlannedResource[]) => ({
    spec: find(r, MAP_V1, "runner-pod-patch-policy").inputs.spec,
    binding: find(r, MAPB_V1, "runner-pod-patch-binding").inputs.spec,
  });

  it("admission-policy-targets-runners: a policy and binding for every namespace, that may block pods", () => {
    const rs = mutated((r) => {
      const { spec, binding } = admission(r);
      spec.matchConstraints.namespaceSelector = {};
      binding.matchResources.namespaceSelector = {};
      spec.failurePolicy = "Fail";
    });
    expect(only(admissionPolicyTargetsRunners, rs)).toEqual({
      violations: [
        A("spec.failurePolicy must be Ignore: a failing policy must never block a session"),
        A("changes the operator's runner pod in an unmanaged namespace: it must change only runner pods in managed namespaces"),
        A("changes the control plane's runner pod in a namespace labelled managed=false: it must change only runner pods in managed namespaces"),
      ],
    });
  });

  it("admission-policy-targets-runners: selecting by the operator's label alone misses the control plane's runner pods", () => {
    // How the patch selected runner pods before it knew of the control plane: an object selector.
    const rs = mutated((r) => {
      const { spec, binding } = admission(r);
      spec.matchConstraints.objectSelector = { matchLabels: { app: "ambient-code-runner" } };
      binding.matchResources.objectSelector = { matchLabels: { app: "ambient-code-runner" } };
      spec.matchConditions = spec.matchConditions.filter((c: { name: string }) => c.name === "has-runner-container");
    });
    expect(only(admissionPolicyTargetsRunners, rs)).toEqual({
      violations: [A("misses the control plane's runner pod: runner pods carry app=ambient-code-runner or ambient-code.io/session-id")],
    });
  });

  it("admission-policy-targets-runners: a match condition on any app label changes other apps' pods", () => {
    const rs = mutated((r) => (admission(r).spec.matchConditions[0].expression = 'has(object.metadata.labels) && "app" in object.metadata.labels'));
    expect(only(admissionPolicyTargetsRunners, rs)).toEqual({
      violations: [
        A("misses the control plane's runner pod: runner pods carry app=ambient-code-runner or ambient-code.io/session-id"),
        A("changes a pod of another app in a managed namespace: it must change only runner pods in managed namespaces"),
      ],
    });
  });

  it("admission-policy-targets-runners: a mutation of another container, and one that adds its entries again on every run", () => {
    const rs = mutated((r) => {
      const variables = admission(r).spec.variables;
      variables[0].expression = "0";
    });
    expect(only(admissionPolicyTargetsRunners, rs)).toEqual({
      violations: [
        A('on the operator\'s runner pod patches /spec/containers/0/envFrom: only the runner container "ambient-code-runner" (/spec/containers/1) may change'),
      ],
    });
    const again = mutated((r) => {
      const mutation = admission(r).spec.mutations[0].jsonPatch;
      mutation.expression = mutation.expression.replace("!variables.hasEnvFrom", "true");
    });
    expect(only(admissionPolicyTargetsRunners, again)).toEqual({
      violations: [
        A("drops or changes the envFrom entries the operator's runner pod had: append to them, keeping them first and unchanged"),
        A("changes the operator's runner pod again when it runs a second time (reinvocation): the patch must be idempotent"),
        A("changes a runner Job's pod (older operators) again when it runs a second time (reinvocation): the patch must be idempotent"),
        A("changes the control plane's runner pod again when it runs a second time (reinvocation): the patch must be idempotent"),
      ],
    });
  });

  it("admission-policy-targets-runners: a policy no binding activates", () => {
    const rs = mutated((r) => r.splice(r.indexOf(find(r, MAPB_V1, "runner-pod-patch-binding")), 1));
    expect(only(admissionPolicyTargetsRunners, rs)).toEqual({
      violations: [A("no MutatingAdmissionPolicyBinding names this policy: it would never run")],
    });
  });

  it("config-url-points-at-release: a ConfigMap pointing at another service", () => {
    const rs = mutated((r) => (find(r, CONFIGMAP, "project-team-a-config").inputs.data.LANGFUSE_HOST = "http://langfuse.langfuse.svc:3000"));
    expect(only(configUrlPointsAtRelease, rs)).toEqual({
      violations: [{ policy: "config-url-points-at-release", resource: `${CONFIGMAP}::project-team-a-config`, message: `data.LANGFUSE_HOST is "http://langfuse.langfuse.svc:3000", not the release's web service (${URL})` }],
    });
  });

  it("config-url-points-at-release: a URL builder's mistake carried into every ConfigMap (the worker's port) is still refused", () => {
    // What a wrong port in the program's URL builder would write everywhere: a policy that built the
    // expected URL with the same builder would agree with it.
    const wrong = "http://langfuse-web.langfuse.svc.cluster.local:3030";
    const rs = mutated((r) => {
      for (const ns of ["team-a", "team-b"]) Object.assign(find(r, CONFIGMAP, `project-${ns}-config`).inputs.data, { LANGFUSE_HOST: wrong, LANGFUSE_BASE_URL: wrong });
    });
    expect((only(configUrlPointsAtRelease, rs) as { violations: unknown[] }).violations).toHaveLength(4);
    expect(only(configUrlPointsAtRelease, rs)).toMatchObject({
      violations: [{ resource: `${CONFIGMAP}::project-team-a-config`, message: `data.LANGFUSE_HOST is "${wrong}", not the release's web service (${URL})` }, {}, {}, {}],
    });
  });

  it("config-url-points-at-release: the web port the release's values set is the one expected", () => {
    const rs = mutated((r) => (find(r, "kubernetes:helm.sh/v3:Release", "langfuse").inputs.values.langfuse.web.service = { port: 8080 }));
    expect((only(configUrlPointsAtRelease, rs) as { violations: { message: string }[] }).violations[0].message).toBe(
      `data.LANGFUSE_HOST is "${URL}", not the release's web service (http://langfuse-web.langfuse.svc.cluster.local:8080)`,
    );
  });

  it("project-wiring-complete: a contract name misspelt by the producer everywhere (langfuse-key) leaves every project without its Secret", () => {
    const rs = mutated((r) => {
      for (const ns of ["team-a", "team-b"]) find(r, SECRET, `project-${ns}-keys`).inputs.metadata.name = "langfuse-key";
    });
    expect(only(projectWiringComplete, rs)).toEqual({
      violations: ["team-a", "team-b"].map((ns) => ({
        policy: "project-wiring-complete",
        resource: `${WIRING}::project-${ns}`,
        message: `project "${ns}" has 0 Secret langfuse-keys (exactly one expected)`,
      })),
    });
  });

  it("no-literal-secrets: key material in a project ConfigMap", () => {
    const rs = mutated((r) => (find(r, CONFIGMAP, "project-team-a-config").inputs.data.LANGFUSE_TOKEN_HINT = "pk-lf-9f8e7d6c-1111-4222-8333-444455556666"));
    expect(only(noLiteralSecrets, rs)).toEqual({
      violations: [
        { policy: "no-literal-secrets", resource: `${CONFIGMAP}::project-team-a-config`, message: "data.LANGFUSE_TOKEN_HINT looks like a credential: put it in a Secret" },
        { policy: "no-literal-secrets", resource: `${CONFIGMAP}::project-team-a-config`, message: "data.LANGFUSE_TOKEN_HINT holds Langfuse key material: put it in a Secret" },
      ],
    });
  });

  it("patched-env-refs-optional: an operator env reference that is not optional", async () => {
    const r = await render({ operatorIntegration: "operator-env", maskMessages: true });
    const rs = structuredClone(r.resources);
    find(rs, "kubernetes:apps/v1:DeploymentPatch", "operator-env-deployment").inputs.spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef.optional = false;
    expect(only(operatorEnvRefsOptional, rs)).toEqual({
      violations: [{ policy: "patched-env-refs-optional", resource: "kubernetes:apps/v1:DeploymentPatch::operator-env-deployment", message: 'spec.template.spec.containers[0].env[1] references Secret "ambient-admin-langfuse-secret" without optional: true' }],
    });
  });
});
