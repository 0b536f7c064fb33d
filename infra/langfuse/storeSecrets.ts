import { STORE_SECRET_NAMES } from "../names";
import type { ExternalStores } from "../storeSettings";
import type { ChartLine } from "./chartLine";

/** The internal Secret's values that the store Secrets derive from (plain strings, inside an apply). */
export interface StoreCredentials {
  postgresPassword: string;
  redisPassword: string;
  s3User: string;
  s3Password: string;
}

/** Who chart 2.x's bundled PostgreSQL creates; the chart values name the same user and database. */
export const POSTGRES_ACCOUNTS = { superuser: "postgres", user: "langfuse", database: "langfuse" } as const;

/** The Valkey ACL user Langfuse connects as (the chart's validation allows only a user it defines). */
export const REDIS_ACL_USER = "default";

export type BundledStore = "postgresql" | "redis" | "s3";

/** One Secret a bundled store reads, in the shape its subchart expects. */
export interface StoreSecretSpec {
  store: BundledStore;
  /** Kubernetes name, in the Langfuse namespace. */
  name: string;
  /** Its key names, known before any value is. */
  keys: string[];
  /** Its data, from the internal Secret's values: every value is derived, none is generated here. */
  data(c: StoreCredentials): Record<string, string>;
}

/** SeaweedFS's IAM config: the one identity Langfuse uses, with the rights the chart's own config grants. */
export function seaweedfsS3Config(user: string, password: string): string {
  return JSON.stringify({
    identities: [
      { name: user, credentials: [{ accessKey: user, secretKey: password }], actions: ["Admin", "Read", "Write", "List", "Tagging"] },
    ],
  });
}

const CHART_2X_STORE_SECRETS: StoreSecretSpec[] = [
  {
    // groundhog2k/postgres reads each key by name (settings.existingSecret, userDatabase.existingSecret).
    // The superuser shares the user's password, as in the chart's own generated Secret.
    store: "postgresql",
    name: STORE_SECRET_NAMES.postgresql,
    keys: ["POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "USERDB_USER", "USERDB_PASSWORD"],
    data: (c) => ({
      POSTGRES_USER: POSTGRES_ACCOUNTS.superuser,
      POSTGRES_PASSWORD: c.postgresPassword,
      POSTGRES_DB: POSTGRES_ACCOUNTS.database,
      USERDB_USER: POSTGRES_ACCOUNTS.user,
      USERDB_PASSWORD: c.postgresPassword,
    }),
  },
  {
    // valkey-io/valkey mounts auth.usersExistingSecret whole: one key per ACL user.
    store: "redis",
    name: STORE_SECRET_NAMES.redis,
    keys: [REDIS_ACL_USER],
    data: (c) => ({ [REDIS_ACL_USER]: c.redisPassword }),
  },
  {
    // SeaweedFS mounts allInOne.s3.existingConfigSecret whole and reads its IAM config from this key.
    store: "s3",
    name: STORE_SECRET_NAMES.s3,
    keys: ["seaweedfs_s3_config"],
    data: (c) => ({ seaweedfs_s3_config: seaweedfsS3Config(c.s3User, c.s3Password) }),
  },
];

/**
 * The store Secrets a chart line needs besides the internal Secret. Chart 1.5.x's Bitnami stores
 * read the internal Secret by key name; chart 2.x's stores read Secrets of their own shape, and
 * two of them mount theirs whole, so each bundled one gets a Secret holding nothing but its own
 * credentials. A managed store (`managed`) is no subchart: it gets none.
 */
export function storeSecrets(line: ChartLine, managed: ExternalStores = {}): StoreSecretSpec[] {
  if (line !== "2.x") return [];
  const isManaged: Record<BundledStore, boolean> = { postgresql: !!managed.postgres, redis: !!managed.redis, s3: !!managed.s3 };
  return CHART_2X_STORE_SECRETS.filter((spec) => !isManaged[spec.store]);
}
