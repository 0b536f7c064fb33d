/** Resource options as the program set them: what `pulumi up` would do beyond the inputs. */
export interface PlannedOptions {
  protect: boolean;
  retainOnDelete: boolean;
  ignoreChanges: string[];
  /** `<type>::<name>` of each resource named in `dependsOn`, in the program's order. */
  dependsOn: string[];
}

/** One registered resource as the plan records it: secret leaves replaced by "[secret]". */
export interface PlannedResource {
  type: string;
  name: string;
  /** `<type>::<name>` of the parent, or null for children of the stack. */
  parent: string | null;
  inputs: any;
  /** JSONPath of every leaf that was a Pulumi secret. */
  secretPaths: string[];
  options: PlannedOptions;
  /**
   * Per top-level input, the resources (`<type>::<name>`) its value was made from, as the engine
   * records them (a Secret's `stringData` made from a random value depends on that resource);
   * inputs made from none are left out.
   */
  propertyDependencies: Record<string, string[]>;
}

/**
 * A value `pulumi preview` cannot know yet (a random provider's result, and every input made from
 * it: a Secret's whole `stringData`, since the Kubernetes SDK marks it secret as one value). Only
 * the CrossGuard pack sees it, where the engine shows an unknown; the offline plan knows every value.
 * A policy that needs such a value to judge says nothing about it rather than guess.
 */
export const UNKNOWN_AT_PREVIEW = "[unknown until apply]";

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

/**
 * Releases of the Langfuse chart, written as a reviewer reads a release: chart `langfuse` from the
 * project's Helm repository, or the same chart from its OCI registry.
 */
export function isLangfuseRelease(r: PlannedResource): boolean {
  if (r.type !== RELEASE_TYPE) return false;
  const { chart, repositoryOpts } = r.inputs;
  return (
    (chart === "langfuse" && /^https:\/\/langfuse\.github\.io\/langfuse-k8s\/?$/.test(repositoryOpts?.repo ?? "")) ||
    chart === "oci://ghcr.io/langfuse/langfuse-k8s/charts/langfuse"
  );
}

/** The major version of a release's chart: the policies' rule tables are kept per chart line. */
export function chartMajor(r: PlannedResource): number | undefined {
  const match = /^v?(\d+)\./.exec(String(r.inputs.version ?? ""));
  return match ? Number(match[1]) : undefined;
}

/** Reads a dotted path from chart values. */
export function valueAt(values: unknown, dotted: string): any {
  return dotted.split(".").reduce<any>((o, k) => (o === null || o === undefined ? undefined : o[k]), values);
}

/** The component that installs Langfuse; it records the stack's `platform` and `production` for reviews and policies. */
export const LANGFUSE_COMPONENT_TYPE = "ambient-langfuse:langfuse:LangfuseRelease";

/** Each Langfuse release with the platform and production flag its component records. */
export function langfuseDeployments(
  resources: PlannedResource[],
): { release: PlannedResource; platform: string | undefined; production: boolean }[] {
  const components = new Map(resources.filter((r) => r.type === LANGFUSE_COMPONENT_TYPE).map((r) => [resourceId(r), r]));
  return resources.filter(isLangfuseRelease).map((release) => {
    const component = release.parent === null ? undefined : components.get(release.parent);
    return { release, platform: component?.inputs.platform, production: component?.inputs.production === true };
  });
}

/** The chart's fullname for a release (its `langfuse.fullname` helper, without overrides): the prefix of every object it names. */
export function chartFullname(releaseName: string): string {
  return releaseName.includes("langfuse") ? releaseName : `${releaseName}-langfuse`;
}
