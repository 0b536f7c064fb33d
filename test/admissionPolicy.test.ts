// The runner pod patch, shown working: the CEL that the MutatingAdmissionPolicy manifest carries
// is evaluated with a real CEL implementation (@bufbuild/cel) against realistic runner pods, and
// the JSON Patch it returns is applied the way the API server applies it.
//
// How the Kubernetes side is reproduced (see `admit` below):
// - `object` is bound to the pod as plain JSON (a CEL map), like an unstructured object.
// - `JSONPatch` and the `Object.spec.containers.envFrom...` types the expression constructs are
//   declared as protobuf messages, so `Type{field: value}` construction works and an unknown field
//   name is an error, as in Kubernetes. The envFrom entry types have exactly the fields of core/v1
//   EnvFromSource / SecretEnvSource / ConfigMapEnvSource. JSONPatch.value is a
//   google.protobuf.Value, i.e. the value becomes JSON, as the API server turns it into JSON.
// - `indexOf` on a list (Kubernetes CEL list library) is registered as a method.
// - Order of evaluation follows the API server: matchConditions (all true, or no mutation), then
//   `variables` (bound as `variables.<name>`), then each mutation, whose patch is applied with an
//   RFC 6902 applier (add incl. `-`, replace, remove, test; `~1`/`~0` unescaping).
// Not reproduced: Kubernetes' static type check of the expressions and its cost limits; only an
// API server (1.34+ with the beta enabled, or 1.36+) can confirm those.
import { describe, expect, it } from "vitest";
import { celEnv, celMethod, CelScalar, isCelError, isCelList, listType, parse, plan } from "@bufbuild/cel";
import type { CelInput, CelValue } from "@bufbuild/cel";
import { create, createFileRegistry, createRegistry, toJson } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";
import { isReflectMessage } from "@bufbuild/protobuf/reflect";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as FieldType,
  FileDescriptorProtoSchema,
  file_google_protobuf_struct,
} from "@bufbuild/protobuf/wkt";
import {
  admissionPolicyBindingManifest,
  admissionPolicyManifest,
  type MutatingAdmissionPolicyManifest,
  type RunnerPatchSettings,
} from "../infra/operator/admissionPolicy";

// ---------------------------------------------------------------------------------------------
// A minimal API server: the CEL environment, the policy evaluation order, an RFC 6902 applier.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

const scalar = (name: string, number: number, type: FieldType) => ({ name, number, type, label: Label.OPTIONAL, jsonName: name });
const message = (name: string, number: number, typeName: string) => ({
  name,
  number,
  type: FieldType.MESSAGE,
  label: Label.OPTIONAL,
  typeName,
  jsonName: name,
});
const localObjectRef = (name: string) => ({
  name,
  field: [scalar("name", 1, FieldType.STRING), scalar("optional", 2, FieldType.BOOL)],
});

// proto2: every field has presence, so only what the expression sets reaches the JSON.
const kubernetesCelTypes = create(FileDescriptorProtoSchema, {
  name: "kubernetes-mutating-admission-cel-types.proto",
  syntax: "proto2",
  dependency: ["google/protobuf/struct.proto"],
  messageType: [
    {
      name: "JSONPatch",
      field: [
        scalar("op", 1, FieldType.STRING),
        scalar("path", 2, FieldType.STRING),
        scalar("from", 3, FieldType.STRING),
        message("value", 4, ".google.protobuf.Value"),
      ],
    },
    {
      name: "Object",
      nestedType: [
        {
          name: "spec",
          nestedType: [
            {
              name: "containers",
              nestedType: [
                {
                  name: "envFrom",
                  field: [
                    scalar("prefix", 1, FieldType.STRING),
                    message("configMapRef", 2, ".Object.spec.containers.envFrom.configMapRef"),
                    message("secretRef", 3, ".Object.spec.containers.envFrom.secretRef"),
                  ],
                  nestedType: [localObjectRef("configMapRef"), localObjectRef("secretRef")],
                },
              ],
            },
          ],
        },
      ],
    },
  ],
});

const registry = createRegistry(
  createFileRegistry(kubernetesCelTypes, (file) =>
    file === "google/protobuf/struct.proto" ? file_google_protobuf_struct : undefined,
  ),
);

// Kubernetes list library: `<list>.indexOf(<T>)`, the first index of an equal element, or -1.
// The policy only looks up strings, for which === is CEL equality.
const listIndexOf = celMethod("indexOf", listType(CelScalar.DYN), [CelScalar.DYN], CelScalar.INT, function (wanted) {
  let index = 0n;
  for (const element of this) {
    if (element === wanted) return index;
    index++;
  }
  return -1n;
});

const env = celEnv({ registry, funcs: [listIndexOf] });

function evaluate(expression: string, bindings: Record<string, CelInput>): CelValue {
  const result = plan(env, parse(expression))(bindings);
  if (isCelError(result)) throw new Error(`CEL error in ${expression}: ${result.message}`);
  return result;
}

