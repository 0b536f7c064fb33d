/** Names of env vars or data keys that hold credentials. */
export const SECRET_NAME = /(PASSWORD|SECRET|SALT|TOKEN|PRIVATE|(^|_)KEY$|_KEY_|ENCRYPTION)/i;

/** Values that are Langfuse key material whatever their name. */
export const KEY_MATERIAL = /^(pk|sk)-lf-[0-9a-f-]{8,}/;

/** Walks a JSON value, calling `visit` with each object and its dotted path. */
export function walkObjects(value: unknown, visit: (obj: Record<string, any>, path: string) => void, path = ""): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => walkObjects(v, visit, `${path}[${i}]`));
  } else if (value !== null && typeof value === "object") {
    visit(value as Record<string, any>, path);
    for (const [k, v] of Object.entries(value)) walkObjects(v, visit, path ? `${path}.${k}` : k);
  }
}
