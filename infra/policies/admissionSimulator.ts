// The part of an API server that admits a pod through a MutatingAdmissionPolicy, for a policy and
// the tests to run the CEL a manifest carries instead of reading it as text.
//
// What is reproduced:
// - the order the API server follows: the policy's resource rules and namespace / object selectors
//   (matchConstraints), the binding's (matchResources), then every matchCondition (all true, or no
//   mutation), then `variables` (bound as `variables.<name>`, each seeing the ones before), then
//   each mutation, whose JSON Patch is applied to the object the next one sees;
// - `object` is the pod as plain JSON (a CEL map), as an unstructured object is;
// - `JSONPatch` and the `Object.spec.containers.envFrom…` types an expression constructs are
//   protobuf messages, so `Type{field: value}` works and an unknown field name is an error, as in
//   Kubernetes. The envFrom entry types have exactly the fields of core/v1 EnvFromSource,
//   SecretEnvSource and ConfigMapEnvSource; `JSONPatch.value` is a google.protobuf.Value, so the
//   value becomes JSON as the API server turns it into JSON;
// - `<list>.indexOf(<value>)` of the Kubernetes CEL list library;
// - RFC 6902 add (with `-`), replace, remove and test, with `~1` / `~0` unescaped.
// Not reproduced: Kubernetes' static type check and cost limits, and types beyond those above
// (an expression that constructs another type fails to evaluate, and says so). Only an API server
// (1.34+ with the beta enabled, or 1.36+) confirms those.
import { celEnv, celMethod, CelScalar, isCelError, isCelList, listType, parse, plan } from "@bufbuild/cel";
import type { CelInput, CelValue } from "@bufbuild/cel";
import { create, createFileRegistry, createRegistry, type DescMessage, toJson } from "@bufbuild/protobuf";
import { isReflectMessage } from "@bufbuild/protobuf/reflect";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as FieldType,
  FileDescriptorProtoSchema,
  file_google_protobuf_struct,
} from "@bufbuild/protobuf/wkt";
import { labelSelectorMatches, type LabelSelector } from "./labelSelector";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

/** The fields of a MutatingAdmissionPolicy (and of its binding) that admission reads. */
export interface AdmissionPolicySpec {
  matchConstraints?: MatchResources;
  matchConditions?: { name: string; expression: string }[];
  variables?: { name: string; expression: string }[];
  mutations?: { patchType: string; jsonPatch?: { expression: string } }[];
}

export interface MatchResources {
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  resourceRules?: { apiGroups?: string[]; apiVersions?: string[]; operations?: string[]; resources?: string[] }[];
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

// Kubernetes names the CEL type of a field after its path from the root object; list items take
// the type of their list field. proto2: every field has presence, so only what the expression
// sets reaches the JSON.
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
  createFileRegistry(kubernetesCelTypes, (file) => (file === "google/protobuf/struct.proto" ? file_google_protobuf_struct : undefined)),
);

// Kubernetes list library: `<list>.indexOf(<T>)`, the first index of an equal element, or -1.
// Scalars only (what a container's name is), for which === is CEL equality.
const listIndexOf = celMethod("indexOf", listType(CelScalar.DYN), [CelScalar.DYN], CelScalar.INT, function (wanted) {
  let index = 0n;
  for (const element of this) {
    if (element === wanted) return index;
    index++;
  }
  return -1n;
});

const env = celEnv({ registry, funcs: [listIndexOf] });

