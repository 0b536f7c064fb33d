import type { OperatorIntegration } from "./config";
import { isDns1123Label } from "./kubernetesNames";

/**
 * The platform projects (`projects`) and how far they are kept apart in Langfuse (`isolation`).
 * A project's own key pair is a secret setting (secretSettings.ts); everything else shapes what is
 * deployed and is read in plain text. No key is ever echoed in a message.
 */

/**
 * `shared` (default): a project without a key pair of its own gets the bootstrap pair, as every
 * project did before. `strict`: every project must have its own. (A licensed server's API could
 * create the pairs: that is a further isolation beside these, with a key source of its own.)
 */
export const ISOLATIONS = ["shared", "strict"] as const;
export type Isolation = (typeof ISOLATIONS)[number];

/** The bootstrap pair that Langfuse's headless initialisation creates: one Langfuse project for all. */
export interface SharedKeySource {
  source: "shared";
}

/** A pair created in the Langfuse UI in the project's own Langfuse project, given as secret settings. */
export interface OwnKeySource {
  source: "own";
  /** Plain strings read from secret settings: wrapped as secrets by their only consumer (ProjectWiring). */
  publicKey: string;
  secretKey: string;
  /**
   * False in the offline plan, where both are stand-ins for `secure:` values it cannot decrypt:
   * their shapes and duplicates are then checked only by the real engine, which decrypts them.
   */
  readable: boolean;
}

/**
 * Where one project's key pair comes from. The namespace receives the same contract whatever the
 * source (projects/projectContract.ts); a new source is a new member here and a new case in
 * projects/projectKeys.ts.
 */
export type KeySource = SharedKeySource | OwnKeySource;
export type KeySourceName = KeySource["source"];

/** A platform project: a namespace whose runner pods are traced. */
export interface ProjectSetting {
  namespace: string;
  /** Human name, shown as the created namespace's display name; defaults to the namespace. */
  displayName: string;
  keys: KeySource;
}

export interface ProjectSettingsContext {
  /** The Langfuse namespace, which no project may be. */
  langfuseNamespace: string;
  isolation: Isolation;
  operatorIntegration: OperatorIntegration;
  /** Whether the engine marked `projects` secret: it does, as a whole, once any value in it is. */
  secret: boolean;
  /**
   * The offline plan's: every `secure:` value it stood a placeholder in for, by full path
   * (`ambient-langfuse:projects[0].publicKey`). Undefined under the real engine, which decrypts them.
   */
  undecrypted: readonly string[] | undefined;
}

const SETTING = "ambient-langfuse:projects";
const KEY_FIELDS = ["publicKey", "secretKey"] as const;
type KeyField = (typeof KEY_FIELDS)[number];
const ENTRY_KEYS = ["namespace", "displayName", ...KEY_FIELDS];

/** What the Langfuse UI creates: `pk-lf-` / `sk-lf-` and a UUID. */
const UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const KEY_SHAPE: Record<KeyField, { prefix: string; pattern: RegExp; what: string }> = {
  publicKey: { prefix: "pk-lf-", pattern: new RegExp(`^pk-lf-${UUID}$`), what: "public key" },
  secretKey: { prefix: "sk-lf-", pattern: new RegExp(`^sk-lf-${UUID}$`), what: "secret key" },
};
const OTHER: Record<KeyField, KeyField> = { publicKey: "secretKey", secretKey: "publicKey" };

/** The command that sets one key of a project's pair. */
export function setKeyCommand(index: number, field: KeyField, value = field === "publicKey" ? "pk-lf-…" : "sk-lf-…"): string {
  return `\`pulumi config set --secret --path 'projects[${index}].${field}' ${value}\``;
}

/**
 * Reads `projects` (JSON text, as Pulumi hands it over) with each project's key source, checks
 * `isolation` and the operator integration against the sources, and pushes every problem (naming
 * the entry, never a key) to `problems` and what the user must do themselves to `warnings`.
 */
