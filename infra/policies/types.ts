/** One registered resource as the plan records it: secret leaves replaced by "[secret]". */
export interface PlannedResource {
  type: string;
  name: string;
  /** `<type>::<name>` of the parent, or null for children of the stack. */
  parent: string | null;
  inputs: any;
  /** JSONPath of every leaf that was a Pulumi secret. */
  secretPaths: string[];
}

export interface Violation {
  policy: string;
  /** `<type>::<name>` of the offending resource. */
  resource: string;
  message: string;
}

export interface PolicyContext {
  /** Parsed `values.yaml` of a chart version, or undefined when the reference file is absent. */
  chartDefaults(version: string): Record<string, unknown> | undefined;
}

export type PolicyResult = { violations: Violation[] } | { skipped: string };

export interface Policy {
  name: string;
  description: string;
  check(resources: PlannedResource[], ctx: PolicyContext): PolicyResult;
}

export const resourceId = (r: PlannedResource) => `${r.type}::${r.name}`;

export const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
export const SECRET_TYPE = "kubernetes:core/v1:Secret";
export const CONFIGMAP_TYPE = "kubernetes:core/v1:ConfigMap";

/** Plain Kubernetes objects: what `kubectl apply` would send, excluding Helm releases. */
export function kubernetesObjects(resources: PlannedResource[]): PlannedResource[] {
  return resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/"));
}

/** Server-side-apply patches are partial by design: no schema applies to them. */
export function isPatch(r: PlannedResource): boolean {
  return r.type.endsWith("Patch");
}

export function violations(policy: string, list: [PlannedResource, string][]): PolicyResult {
  return { violations: list.map(([r, message]) => ({ policy, resource: resourceId(r), message })) };
}
