import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT } from "../config";

/** A stack's config as the Pulumi CLI would hand it to the program: full keys, string values. */
export interface StackConfig {
  config: Record<string, string>;
  /** Full keys whose value is (or contains) a secret. */
  secretKeys: string[];
}

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Stacks that have a `Pulumi.<name>.yaml` in the repository root. */
export function listStacks(root = REPO_ROOT): string[] {
  return readdirSync(root)
    .map((f: string) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
    .filter((s: string | undefined): s is string => s !== undefined)
    .sort();
}

/**
 * Pulumi.yaml's declared defaults, then `Pulumi.<stack>.yaml`, as the CLI layers them.
 * `secure:` values cannot be decrypted here: each becomes a placeholder (64 hex characters,
 * derived from the stack and the setting's path) that passes validation and is marked secret.
 */
export function loadStackConfig(stack: string, root = REPO_ROOT, overrides: Record<string, unknown> = {}): StackConfig {
  const project = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
    config?: Record<string, { default?: unknown } | unknown>;
  };
  const stackFile = path.join(root, `Pulumi.${stack}.yaml`);
  if (!existsSync(stackFile)) {
    throw new Error(`no stack file Pulumi.${stack}.yaml in ${root}`);
  }
  const stackDoc = (parse(readFileSync(stackFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };

  const layered: Record<string, unknown> = {};
  for (const [key, decl] of Object.entries(project.config ?? {})) {
    if (decl !== null && typeof decl === "object" && "default" in decl) {
      layered[fullKey(key)] = (decl as { default: unknown }).default;
    }
  }
  for (const [key, value] of Object.entries({ ...(stackDoc.config ?? {}), ...overrides })) {
    layered[fullKey(key)] = value;
  }

  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(layered)) {
    let secret = false;
    const plain = replaceSecure(value, `${stack}/${key}`, () => (secret = true));
    config[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
    if (secret) secretKeys.push(key);
  }
  return { config, secretKeys };
}

function fullKey(key: string): string {
  return key.includes(":") ? key : `${PROJECT}:${key}`;
}

function replaceSecure(value: unknown, at: string, markSecret: () => void): unknown {
  if (value === null || typeof value !== "object") return value;
  if (!Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value) {
    markSecret();
    return createHash("sha256").update(`placeholder:${at}`).digest("hex");
  }
  if (Array.isArray(value)) return value.map((v, i) => replaceSecure(v, `${at}[${i}]`, markSecret));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, replaceSecure(v, `${at}.${k}`, markSecret)]),
  );
}
