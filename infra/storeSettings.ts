import { createHash } from "node:crypto";
import type { ExistingSecretKey } from "./config";
import { isHostname } from "./kubernetesNames";
import { secretSettingAt } from "./secretSettings";

/**
 * The managed stores a stack may use instead of the chart's bundled ones, each on its own:
 * `externalPostgres`, `externalRedis` and `externalS3`. Their credentials are secret settings
 * (secretSettings.ts); everything else shapes what is deployed and is read in plain text.
 */

/** Prisma's `sslmode` values (it knows no verify-ca / verify-full: those take `sslaccept`). */
export const POSTGRES_SSL_MODES = ["require", "prefer", "disable"] as const;
export type PostgresSslMode = (typeof POSTGRES_SSL_MODES)[number];

/** A managed PostgreSQL (such as Amazon RDS) that Langfuse connects to instead of the bundled one. */
export interface ExternalPostgres {
  host: string;
  port: number;
  database: string;
  user: string;
  sslMode: PostgresSslMode;
  /** Plain string from a secret setting (or the offline plan's stand-in): wrapped as a secret by its only consumer. */
  password: string;
}

/** A managed Redis or Valkey (such as ElastiCache) that Langfuse connects to instead of the bundled Valkey. */
export interface ExternalRedis {
  host: string;
  port: number;
  tls: boolean;
  password: string;
}

/** An S3 bucket Langfuse writes events, exports and media to instead of the bundled object store. */
export interface ExternalS3 {
  bucket: string;
  region: string;
  /** Only for S3-compatible stores or a VPC endpoint; AWS's own endpoint is derived from the region. */
  endpoint: string | undefined;
  /** STS: the IAM role the chart's service account assumes; then there are no keys. */
  serviceAccountRoleArn: string | undefined;
  /** Static keys, when there is no role. */
  keys: { accessKeyId: string; secretAccessKey: string } | undefined;
}

export interface ExternalStores {
  postgres?: ExternalPostgres;
  redis?: ExternalRedis;
  s3?: ExternalS3;
}

/** The top-level setting of each managed store. */
export const STORE_SETTING_NAMES = ["externalPostgres", "externalRedis", "externalS3"] as const;
export type StoreSettingName = (typeof STORE_SETTING_NAMES)[number];

/**
 * What to do with a managed store's credential that the stack does not set. `refuse`: the real
 * engine, where the program must not deploy a store it cannot log in to. `defer`: the offline
 * plan, which stands in a value of the credential's shape and lists the setting to set before
 * `pulumi up` (a stack file carries no secret, so a fresh checkout has none of them).
 */
export type UnsetCredentials = "refuse" | "defer";

export interface StoreSettings {
  stores: ExternalStores;
  /** Credentials the stack leaves unset (paths below `ambient-langfuse:`), each stood in for: only in `defer` mode. */
  unset: string[];
}

/** The `existingSecrets` keys that each managed store replaces. */
const REPLACES: Record<StoreSettingName, { store: string; keys: ExistingSecretKey[] }> = {
  externalPostgres: { store: "PostgreSQL", keys: ["postgresPassword"] },
  externalRedis: { store: "Redis", keys: ["redisPassword"] },
  externalS3: { store: "S3", keys: ["s3User", "s3Password"] },
};

/** RFC 3986's unreserved characters: the only ones a URL carries unescaped everywhere. */
const URL_SAFE = /^[A-Za-z0-9._~-]+$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/**
 * Reads the three managed-store settings. `raw` holds each as Pulumi hands it over (JSON text);
 * `secret` names the settings the engine marked secret (a store setting is, as a whole, once one
 * of its credentials is given with `--secret`). Every problem is pushed to `problems`, naming
 * the setting; no credential is ever echoed.
 */
