import { RELEASE_TYPE, type PlannedResource, resourceId } from "../policies/types";

const INTERNAL_SECRETS_TYPE = "ambient-langfuse:langfuse:InternalSecrets";

/** One Helm release as the plan prints it. */
export interface ReleaseRow {
  release: string;
  namespace: string;
  chart: string;
  version: string;
  /** The image tag the values pin (Langfuse's), or "" where the chart's own is used. */
  image: string;
  /** Releases named in its dependsOn. */
  after: string;
}

/** The Helm releases in registration order (the program registers them in install order), with what each waits for. */
export function releaseRows(resources: PlannedResource[]): ReleaseRow[] {
  const releases = resources.filter((r) => r.type === RELEASE_TYPE);
  const names = new Map(releases.map((r) => [resourceId(r), r.inputs.name as string]));
  return releases.map((r) => {
    const tag = r.inputs.values?.langfuse?.image?.tag;
    return {
      release: r.inputs.name,
      namespace: r.inputs.namespace,
      chart: r.inputs.chart,
      version: r.inputs.version,
      image: tag ? String(tag) : "",
      after: r.options.dependsOn.filter((d) => names.has(d)).map((d) => names.get(d)).join(", "),
    };
  });
}

/** Which internal secrets are adopted from config and which generated, by name only. */
export function internalSecretOrigins(resources: PlannedResource[]): { adopted: string[]; generated: string[] } | undefined {
  const component = resources.find((r) => r.type === INTERNAL_SECRETS_TYPE);
  return component ? { adopted: component.inputs.adopted ?? [], generated: component.inputs.generated ?? [] } : undefined;
}
