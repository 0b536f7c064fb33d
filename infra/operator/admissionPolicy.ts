// Decides the runner pod patch for `operatorIntegration: admission-policy`.
//
// Pure: plain Kubernetes objects in, nothing created, no I/O. The component that registers them
// with Pulumi only wires; the tests evaluate the CEL carried by these very objects.
//
// What the patch does: on CREATE of a runner pod in a managed project namespace, add
//   envFrom: [{secretRef: {name: langfuse-keys, optional: true}},
//             {configMapRef: {name: langfuse-config, optional: true}}]
// to the runner container only, keeping whatever envFrom entries the pod creator already set.
//
// Which pods: the platform has two pod creators. The operator labels its runner pods
// `app: ambient-code-runner`; the control plane (one OpenShift overlay) labels them
// `ambient-code.io/session-id: <id>` and sets no `app` label. A label selector cannot say "either
// label", so the policy matches every pod CREATE in a managed namespace and a match condition
// picks the runner pods (one policy, one binding, each pod mutated once).
//
// Why JSONPatch and not ApplyConfiguration: `Container.envFrom` is `+listType=atomic` in core/v1,
// and Kubernetes refuses apply configurations that modify atomic lists (an atomic list can only
// be replaced whole, which could drop entries the pod creator set). A JSON Patch `add` to
// `/spec/containers/<i>/envFrom/-` appends without touching existing entries, so the expression
// computes the runner container's index and appends only the entries that are missing.

import type * as k8s from "@pulumi/kubernetes";
import { isDns1123Label, isDns1123Subdomain } from "../kubernetesNames";

/** The versions of `admissionregistration.k8s.io` that serve MutatingAdmissionPolicy. */
export type AdmissionPolicyApiVersion = "v1" | "v1beta1";

export interface RunnerPatchSettings<V extends AdmissionPolicyApiVersion = AdmissionPolicyApiVersion> {
  /**
   * Version of `admissionregistration.k8s.io` to declare the policy with: `v1` (GA, Kubernetes
   * 1.36+) or `v1beta1` (Kubernetes 1.34/1.35 with the MutatingAdmissionPolicy feature gate and
   * `--runtime-config=admissionregistration.k8s.io/v1beta1=true`).
   */
  apiVersion: V;
  /** Name of the runner container in session pods (the only container that is patched). */
  runnerContainer: string;
  /** Name of the Secret with the Langfuse key pair in each project namespace (`langfuse-keys`). */
  keysSecretName: string;
  /** Name of the ConfigMap with the Langfuse endpoint and flags in each project namespace (`langfuse-config`). */
  configMapName: string;
  /** Name of the (cluster-scoped) MutatingAdmissionPolicy; its binding carries the same name. */
  policyName: string;
  /** Extra labels for both objects' metadata (for example the program's managed-by labels). */
  labels?: Record<string, string>;
}

/** Namespaces the operator handles carry this label; the policy touches no other namespace. */
export const MANAGED_NAMESPACE_LABELS: Readonly<Record<string, string>> = { "ambient-code.io/managed": "true" };

/**
 * How each pod creator marks runner pods. The operator labels bare runner Pods (newer operators)
 * and the pod template of its runner Jobs (older operators) `app: ambient-code-runner`, so the Pods
 * a Job creates carry it too; the control plane labels its runner Pods with the session's id.
 */
export const RUNNER_POD_MARKS = {
  /** The operator's label and its value. */
  operatorLabel: { key: "app", value: "ambient-code-runner" },
  /** The control plane's label, whatever its value (the session id). */
  controlPlaneLabel: "ambient-code.io/session-id",
} as const;

/** A named CEL expression, as used in `spec.variables` and `spec.matchConditions`. */
export interface NamedExpression {
  name: string;
  expression: string;
}

/**
 * `spec.matchConstraints` / `spec.matchResources` (admissionregistration MatchResources). No
 * `objectSelector`: it would match every object, and a match condition selects the runner pods.
 */