export function parseStoreSettings(
  raw: Record<string, string | undefined>,
  secret: ReadonlySet<string>,
  existingSecrets: Partial<Record<ExistingSecretKey, string>>,
  unsetCredentials: UnsetCredentials,
  problems: string[],
): StoreSettings {
  const unset: string[] = [];
  const key = (path: string) => `ambient-langfuse:${path}`;

  for (const name of STORE_SETTING_NAMES) {
    if (raw[name] === undefined || raw[name] === "") continue;
    for (const k of REPLACES[name].keys) {
      if (existingSecrets[k] !== undefined) {
        problems.push(
          `${key(`existingSecrets.${k}`)} and ${key(name)} are both set: a managed ${REPLACES[name].store} takes its ` +
            `credentials from ${name}, so nothing of the bundled store's is adopted; remove existingSecrets.${k}`,
        );
      }
    }
  }

  /** A credential: secret, set or (offline) stood in for. */
  const credential = (obj: Record<string, unknown>, name: StoreSettingName, field: string, purpose: string, urlSafe: boolean): string | undefined => {
    const path = `${name}.${field}`;
    const value = obj[field];
    if (value === undefined || value === "") {
      if (unsetCredentials === "defer") {
        unset.push(path);
        const hex = createHash("sha256").update(`unset:${path}`).digest("hex");
        return secretSettingAt(path)!.placeholder(hex);
      }
      problems.push(`${key(path)} is not set: ${purpose}; set it with \`pulumi config set --secret --path ${path} <value>\``);
      return undefined;
    }
    if (!secret.has(name)) {
      problems.push(
        `${key(path)} is in plain text in the stack file (its value is not shown): remove it there and set it with ` +
          `\`pulumi config set --secret --path ${path} <value>\``,
      );
      return undefined;
    }
    if (typeof value !== "string") {
      problems.push(`${key(path)} must be a string (its value is not shown)`);
      return undefined;
    }
    if (urlSafe && !URL_SAFE.test(value)) {
      problems.push(
        `${key(path)} has characters the chart splices unescaped into a connection URL (its value is not shown): ` +
          `use only letters, digits and - . _ ~, e.g. the output of \`openssl rand -hex 24\``,
      );
      return undefined;
    }
    return value;
  };

  const stores: ExternalStores = {};

  const pg = readObject(raw, "externalPostgres", ["host", "port", "database", "user", "sslMode", "password"], problems);
  if (pg) {
    const f = new Fields(pg, "externalPostgres", problems);
    const host = f.host("host", "the PostgreSQL server, such as langfuse.abc123.us-east-1.rds.amazonaws.com");
    const port = f.port("port", 5432);
    // The image splices both into DATABASE_URL, like the password.
    const database = f.text("database", "langfuse", URL_SAFE, "a database name of letters, digits and - . _ ~");
    const user = f.text("user", "langfuse", URL_SAFE, "a user name of letters, digits and - . _ ~");
    const sslMode = f.oneOf("sslMode", POSTGRES_SSL_MODES, "require");
    const password = credential(pg, "externalPostgres", "password", "Langfuse connects to the managed PostgreSQL with it", true);
    if (host && port && database && user && sslMode && password !== undefined) {
      stores.postgres = { host, port, database, user, sslMode, password };
    }
  }

  const redis = readObject(raw, "externalRedis", ["host", "port", "tls", "password"], problems);
  if (redis) {
    const f = new Fields(redis, "externalRedis", problems);
    const host = f.host("host", "the Redis primary endpoint, such as master.langfuse.abc123.use1.cache.amazonaws.com");
    const port = f.port("port", 6379);
    const tls = f.bool("tls", true);
    const password = credential(redis, "externalRedis", "password", "Langfuse authenticates to the managed Redis with it", true);
    if (host && port && tls !== undefined && password !== undefined) stores.redis = { host, port, tls, password };
  }

  const s3 = readObject(raw, "externalS3", ["bucket", "region", "endpoint", "serviceAccountRoleArn", "accessKeyId", "secretAccessKey"], problems);
  if (s3) {
    const f = new Fields(s3, "externalS3", problems);
    const bucket = f.text("bucket", undefined, S3_BUCKET, "an S3 bucket name such as \"acme-langfuse\"");
    const region = f.text("region", undefined, REGION, "an AWS region such as \"us-east-1\"");
    const endpoint = f.url("endpoint");
    const serviceAccountRoleArn = f.text("serviceAccountRoleArn", "", ROLE_ARN, "an IAM role ARN such as \"arn:aws:iam::123456789012:role/langfuse-s3\"") || undefined;
    const hasKeys = s3.accessKeyId !== undefined || s3.secretAccessKey !== undefined;
    let keys: ExternalS3["keys"];
    let keysOk = true;
    if (serviceAccountRoleArn !== undefined && hasKeys) {
      problems.push(
        `${key("externalS3.serviceAccountRoleArn")} and ${key("externalS3.accessKeyId")} / secretAccessKey are both set: ` +
          `with a role (STS) the pods hold no keys; remove the keys, or the role to use keys`,
      );
      keysOk = false;
    } else if (s3.serviceAccountRoleArn === undefined || s3.serviceAccountRoleArn === "") {
      const purpose = "without serviceAccountRoleArn (STS), Langfuse signs its S3 requests with this key";
      // Read whole from a Secret by the chart, never spliced into a URL: any character goes.
      const accessKeyId = credential(s3, "externalS3", "accessKeyId", purpose, false);
      const secretAccessKey = credential(s3, "externalS3", "secretAccessKey", purpose, false);
      if (accessKeyId !== undefined && secretAccessKey !== undefined) keys = { accessKeyId, secretAccessKey };
      else keysOk = false;
    }
    if (bucket && region && f.ok && keysOk) stores.s3 = { bucket, region, endpoint, serviceAccountRoleArn, keys };
  }

  return { stores, unset };
}