function toJsonPatch(value: CelValue): JsonPatchOp[] {
  if (!isCelList(value)) throw new Error("the mutation did not return a list");
  const ops: JsonPatchOp[] = [];
  for (const element of value) {
    if (!isReflectMessage(element) || element.desc.typeName !== "JSONPatch") {
      throw new Error("the mutation returned an element that is not a JSONPatch");
    }
    ops.push(toJson(element.desc as DescMessage, element.message) as unknown as JsonPatchOp);
  }
  return ops;
}

function pointer(path: string): string[] {
  if (!path.startsWith("/")) throw new Error(`JSON pointer ${JSON.stringify(path)} must start with "/"`);
  return path
    .slice(1)
    .split("/")
    .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function arrayIndex(list: Json[], token: string, allowEnd: boolean): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new Error(`bad array index ${JSON.stringify(token)}`);
  const index = Number(token);
  if (index > list.length || (!allowEnd && index === list.length)) throw new Error(`array index ${index} out of range`);
  return index;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** RFC 6902 add / replace / remove / test, on a copy of the document. */
function applyJsonPatch<T>(document: T, ops: JsonPatchOp[]): T {
  const root = structuredClone(document) as unknown as Json;
  for (const op of ops) {
    const tokens = pointer(op.path);
    const last = tokens.pop() as string;
    let parent: Json = root;
    for (const token of tokens) {
      if (Array.isArray(parent)) parent = parent[arrayIndex(parent, token, false)];
      else if (isObject(parent) && token in parent) parent = parent[token];
      else throw new Error(`path ${op.path} does not exist`);
    }
    if (Array.isArray(parent)) {
      if (op.op === "add") {
        if (last === "-") parent.push(op.value as Json);
        else parent.splice(arrayIndex(parent, last, true), 0, op.value as Json);
      } else if (op.op === "replace") parent[arrayIndex(parent, last, false)] = op.value as Json;
      else if (op.op === "remove") parent.splice(arrayIndex(parent, last, false), 1);
      else if (op.op === "test") expect(parent[arrayIndex(parent, last, false)]).toEqual(op.value);
      else throw new Error(`unsupported JSON Patch op ${op.op}`);
    } else if (isObject(parent)) {
      if (op.op !== "add" && !(last in parent)) throw new Error(`path ${op.path} does not exist`);
      if (op.op === "add" || op.op === "replace") parent[last] = op.value as Json;
      else if (op.op === "remove") delete parent[last];
      else if (op.op === "test") expect(parent[last]).toEqual(op.value);
      else throw new Error(`unsupported JSON Patch op ${op.op}`);
    } else {
      throw new Error(`path ${op.path} has no container to patch`);
    }
  }
  return root as unknown as T;
}

/** Admits `pod` through `policy` as the API server does; returns the patches and the result. */
function admit<T extends object>(policy: MutatingAdmissionPolicyManifest, pod: T): { patches: JsonPatchOp[]; pod: T } {
  const object = pod as unknown as CelInput;
  const matched = policy.spec.matchConditions.every((condition) => evaluate(condition.expression, { object }) === true);
  if (!matched) return { patches: [], pod };
  const variables: Record<string, CelInput> = {};
  for (const variable of policy.spec.variables) {
    variables[variable.name] = evaluate(variable.expression, { object, variables }) as CelInput;
  }
  let current = pod;
  const patches: JsonPatchOp[] = [];
  for (const mutation of policy.spec.mutations) {
    expect(mutation.patchType).toBe("JSONPatch");
    const ops = toJsonPatch(evaluate(mutation.jsonPatch.expression, { object: current as unknown as CelInput, variables }));
    patches.push(...ops);
    current = applyJsonPatch(current, ops);
  }
  return { patches, pod: current };
}

// ---------------------------------------------------------------------------------------------
// Fixtures: a runner pod as the operator builds it in a managed project namespace.

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

describe("the test's JSON Patch applier (RFC 6902)", () => {
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
  const runnerPodMatch = {
    namespaceSelector: { matchLabels: { "ambient-code.io/managed": "true" } },
    objectSelector: { matchLabels: { app: "ambient-code-runner" } },
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
    expect(manifest.spec.matchConstraints).toEqual(runnerPodMatch);
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
    expect(manifest.spec.matchConditions.map((c) => c.expression)).toEqual([
      'object.spec.containers.exists(c, c.name == "ambient-code-runner")',
    ]);
  });

  it("declares a binding that activates that policy, by name, for the same pods", () => {
    const binding = admissionPolicyBindingManifest(s);

    expect(binding).toEqual({
      apiVersion: `admissionregistration.k8s.io/${apiVersion}`,
      kind: "MutatingAdmissionPolicyBinding",
      metadata: { name: "ambient-langfuse-runner-env", labels: { "app.kubernetes.io/component": "runner-pod-patch" } },
      spec: { policyName: admissionPolicyManifest(s).metadata.name, matchResources: runnerPodMatch },
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
