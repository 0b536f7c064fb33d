import { REDACTED } from "../render/redact";
import { CONTRACT_SECRET, isProjectSecret, PROJECT_WIRING_TYPE } from "./projectResources";
import { isLangfuseRelease, type PlannedResource, type Policy, SECRET_TYPE, UNKNOWN_AT_PREVIEW, violations } from "./types";

/**
 * The variables Langfuse's headless initialisation creates its one project's key pair from
 * (Langfuse's self-hosting docs), and the key of the namespace contract's Secret that carries the
 * same half of a pair to runners (LANGFUSE_PUBLIC_KEY / LANGFUSE_SECRET_KEY, as the Langfuse SDKs read them).
 */
const BOOTSTRAP_PAIR = [
  { initVariable: "LANGFUSE_INIT_PROJECT_PUBLIC_KEY", contractKey: "LANGFUSE_PUBLIC_KEY" },
  { initVariable: "LANGFUSE_INIT_PROJECT_SECRET_KEY", contractKey: "LANGFUSE_SECRET_KEY" },
] as const;

/** Where a Langfuse release's headless initialisation reads one half of its key pair: a Secret's key, or a literal. */
interface BootstrapHalf {
  initVariable: string;
  contractKey: string;
  secret?: PlannedResource;
  key?: string;
  literal?: string;
}

/** The inputs of a Secret that hold its values. */
const DATA_FIELDS = ["stringData", "data"];

/** A Secret's value at a key where it is known: not redacted by the plan, not unknown at preview. */
function knownValue(secret: PlannedResource, key: string): string | undefined {
  const { stringData, data } = secret.inputs ?? {};
  let value: unknown = typeof stringData === "object" && stringData !== null ? stringData[key] : undefined;
  if (value === undefined && typeof data === "object" && data !== null && typeof data[key] === "string") {
    value = Buffer.from(data[key], "base64").toString("utf8");
  }
  return typeof value === "string" && value !== REDACTED && value !== UNKNOWN_AT_PREVIEW ? value : undefined;
}

/** The resources a Secret's values are made from, as the engine records them per input. */
function madeFrom(secret: PlannedResource): Set<string> {
  return new Set(DATA_FIELDS.flatMap((field) => secret.propertyDependencies?.[field] ?? []));
}

/** Each half of the key pair each Langfuse release initialises, found from the release's own values. */
function bootstrapPairs(resources: PlannedResource[]): BootstrapHalf[] {
  const halves: BootstrapHalf[] = [];
  for (const release of resources.filter(isLangfuseRelease)) {
    const env: unknown[] = Array.isArray(release.inputs.values?.langfuse?.additionalEnv) ? release.inputs.values.langfuse.additionalEnv : [];
    for (const { initVariable, contractKey } of BOOTSTRAP_PAIR) {
      const entry = env.find((e): e is Record<string, any> => typeof e === "object" && e !== null && (e as { name?: unknown }).name === initVariable);
      if (entry === undefined) continue;
      const ref = entry.valueFrom?.secretKeyRef;
      if (ref !== undefined) {
        const secret = resources.find(
          (r) => r.type === SECRET_TYPE && r.inputs.metadata?.name === ref.name && r.inputs.metadata?.namespace === release.inputs.namespace,
        );
        halves.push({ initVariable, contractKey, secret, key: ref.key });
      } else if (typeof entry.value === "string") {
        halves.push({ initVariable, contractKey, literal: entry.value });
      }
    }
  }
  return halves;
}

export const strictProjectsOwnKeys: Policy = {
  name: "strict-projects-own-keys",
  description:
    `Under isolation strict (as each project's wiring records it), no project's ${CONTRACT_SECRET} Secret is fed from the key pair ` +
    "that Langfuse's headless initialisation creates (the release's LANGFUSE_INIT_PROJECT_PUBLIC_KEY / _SECRET_KEY): " +
    "neither made from what that pair is made from nor holding its values.",
  check(resources) {
    const strict = new Set(
      resources.filter((r) => r.type === PROJECT_WIRING_TYPE && r.inputs.isolation === "strict").map((r) => r.inputs.namespace as string),
    );
    if (strict.size === 0) return { violations: [] };
    const halves = bootstrapPairs(resources);
    const bootstrapSecrets = [...new Set(halves.flatMap((h) => (h.secret ? [h.secret] : [])))];
    const found: [PlannedResource, string][] = [];
    for (const secret of resources.filter(isProjectSecret)) {
      const ns = secret.inputs.metadata.namespace;
      if (!strict.has(ns)) continue;
      const where = `${CONTRACT_SECRET} in namespace "${ns}"`;
      const fix = "under isolation strict each project holds a key pair of its own, created in the Langfuse UI in its own Langfuse project";
      // What the engine records as the Secret's sources: the same generated values as the bootstrap pair's.
      const mine = madeFrom(secret);
      const shared = bootstrapSecrets.flatMap((b) => [...madeFrom(b)].filter((d) => mine.has(d)).map((d) => ({ d, b })));
      if (shared.length > 0) {
        found.push([
          secret,
          `${where} is made from ${shared.map((s) => s.d).join(", ")}, as Secret "${shared[0]!.b.inputs.metadata.name}" that ` +
            `Langfuse's headless initialisation reads its key pair from: it is fed from the bootstrap pair; ${fix}`,
        ]);
        continue;
      }
      // Where values are known (after an update, or a preview of a running stack): the pair itself.
      for (const half of halves) {
        const mineValue = knownValue(secret, half.contractKey);
        const theirs = half.literal ?? (half.secret && half.key ? knownValue(half.secret, half.key) : undefined);
        if (mineValue !== undefined && mineValue === theirs) {
          found.push([secret, `${where}: ${half.contractKey} is the bootstrap pair's (${half.initVariable}; values not shown); ${fix}`]);
        }
      }
    }
    return violations(this.name, found);
  },
};