/** Parses one store setting's JSON object, refusing anything else and naming unknown keys. */
function readObject(
  raw: Record<string, string | undefined>,
  name: StoreSettingName,
  known: string[],
  problems: string[],
): Record<string, unknown> | undefined {
  const text = raw[name];
  if (text === undefined || text === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    problems.push(`ambient-langfuse:${name} must be an object with ${known.join(", ")}: set each with \`pulumi config set --path ${name}.<key> <value>\``);
    return undefined;
  }
  const unknown = Object.keys(parsed).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    problems.push(`ambient-langfuse:${name} has unknown keys ${unknown.join(", ")}: it takes ${known.join(", ")}`);
  }
  return parsed as Record<string, unknown>;
}

/** Readers of one store setting's plain fields; each problem names `<setting>.<field>` and what would be valid. */
class Fields {
  ok = true;

  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly name: StoreSettingName,
    private readonly problems: string[],
  ) {}

  private refuse(field: string, message: string): undefined {
    this.ok = false;
    this.problems.push(`ambient-langfuse:${this.name}.${field} ${message}`);
    return undefined;
  }

  private given(field: string): unknown {
    const v = this.obj[field];
    return v === "" ? undefined : v;
  }

  text(field: string, fallback: string | undefined, pattern: RegExp, what: string): string | undefined {
    const v = this.given(field);
    if (v === undefined) return fallback ?? this.refuse(field, `is not set: use ${what}`);
    if (typeof v !== "string" || !pattern.test(v)) return this.refuse(field, `is ${JSON.stringify(v)}: use ${what}`);
    return v;
  }

  host(field: string, example: string): string | undefined {
    const v = this.given(field);
    if (v === undefined) return this.refuse(field, `is not set: use the host name of ${example}`);
    if (typeof v !== "string" || !isHostname(v.toLowerCase())) {
      return this.refuse(field, `is ${JSON.stringify(v)}: use a bare host name (no scheme or port), the name of ${example}`);
    }
    return v.toLowerCase();
  }

  port(field: string, fallback: number): number | undefined {
    const v = this.given(field);
    if (v === undefined) return fallback;
    const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535) return this.refuse(field, `is ${JSON.stringify(v)}: use a port number, e.g. ${fallback}`);
    return n;
  }

  bool(field: string, fallback: boolean): boolean | undefined {
    const v = this.given(field);
    if (v === undefined) return fallback;
    if (v === true || v === "true") return true;
    if (v === false || v === "false") return false;
    return this.refuse(field, `is ${JSON.stringify(v)}: use true or false`);
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], fallback: T): T | undefined {
    const v = this.given(field);
    if (v === undefined) return fallback;
    if (!allowed.includes(v as T)) return this.refuse(field, `is ${JSON.stringify(v)}: use one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
    return v as T;
  }

  url(field: string): string | undefined {
    const v = this.given(field);
    if (v === undefined) return undefined;
    let url: URL | undefined;
    try {
      url = typeof v === "string" ? new URL(v) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password || url.search || (url.pathname !== "/" && url.pathname !== "")) {
      return this.refuse(field, `is ${JSON.stringify(v)}: use the endpoint's URL, scheme and host only, e.g. "https://s3.us-east-1.amazonaws.com"`);
    }
    return `${url.protocol}//${url.host}`;
  }
}