export interface MatchResources {
  namespaceSelector: { matchLabels: Record<string, string> };
  resourceRules: ResourceRule[];
  matchPolicy: "Equivalent" | "Exact";
}

export interface ResourceRule {
  apiGroups: string[];
  apiVersions: string[];
  operations: string[];
  resources: string[];
}

export interface Mutation {
  patchType: "JSONPatch";
  jsonPatch: { expression: string };
}

export interface ObjectMeta {
  name: string;
  labels: Record<string, string>;
}

/**
 * The policy as `kubectl apply` takes it. Plain data, so that the tests can evaluate its CEL; the
 * component hands it to `@pulumi/kubernetes`'s typed class of the same version, which checks its
 * shape at compile time.
 */
export interface MutatingAdmissionPolicyManifest<V extends AdmissionPolicyApiVersion = AdmissionPolicyApiVersion> {
  apiVersion: `admissionregistration.k8s.io/${V}`;
  kind: "MutatingAdmissionPolicy";
  metadata: ObjectMeta;
  spec: PolicySpec;
}

export interface PolicySpec {
  matchConstraints: MatchResources;
  matchConditions: NamedExpression[];
  variables: NamedExpression[];
  mutations: Mutation[];
  failurePolicy: "Ignore" | "Fail";
  reinvocationPolicy: "Never" | "IfNeeded";
}

export interface MutatingAdmissionPolicyBindingManifest<V extends AdmissionPolicyApiVersion = AdmissionPolicyApiVersion> {
  apiVersion: `admissionregistration.k8s.io/${V}`;
  kind: "MutatingAdmissionPolicyBinding";
  metadata: ObjectMeta;
  spec: BindingSpec;
}

export interface BindingSpec {
  policyName: string;
  matchResources: MatchResources;
}

// The typed classes take these manifests as their arguments, which checks every field's type; a
// field the API does not have would still pass as an extra property. These assertions close that:
// each compiles only while every field declared above is a field of both versions' API types.
type OnlyApiFields<Ours, Theirs> = Exclude<keyof Ours, keyof Theirs> extends never ? true : never;
const onlyApiFields: [
  OnlyApiFields<PolicySpec, k8s.types.input.admissionregistration.v1.MutatingAdmissionPolicySpec>,
  OnlyApiFields<PolicySpec, k8s.types.input.admissionregistration.v1beta1.MutatingAdmissionPolicySpec>,
  OnlyApiFields<BindingSpec, k8s.types.input.admissionregistration.v1.MutatingAdmissionPolicyBindingSpec>,
  OnlyApiFields<BindingSpec, k8s.types.input.admissionregistration.v1beta1.MutatingAdmissionPolicyBindingSpec>,
  OnlyApiFields<MatchResources, k8s.types.input.admissionregistration.v1.MatchResources>,
  OnlyApiFields<MatchResources, k8s.types.input.admissionregistration.v1beta1.MatchResources>,
  OnlyApiFields<ResourceRule, k8s.types.input.admissionregistration.v1.NamedRuleWithOperations>,
  OnlyApiFields<ResourceRule, k8s.types.input.admissionregistration.v1beta1.NamedRuleWithOperations>,
  OnlyApiFields<Mutation, k8s.types.input.admissionregistration.v1.Mutation>,
  OnlyApiFields<Mutation, k8s.types.input.admissionregistration.v1beta1.Mutation>,
  OnlyApiFields<NamedExpression, k8s.types.input.admissionregistration.v1.MatchCondition>,
  OnlyApiFields<NamedExpression, k8s.types.input.admissionregistration.v1beta1.Variable>,
] = [true, true, true, true, true, true, true, true, true, true, true, true];
void onlyApiFields;

