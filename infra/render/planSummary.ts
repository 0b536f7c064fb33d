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

/** Where each internal secret comes from, by name only. */
export interface InternalSecretOrigins {
  /** From `existingSecrets`. */
  adopted: string[];
  generated: string[];
  /** From a managed store's settings (its password or S3 keys). */
  managed: string[];
  /** Kept nowhere: nothing reads them (S3 reached through the service account's role). */
  omitted: string[];
}

/** Where each internal secret comes from, as the InternalSecrets component records it. */
export function internalSecretOrigins(resources: PlannedResource[]): InternalSecretOrigins | undefined {
  const component = resources.find((r) => r.type === INTERNAL_SECRETS_TYPE);
  if (!component) return undefined;
  const { adopted = [], generated = [], managed = [], omitted = [] } = component.inputs;
  return { adopted, generated, managed, omitted };
}

/** The plan's one line about internal secrets; the managed and omitted parts only where there are any. */
export function internalSecretsLine(o: InternalSecretOrigins): string {
  const list = (names: string[]) => names.join(", ") || "none";
  return [
    `internal secrets adopted: ${list(o.adopted)}`,
    `generated: ${list(o.generated)}`,
    ...(o.managed.length > 0 ? [`from the managed stores' settings: ${list(o.managed)}`] : []),
    ...(o.omitted.length > 0 ? [`none kept for ${list(o.omitted)} (S3 through the service account's role)`] : []),
  ].join("; ");
}

/** The commands that set what the stack file leaves unset, one per credential. */
export function unsetCredentialCommands(stack: string, paths: string[]): string[] {
  return paths.map((p) => `pulumi config set --stack ${stack} --secret --path ${p} <value>`);
}