export function parseProjectSettings(
  raw: string | undefined,
  ctx: ProjectSettingsContext,
  problems: string[],
  warnings: string[],
): ProjectSetting[] {
  const projects = readEntries(raw, ctx, problems);
  const entry = (p: Entry) => `${SETTING}[${p.index}] (${p.namespace})`;

  checkDistinctPairs(projects, problems, entry);

  if (ctx.isolation === "strict") {
    for (const p of projects.filter((x) => x.keys.source === "shared")) {
      problems.push(
        `ambient-langfuse:isolation is "strict", but ${entry(p)} has no key pair of its own: create its Langfuse project and ` +
          `API keys in the Langfuse UI and set them with ${setKeyCommand(p.index, "publicKey")} and ${setKeyCommand(p.index, "secretKey")}` +
          (p.plainEntry ? ` (its entry is a plain name: write it as "namespace: ${p.namespace}" in the stack file first)` : "") +
          `, or set isolation "shared"`,
      );
    }
  }

  const own = projects.filter((p) => p.keys.source === "own");
  const needs = [
    ...(ctx.isolation === "strict" ? [`ambient-langfuse:isolation is "strict"`] : []),
    ...(own.length > 0 ? [`${listed(own.map(entry))} ${own.length === 1 ? "has a key pair" : "have key pairs"} of ${own.length === 1 ? "its" : "their"} own`] : []),
  ];
  if (needs.length > 0 && ctx.operatorIntegration === "operator-env") {
    problems.push(
      `ambient-langfuse:operatorIntegration is "operator-env", but ${needs.join(" and ")}: the operator hands every runner its one ` +
        `shared key as explicit env entries (LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY), which win over the envFrom that would carry ` +
        `a project's own langfuse-keys, so its runners would still write into the shared project; use operatorIntegration ` +
        `"admission-policy" where the cluster has the MutatingAdmissionPolicy API, or keep every project on the shared pair ` +
        `(isolation "shared", no publicKey or secretKey)`,
    );
  } else if (needs.length > 0 && ctx.operatorIntegration === "none") {
    warnings.push(
      `ambient-langfuse:operatorIntegration is "none", and ${needs.join(" and ")}: the program writes each project's pair into ` +
        `its namespace's langfuse-keys and hands it to no runner pod; wiring runners to read langfuse-keys (envFrom) is yours, ` +
        `and a runner given another key writes into that key's Langfuse project`,
    );
  }

  return projects.map(({ namespace, displayName, keys }) => ({ namespace, displayName, keys }));
}

/** A project as read, with where it was written. */
interface Entry extends ProjectSetting {
  index: number;
  /** Written as a bare name (`- team-a`), which `pulumi config set --path 'projects[i].<key>'` cannot extend. */
  plainEntry: boolean;
}

function readEntries(raw: string | undefined, ctx: ProjectSettingsContext, problems: string[]): Entry[] {
  if (raw === undefined || raw === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed)) {
    problems.push(`${SETTING} must be a list of namespaces, each a string or {namespace, displayName}`);
    return [];
  }
  const entries: Entry[] = [];
  const firstIndex = new Map<string, number>();
  parsed.forEach((value: unknown, index) => {
    const at = `${SETTING}[${index}]`;
    let fields: Record<string, unknown> = {};
    let namespace: unknown;
    let displayName: unknown;
    if (typeof value === "string") {
      namespace = value;
    } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      fields = value as Record<string, unknown>;
      ({ namespace, displayName } = fields);
      const unknown = Object.keys(fields).filter((k) => !ENTRY_KEYS.includes(k));
      if (unknown.length > 0) problems.push(`${at} has unknown keys ${unknown.join(", ")}: use ${ENTRY_KEYS.join(", ")}`);
    }
    if (typeof namespace !== "string" || (displayName !== undefined && typeof displayName !== "string")) {
      problems.push(`${at} must be a namespace string or {namespace, displayName}, e.g. "team-a"`);
      return;
    }
    if (!isDns1123Label(namespace)) {
      problems.push(`${at} is "${namespace}": a project namespace must be a DNS-1123 label, e.g. "team-a"`);
      return;
    }
    if (namespace === ctx.langfuseNamespace) {
      problems.push(`${at} is "${namespace}", the Langfuse namespace itself: list only project namespaces`);
      return;
    }
    const earlier = firstIndex.get(namespace);
    if (earlier !== undefined) {
      problems.push(`${at} is "${namespace}" again (already ${SETTING}[${earlier}]): list each namespace once`);
      return;
    }
    firstIndex.set(namespace, index);
    const keys = readKeySource(fields, index, namespace, ctx, problems);
    if (keys === undefined) return;
    entries.push({ namespace, displayName: (displayName as string | undefined) ?? namespace, keys, index, plainEntry: typeof value === "string" });
  });
  return entries;
}