// Container names are DNS-1123 labels; Secret and ConfigMap names are DNS-1123 subdomains. Both
// character sets need no escaping inside a CEL string literal, which is what lets the names be
// spliced into the expressions below with JSON.stringify.
function checkName(what: string, value: string, subdomain: boolean): void {
  if (!(subdomain ? isDns1123Subdomain(value) : isDns1123Label(value))) {
    throw new Error(
      `admission policy: ${what} is ${JSON.stringify(value)}: use a lowercase Kubernetes name ` +
        `(letters, digits, '-'${subdomain ? ", '.'" : ""}; at most ${subdomain ? 253 : 63} characters).`,
    );
  }
}

function checkSettings(s: RunnerPatchSettings): void {
  if (s.apiVersion !== "v1" && s.apiVersion !== "v1beta1") {
    throw new Error(
      `admission policy: apiVersion is ${JSON.stringify(s.apiVersion)}: use "v1" (Kubernetes 1.36+) ` +
        `or "v1beta1" (1.34/1.35 with the MutatingAdmissionPolicy feature gate).`,
    );
  }
  checkName("runnerContainer", s.runnerContainer, false);
  checkName("keysSecretName", s.keysSecretName, true);
  checkName("configMapName", s.configMapName, true);
  checkName("policyName", s.policyName, true);
}

const lit = (s: string): string => JSON.stringify(s);

// Kubernetes names the CEL type of a field after its path from the root object; list items take
// the type of their list field: `Object.spec.containers.envFrom` is one envFrom entry.
const ENV_FROM = "Object.spec.containers.envFrom";

/** CEL building one `envFrom` entry that references the keys Secret, optionally. */
function secretEntry(s: RunnerPatchSettings): string {
  return `${ENV_FROM}{secretRef: ${ENV_FROM}.secretRef{name: ${lit(s.keysSecretName)}, optional: true}}`;
}

/** CEL building one `envFrom` entry that references the config ConfigMap, optionally. */
function configMapEntry(s: RunnerPatchSettings): string {
  return `${ENV_FROM}{configMapRef: ${ENV_FROM}.configMapRef{name: ${lit(s.configMapName)}, optional: true}}`;
}

/**
 * `spec.matchConditions`, all of which must hold: the pod is a runner pod by either creator's
 * label, and it has the runner container. Evaluated before the variables and the mutation, so
 * those may assume the container exists. Labels are read by index: their keys hold dots and
 * slashes, and a pod may have no labels at all.
 */
export function runnerPatchMatchConditions(s: RunnerPatchSettings): NamedExpression[] {
  checkSettings(s);
  const { operatorLabel, controlPlaneLabel } = RUNNER_POD_MARKS;
  const labels = "object.metadata.labels";
  return [
    {
      name: "is-runner-pod",
      expression:
        `has(${labels}) && ((${lit(operatorLabel.key)} in ${labels} && ${labels}[${lit(operatorLabel.key)}] == ${lit(operatorLabel.value)}) ` +
        `|| ${lit(controlPlaneLabel)} in ${labels})`,
    },
    {
      name: "has-runner-container",
      expression: `object.spec.containers.exists(c, c.name == ${lit(s.runnerContainer)})`,
    },
  ];
}

/**
 * `spec.variables`, in order (a variable may use the ones before it as `variables.<name>`).
 * `indexOf` on a list is the Kubernetes CEL list library's (first index, -1 when absent).
 */
export function runnerPatchVariables(s: RunnerPatchSettings): NamedExpression[] {
  checkSettings(s);
  return [
    { name: "runnerIndex", expression: `object.spec.containers.map(c, c.name).indexOf(${lit(s.runnerContainer)})` },
    { name: "runner", expression: `object.spec.containers[variables.runnerIndex]` },
    { name: "runnerPath", expression: `"/spec/containers/" + string(variables.runnerIndex)` },
    { name: "hasEnvFrom", expression: `has(variables.runner.envFrom)` },
    {
      name: "hasKeysSecret",
      expression:
        `has(variables.runner.envFrom) && variables.runner.envFrom.exists(e, ` +
        `has(e.secretRef) && e.secretRef.name == ${lit(s.keysSecretName)})`,
    },
    {
      name: "hasConfigMap",
      expression:
        `has(variables.runner.envFrom) && variables.runner.envFrom.exists(e, ` +
        `has(e.configMapRef) && e.configMapRef.name == ${lit(s.configMapName)})`,
    },
  ];
}