/** Evaluates one expression; a CEL error (or a parse error) is thrown with the expression. */
export function evaluateCel(expression: string, bindings: Record<string, CelInput>): CelValue {
  let result: CelValue;
  try {
    result = plan(env, parse(expression))(bindings) as CelValue;
  } catch (e) {
    throw new Error(`CEL error in ${expression}: ${(e as Error).message}`);
  }
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

const sameJson = (a: Json | undefined, b: Json | undefined) => JSON.stringify(a) === JSON.stringify(b);

/** RFC 6902 add / replace / remove / test, on a copy of the document. */
export function applyJsonPatch<T>(document: T, ops: JsonPatchOp[]): T {
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
      else if (op.op === "test") {
        if (!sameJson(parent[arrayIndex(parent, last, false)], op.value)) throw new Error(`test failed at ${op.path}`);
      } else throw new Error(`unsupported JSON Patch op ${op.op}`);
    } else if (isObject(parent)) {
      if (op.op !== "add" && !(last in parent)) throw new Error(`path ${op.path} does not exist`);
      if (op.op === "add" || op.op === "replace") parent[last] = op.value as Json;
      else if (op.op === "remove") delete parent[last];
      else if (op.op === "test") {
        if (!sameJson(parent[last], op.value)) throw new Error(`test failed at ${op.path}`);
      } else throw new Error(`unsupported JSON Patch op ${op.op}`);
    } else {
      throw new Error(`path ${op.path} has no container to patch`);
    }
  }
  return root as unknown as T;
}

/** A pod CREATE as admission sees it: the pod, and the labels of its namespace. */
export interface PodCreate<T extends object> {
  pod: T & { metadata?: { labels?: Record<string, string> } };
  namespaceLabels: Record<string, string>;
}

/** Whether a MatchResources admits a core/v1 pod CREATE with these labels (absent selectors admit all). */
export function matchesPodCreate(match: MatchResources | undefined, namespaceLabels: Record<string, string>, podLabels: Record<string, string>): boolean {
  if (match === undefined) return true;
  const rules = match.resourceRules ?? [];
  const hit = (list: string[] | undefined, value: string) => (list ?? []).some((v) => v === "*" || v === value);
  const podCreate = rules.some((r) => hit(r.apiGroups, "") && hit(r.apiVersions, "v1") && hit(r.operations, "CREATE") && hit(r.resources, "pods"));
  return (
    (match.resourceRules === undefined || podCreate) &&
    labelSelectorMatches(match.namespaceSelector ?? {}, namespaceLabels) &&
    labelSelectorMatches(match.objectSelector ?? {}, podLabels)
  );
}

/**
 * Admits a pod CREATE through a policy (and the binding's matchResources, when given) as the API
 * server does: returns whether the policy applied, the patches it made and the resulting pod.
 */
export function admitPod<T extends object>(
  policy: AdmissionPolicySpec,
  request: PodCreate<T>,
  bindingMatch?: MatchResources,
): { applied: boolean; patches: JsonPatchOp[]; pod: T } {
  const { pod, namespaceLabels } = request;
  const labels = pod.metadata?.labels ?? {};
  const unchanged = { applied: false, patches: [], pod };
  if (!matchesPodCreate(policy.matchConstraints, namespaceLabels, labels) || !matchesPodCreate(bindingMatch, namespaceLabels, labels)) {
    return unchanged;
  }
  const object = pod as unknown as CelInput;
  for (const condition of policy.matchConditions ?? []) {
    const result = evaluateCel(condition.expression, { object });
    if (typeof result !== "boolean") throw new Error(`match condition ${condition.name} is not a boolean`);
    if (!result) return unchanged;
  }
  const variables: Record<string, CelInput> = {};
  for (const variable of policy.variables ?? []) {
    variables[variable.name] = evaluateCel(variable.expression, { object, variables }) as CelInput;
  }
  let current = pod;
  const patches: JsonPatchOp[] = [];
  for (const mutation of policy.mutations ?? []) {
    if (mutation.patchType !== "JSONPatch" || mutation.jsonPatch === undefined) {
      throw new Error(`mutation of patchType ${mutation.patchType}: only JSONPatch is simulated`);
    }
    const ops = toJsonPatch(evaluateCel(mutation.jsonPatch.expression, { object: current as unknown as CelInput, variables }));
    patches.push(...ops);
    current = applyJsonPatch(current, ops);
  }
  return { applied: true, patches, pod: current };
}
