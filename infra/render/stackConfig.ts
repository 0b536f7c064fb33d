import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { PROJECT } from "../config";
import { isAboveSecretSettings, secretSettingAt, secretSettingNames } from "../secretSettings";
import { readStackFile, readYamlMapping, StackFileError } from "./stackFile";

/** A stack's config as the Pulumi CLI would hand it to the program: full keys, string values. */
export interface StackConfig {
  config: Record<string, string>;
  /** Full keys whose value is (or contains) a secret. */
  secretKeys: string[];
  /**
   * Every `secure:` value, by full path (`ambient-langfuse:existingSecrets.salt`): none can be
   * decrypted here, so each became a placeholder of the shape its setting needs, and its own
   * shape is checked only by the real engine.
   */
  undecrypted: string[];
}

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Stacks that have a `Pulumi.<name>.yaml` in the repository root. */
export function listStacks(root = REPO_ROOT): string[] {
  return readdirSync(root)
    .map((f: string) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
    .filter((s: string | undefined): s is string => s !== undefined)
    .sort();
}

/** The stack file of a stack. */
export function stackFilePath(stack: string, root = REPO_ROOT): string {
  return path.join(root, `Pulumi.${stack}.yaml`);
}

/**
 * Pulumi.yaml's declared defaults, then `Pulumi.<stack>.yaml`, as the CLI layers them. Either
 * file's problems (YAML syntax, shape) are StackFileErrors naming the file, line and column.
 * `secure:` values cannot be decrypted here: one is accepted only where a setting takes secrets
 * (secretSettings.ts) or under another package's namespace, and becomes a placeholder of that
 * setting's shape, marked secret; anywhere else it is refused, naming the setting.
 */
export function loadStackConfig(stack: string, root = REPO_ROOT, overrides: Record<string, unknown> = {}): StackConfig {
  const project = readYamlMapping(path.join(root, "Pulumi.yaml"), "a project file");
  const stackFile = readStackFile(stackFilePath(stack, root));

  const layered = new Map<string, { value: unknown; from?: string }>();
  const declared = project.value.config;
  if (declared !== null && typeof declared === "object") {
    for (const [key, decl] of Object.entries(declared)) {
      if (decl !== null && typeof decl === "object" && "default" in decl) {
        layered.set(fullKey(key), { value: (decl as { default: unknown }).default });
      }
    }
  }
  for (const [key, value] of Object.entries(stackFile.config)) layered.set(fullKey(key), { value, from: key });
  for (const [key, value] of Object.entries(overrides)) layered.set(fullKey(key), { value });

  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const undecrypted: string[] = [];
  for (const [key, { value, from }] of layered) {
    let secret = false;
    const placeholder = (at: string, keyPath: (string | number)[]): string => {
      secret = true;
      undecrypted.push(at);
      const hex = createHash("sha256").update(`placeholder:${stack}/${at}`).digest("hex");
      const [namespace, ...rest] = at.split(":");
      if (namespace !== PROJECT) return hex; // another package's setting: not ours to shape
      const settingPath = rest.join(":");
      const setting = secretSettingAt(settingPath);
      if (setting) return setting.placeholder(hex);
      const where = from === undefined ? undefined : stackFile.positionOf(["config", from, ...keyPath]);
      throw new StackFileError(stackFile.file, refusal(at, settingPath), where);
    };
    const plainText = (at: string, keyPath: (string | number)[]): void => {
      const [namespace, ...rest] = at.split(":");
      const settingPath = rest.join(":");
      if (namespace !== PROJECT || !secretSettingAt(settingPath)?.secureOnly) return;
      const where = from === undefined ? undefined : stackFile.positionOf(["config", from, ...keyPath]);
      throw new StackFileError(
        stackFile.file,
        `${at} is in plain text (its value is not shown): remove it from the file and set it with ` +
          `\`pulumi config set --secret --path '${settingPath}' <value>\``,
        where,
      );
    };
    const plain = replaceSecure(value, key, [], placeholder, plainText);
    config[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
    if (secret) secretKeys.push(key);
  }
  return { config, secretKeys, undecrypted };
}

function refusal(at: string, settingPath: string): string {
  const takes = `only ${secretSettingNames()} take secure: values`;
  if (isAboveSecretSettings(settingPath)) {
    return `${at} is one secure: value as a whole: give each of its keys its own (\`pulumi config set --secret --path ${settingPath}.<key> <value>\`)`;
  }
  return (
    `${at} is a secure: value, but ${settingPath} shapes what is deployed and is read in plain text: ` +
    `set it without --secret; ${takes}`
  );
}

function fullKey(key: string): string {
  return key.includes(":") ? key : `${PROJECT}:${key}`;
}

/**
 * The value with each `{ secure: "…" }` replaced; `at` is the full setting path so far. Every
 * other leaf is shown to `plainText`.
 */
function replaceSecure(
  value: unknown,
  at: string,
  keyPath: (string | number)[],
  placeholder: (at: string, keyPath: (string | number)[]) => string,
  plainText: (at: string, keyPath: (string | number)[]) => void,
): unknown {
  if (value === null || typeof value !== "object") {
    if (value !== null && value !== undefined && value !== "") plainText(at, keyPath);
    return value;
  }
  if (!Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { secure?: unknown }).secure === "string") {
    return placeholder(at, keyPath);
  }
  if (Array.isArray(value)) return value.map((v, i) => replaceSecure(v, `${at}[${i}]`, [...keyPath, i], placeholder, plainText));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, replaceSecure(v, `${at}.${k}`, [...keyPath, k], placeholder, plainText)]),
  );
}