/**
 * The JSONPatch mutation's expression. It returns:
 * - no envFrom on the runner container: one `add` creating the field with both entries;
 * - otherwise one `add .../envFrom/-` (append) per entry not already present (same kind + name),
 *   so existing entries stay first and unchanged, and a second run returns `[]` (idempotent).
 */
export function runnerPatchExpression(s: RunnerPatchSettings): string {
  checkSettings(s);
  const keys = secretEntry(s);
  const config = configMapEntry(s);
  return [
    `!variables.hasEnvFrom`,
    `  ? [JSONPatch{op: "add", path: variables.runnerPath + "/envFrom", value: [${keys}, ${config}]}]`,
    `  : (variables.hasKeysSecret ? [] : [JSONPatch{op: "add", path: variables.runnerPath + "/envFrom/-", value: ${keys}}])`,
    `    + (variables.hasConfigMap ? [] : [JSONPatch{op: "add", path: variables.runnerPath + "/envFrom/-", value: ${config}}])`,
  ].join("\n");
}

/**
 * What the policy and its binding match: CREATE of core/v1 pods in namespaces labelled
 * ambient-code.io/managed=true (the match conditions then pick the runner pods). Matching pods,
 * not Jobs, covers every pod creator: bare runner Pods of the operator and the control plane, and
 * the Pods the Job controller creates from an older operator's runner Job (they carry the
 * template's labels and are admitted as pod CREATEs too).
 */
function managedPodCreates(): MatchResources {
  return {
    namespaceSelector: { matchLabels: { ...MANAGED_NAMESPACE_LABELS } },
    resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }],
    matchPolicy: "Equivalent",
  };
}

function metadata(s: RunnerPatchSettings): ObjectMeta {
  return {
    name: s.policyName,
    labels: { ...(s.labels ?? {}), "app.kubernetes.io/component": "runner-pod-patch" },
  };
}

/** The MutatingAdmissionPolicy that adds the Langfuse envFrom entries to the runner container. */
export function admissionPolicyManifest<V extends AdmissionPolicyApiVersion>(s: RunnerPatchSettings<V>): MutatingAdmissionPolicyManifest<V> {
  checkSettings(s);
  return {
    apiVersion: `admissionregistration.k8s.io/${s.apiVersion}`,
    kind: "MutatingAdmissionPolicy",
    metadata: metadata(s),
    spec: {
      matchConstraints: managedPodCreates(),
      matchConditions: runnerPatchMatchConditions(s),
      variables: runnerPatchVariables(s),
      mutations: [{ patchType: "JSONPatch", jsonPatch: { expression: runnerPatchExpression(s) } }],
      // Never block a session: if the policy cannot run, the pod is admitted untraced.
      failurePolicy: "Ignore",
      // The mutation is idempotent, so re-running it after later mutators is safe, and puts the
      // entries back should another mutator have replaced the runner's envFrom.
      reinvocationPolicy: "IfNeeded",
    },
  };
}

/** The binding that activates the policy (no params) for the same pods. */
export function admissionPolicyBindingManifest<V extends AdmissionPolicyApiVersion>(
  s: RunnerPatchSettings<V>,
): MutatingAdmissionPolicyBindingManifest<V> {
  checkSettings(s);
  return {
    apiVersion: `admissionregistration.k8s.io/${s.apiVersion}`,
    kind: "MutatingAdmissionPolicyBinding",
    metadata: metadata(s),
    spec: {
      policyName: s.policyName,
      matchResources: managedPodCreates(),
    },
  };
}