/** One entry's key source; undefined (with its problems pushed) when its pair cannot be used. */
function readKeySource(
  fields: Record<string, unknown>,
  index: number,
  namespace: string,
  ctx: ProjectSettingsContext,
  problems: string[],
): KeySource | undefined {
  const path = (field: KeyField) => `projects[${index}].${field}`;
  const name = (field: KeyField) => `ambient-langfuse:${path(field)} (${namespace})`;
  const given = KEY_FIELDS.filter((f) => fields[f] !== undefined && fields[f] !== "");
  if (given.length === 0) return { source: "shared" };
  if (given.length === 1) {
    const missing = OTHER[given[0]!];
    problems.push(
      `${name(given[0]!)} is set, but ${path(missing)} is not: a project's own key pair needs both, created together in the ` +
        `Langfuse UI; set it with ${setKeyCommand(index, missing)}`,
    );
    return undefined;
  }
  // Under the real engine a key given without --secret is seen only while nothing else in
  // `projects` is secret: Pulumi marks the whole setting secret once one value in it is. The
  // offline plan sees each value in the stack file and refuses a plain key there (stackConfig.ts).
  if (!ctx.secret) {
    for (const field of KEY_FIELDS) {
      problems.push(
        `${name(field)} is in plain text in the stack file (its value is not shown): remove it there and set it with ` +
          `${setKeyCommand(index, field, "<value>")}`,
      );
    }
    return undefined;
  }
  const values = {} as Record<KeyField, string>;
  for (const field of KEY_FIELDS) {
    const value = fields[field];
    if (typeof value !== "string") {
      problems.push(`${name(field)} must be a string (its value is not shown)`);
      return undefined;
    }
    values[field] = value;
  }
  const unreadable = (field: KeyField) => ctx.undecrypted?.includes(`ambient-langfuse:${path(field)}`) === true;
  const readable = KEY_FIELDS.filter((f) => !unreadable(f));
  const swapped = readable.length === 2 && KEY_FIELDS.every((f) => values[f].startsWith(KEY_SHAPE[OTHER[f]].prefix));
  if (swapped) {
    problems.push(
      `ambient-langfuse:projects[${index}] (${namespace}): publicKey and secretKey are swapped (publicKey holds an sk-lf- key and ` +
        `secretKey a pk-lf- key; values not shown): set each to the other's value`,
    );
    return undefined;
  }
  let shaped = true;
  for (const field of readable) {
    const problem = shapeProblem(field, values[field]);
    if (problem) {
      problems.push(`${name(field)} ${problem}`);
      shaped = false;
    }
  }
  if (!shaped) return undefined;
  return { source: "own", publicKey: values.publicKey, secretKey: values.secretKey, readable: readable.length === 2 };
}

/** What is wrong with a key's shape, in words that never quote it; undefined when it has the UI's shape. */
function shapeProblem(field: KeyField, value: string): string | undefined {
  const { prefix, pattern, what } = KEY_SHAPE[field];
  if (pattern.test(value)) return undefined;
  const other = KEY_SHAPE[OTHER[field]];
  if (value.startsWith(other.prefix)) {
    return `holds a ${other.what} (${other.prefix}…), not a ${what} (its value is not shown): set it to the project's ${what}, ${prefix}…`;
  }
  if (value.includes("...")) {
    return (
      `is the shortened form the Langfuse UI lists, not the whole ${what} (its value is not shown): the UI shows the secret key ` +
      `whole only once, when the pair is created; create a new pair and copy both keys then`
    );
  }
  return (
    `is not a Langfuse ${what} (its value is not shown): the Langfuse UI creates it as ${prefix} followed by a UUID; ` +
    `copy it whole, without spaces or line breaks`
  );
}

/**
 * Each own pair on one project only. Pairs the offline plan cannot read are left to the real
 * engine: their stand-ins differ by construction.
 */
function checkDistinctPairs(projects: Entry[], problems: string[], entry: (p: Entry) => string): void {
  const first: Record<KeyField, Map<string, Entry>> = { publicKey: new Map(), secretKey: new Map() };
  for (const p of projects) {
    if (p.keys.source !== "own" || !p.keys.readable) continue;
    const keys = p.keys;
    const earlier = KEY_FIELDS.map((f) => first[f].get(keys[f]));
    const [samePublic, sameSecret] = earlier;
    if (samePublic !== undefined || sameSecret !== undefined) {
      const other = (samePublic ?? sameSecret)!;
      const what = samePublic !== undefined && samePublic === sameSecret ? "key pair" : samePublic !== undefined ? "public key" : "secret key";
      problems.push(
        `${entry(p)} has the same ${what} as ${entry(other)} (values not shown): two namespaces with one pair write into one ` +
          `Langfuse project; create a Langfuse project and API keys of its own for ${p.namespace} in the Langfuse UI`,
      );
      continue;
    }
    for (const f of KEY_FIELDS) first[f].set(keys[f], p);
  }
}

/** Up to three entries by name, then how many more. */
function listed(names: string[]): string {
  if (names.length <= 3) return names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  return `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`;
}
