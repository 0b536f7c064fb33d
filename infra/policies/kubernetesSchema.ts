import { isPatch, kubernetesObjects, type PlannedResource, type Policy, UNKNOWN_AT_PREVIEW, violations } from "./types";

/** The object without the fields preview cannot know yet: the schema judges what is known. */
function knownFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== UNKNOWN_AT_PREVIEW).map(knownFields);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== UNKNOWN_AT_PREVIEW).map(([k, v]) => [k, knownFields(v)]));
}

/**
 * Kinds `kubernetes-models` 4.5 (the last release for Node 20) does not know. Each is checked by
 * a shape test of its own instead: the admission policy's in test/admissionPolicy.test.ts,
 * OpenShift's Route (no Kubernetes kind at all) in test/platform.test.ts.
 */
export const SCHEMA_EXEMPT_KINDS = ["MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding", "Route"];

/** The kubernetes-models class for an apiVersion and kind, or undefined if the library lacks it. */
export function schemaModel(apiVersion: string, kind: string): (new (obj: unknown) => { validate(): void }) | undefined {
  try {
    // The library lays out one module per API group and version: kubernetes-models/<group>/<version>.
    return require(`kubernetes-models/${apiVersion}`)[kind];
  } catch {
    return undefined;
  }
}

export const kubernetesSchema: Policy = {
  name: "kubernetes-schema",
  description: "Every plain Kubernetes object validates against the Kubernetes schema (kubernetes-models).",
  check(resources) {
    const found: [PlannedResource, string][] = [];
    for (const r of kubernetesObjects(resources)) {
      if (isPatch(r) || SCHEMA_EXEMPT_KINDS.includes(r.inputs.kind)) continue;
      const Model = schemaModel(r.inputs.apiVersion, r.inputs.kind);
      if (Model === undefined) {
        found.push([r, `no schema for ${r.inputs.apiVersion} ${r.inputs.kind}: list the kind in SCHEMA_EXEMPT_KINDS and give it a shape test`]);
        continue;
      }
      try {
        new Model(knownFields(r.inputs)).validate();
      } catch (e) {
        found.push([r, `${r.inputs.kind} does not validate: ${(e as Error).message}`]);
      }
    }
    return violations(this.name, found);
  },
};
