import * as pulumi from "@pulumi/pulumi";

export const REDACTED = "[secret]";

function isSecretMarker(v: unknown): v is { value: unknown } {
  return (
    v !== null &&
    typeof v === "object" &&
    (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
  );
}

/** JSONPath segment: dotted where the key is an identifier, bracketed and quoted otherwise. */
export function jsonPathSegment(key: string | number): string {
  if (typeof key === "number") return `[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `['${key.replace(/'/g, "\\'")}']`;
}

/**
 * Replaces every value the SDK marked secret with "[secret]" (keeping the keys that lead to it
 * visible) and lists the JSONPath of each replaced leaf.
 */
export function redactSecrets(inputs: unknown): { inputs: unknown; secretPaths: string[] } {
  const secretPaths: string[] = [];
  // A secret that wraps an object (the Kubernetes SDK marks a Secret's whole `stringData`) is
  // opened up, so that its key names stay visible and only its leaves are redacted.
  const walk = (v: unknown, at: string, inSecret: boolean): unknown => {
    if (isSecretMarker(v)) return walk(v.value, at, true);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, at + jsonPathSegment(i), inSecret));
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, at + jsonPathSegment(k), inSecret)]));
    }
    if (inSecret) {
      secretPaths.push(at);
      return REDACTED;
    }
    return v;
  };
  return { inputs: walk(inputs, "$", false), secretPaths };
}
