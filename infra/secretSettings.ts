/**
 * The settings that take a `secure:` value (`pulumi config set --secret`), in one place. The stack
 * file reader accepts `secure:` only at these paths, the program refuses a secret setting anywhere
 * else, and each of these is kept secret end to end. Any other setting shapes what is deployed
 * and is read in plain text.
 *
 * Paths are below `ambient-langfuse:`; `*` stands for any key and `[*]` for any list index.
 */
export interface SecretSetting {
  path: string;
  /**
   * What the offline plan stands in for a value it cannot decrypt: something of the shape the
   * program checks, derived from 64 hex characters unique to the stack and the path.
   */
  placeholder(hex64: string): string;
  /**
   * Refused in plain text in a stack file (which is committed) by the offline plan, which sees each
   * value there: under the real engine the program sees only whether the whole top-level setting
   * holds a secret (projectSettings.ts).
   */
  secureOnly?: true;
}

export const SECRET_SETTINGS: readonly SecretSetting[] = [
  // 64 hex characters pass every existingSecrets rule (an encryption key, alphanumeric passwords).
  { path: "existingSecrets.*", placeholder: (hex) => hex },
  { path: "adminEmail", placeholder: (hex) => `secure-${hex.slice(0, 12)}@placeholder.invalid` },
  // Managed stores' credentials (storeSettings.ts). Hex is URL-safe, as the store passwords must be.
  { path: "externalPostgres.password", placeholder: (hex) => hex.slice(0, 40) },
  { path: "externalRedis.password", placeholder: (hex) => hex.slice(0, 40) },
  // An AWS access key id is 20 upper-case characters starting AKIA; its secret 40 characters.
  { path: "externalS3.accessKeyId", placeholder: (hex) => `AKIA${hex.slice(0, 16).toUpperCase()}` },
  { path: "externalS3.secretAccessKey", placeholder: (hex) => hex.slice(0, 40) },
  // A project's own Langfuse key pair (projectSettings.ts), in the form the Langfuse UI creates.
  { path: "projects[*].publicKey", placeholder: (hex) => `pk-lf-${uuidFrom(hex)}`, secureOnly: true },
  { path: "projects[*].secretKey", placeholder: (hex) => `sk-lf-${uuidFrom(hex)}`, secureOnly: true },
];

/** A version-4 UUID made of the first 32 of 64 hex characters. */
function uuidFrom(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** `projects[0].publicKey` -> `projects`, `[0]`, `publicKey`. */
function segments(settingPath: string): string[] {
  return settingPath.match(/\[[^\]]*\]|[^.[\]]+/g) ?? [];
}

function segmentMatches(pattern: string, segment: string): boolean {
  if (pattern === "[*]") return /^\[\d+\]$/.test(segment);
  if (pattern === "*") return !segment.startsWith("[");
  return pattern === segment;
}

const declared = SECRET_SETTINGS.map((setting) => ({ setting, segments: segments(setting.path) }));

/** The secret setting a path (`existingSecrets.salt`, `adminEmail`) is, if it is one. */
export function secretSettingAt(settingPath: string): SecretSetting | undefined {
  const at = segments(settingPath);
  return declared.find((d) => d.segments.length === at.length && d.segments.every((p, i) => segmentMatches(p, at[i]!)))?.setting;
}

/** Whether a path lies above a secret setting (`existingSecrets` above `existingSecrets.*`). */
export function isAboveSecretSettings(settingPath: string): boolean {
  const at = segments(settingPath);
  return declared.some((d) => d.segments.length > at.length && at.every((s, i) => segmentMatches(d.segments[i]!, s)));
}

/** Whether a top-level setting is, or holds below it, a setting that takes secrets. */
export function holdsSecretSettings(name: string): boolean {
  return secretSettingAt(name) !== undefined || isAboveSecretSettings(name);
}

/** The list for messages: `existingSecrets.<key>, adminEmail`. */
export function secretSettingNames(): string {
  return SECRET_SETTINGS.map((s) => s.path.replace(/\[\*\]/g, "[<i>]").replace(/\*/g, "<key>")).join(", ");
}
