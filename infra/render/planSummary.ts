import { RELEASE_TYPE, type PlannedResource, resourceId } from "../policies/types";

const INTERNAL_SECRETS_TYPE = "ambient-langfuse:langfuse:InternalSecrets";
const PROJECT_WIRING_TYPE = "ambient-langfuse:projects:ProjectWiring";

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

/** One project as the plan prints it: where its `langfuse-keys` come from, never a key. */
export interface ProjectKeyRow {
  project: string;
  /** `shared` (the bootstrap pair) or `own` (a pair of its own, from secret settings). */
  keys: string;
}

/** Each project's key source and the stack's isolation, as the ProjectWiring components record them. */
export function projectKeyRows(resources: PlannedResource[]): { isolation: string; rows: ProjectKeyRow[] } | undefined {
  const wirings = resources.filter((r) => r.type === PROJECT_WIRING_TYPE);
  if (wirings.length === 0) return undefined;
  return {
    isolation: String(wirings[0]!.inputs.isolation),
    rows: wirings.map((r) => ({ project: String(r.inputs.namespace), keys: String(r.inputs.keySource) })),
  };
}

/** The line above the table: the isolation and how many projects have keys from each source. */
export function projectKeysLine(isolation: string, rows: ProjectKeyRow[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.keys, (counts.get(r.keys) ?? 0) + 1);
  const sources = [...counts].map(([keys, n]) => `${keys} ${n}`).join(", ");
  return `project keys (isolation: ${isolation}; langfuse-keys from each source: ${sources}):`;
}

/** The note for own key pairs the plan could not decrypt: said once, for all of them. */
export function encryptedKeyPairsNote(pairs: { entry: string; namespace: string }[]): string {
  const n = pairs.length;
  return (
    `note: ${n} encrypted project key ${n === 1 ? "pair" : "pairs"} (${pairs.map((p) => `${p.entry} ${p.namespace}`).join(", ")}): ` +
    `the plan cannot decrypt ${n === 1 ? "it" : "them"} and stands in a pair of the right shape, so ${n === 1 ? "its shape" : "their shapes"} ` +
    "(pk-lf-…, sk-lf-…, not swapped) and duplicates are checked at `pulumi preview`, decrypted"
  );
}
