import type { ExistingSecretKey } from "../config";
import type { ExternalPostgres, ExternalRedis, ExternalS3, ExternalStores } from "../storeSettings";
import { internalRef, type SecretRefs } from "./langfuseAppValues";
import { INTERNAL_SECRET_KEYS as K } from "./secretKeys";

/**
 * Values that point Langfuse at a managed store and turn the bundled one off, the same paths on
 * both chart lines (1.5.x and 2.x read them alike). Every credential is read from the internal
 * Secret by reference, under the key the bundled store's password would have had.
 */
export const MANAGED_STORES = {
  postgresql: (pg: ExternalPostgres, refs: SecretRefs) => ({
    deploy: false,
    // The image builds DATABASE_URL from DATABASE_HOST and ignores DATABASE_PORT: the port goes in the host.
    host: `${pg.host}:${pg.port}`,
    // Appended to DATABASE_URL as its query.
    args: `sslmode=${pg.sslMode}`,
    auth: {
      username: pg.user,
      database: pg.database,
      existingSecret: refs.internalSecretName,
      secretKeys: { userPasswordKey: K.postgresPassword },
    },
  }),
  redis: (r: ExternalRedis, refs: SecretRefs) => ({
    deploy: false,
    host: r.host,
    port: r.port,
    tls: { enabled: r.tls },
    auth: { existingSecret: refs.internalSecretName, existingSecretPasswordKey: K.redisPassword },
  }),
  s3: (s3: ExternalS3, refs: SecretRefs) => ({
    deploy: false,
    bucket: s3.bucket,
    region: s3.region,
    ...(s3.endpoint !== undefined ? { endpoint: s3.endpoint } : {}),
    forcePathStyle: forcePathStyle(s3.endpoint),
    // With a role (STS) there are no keys: the AWS SDK's default chain uses the service account's.
    ...(s3.keys !== undefined
      ? { accessKeyId: internalRef(refs, K.s3User), secretAccessKey: internalRef(refs, K.s3Password) }
      : {}),
  }),
};

/**
 * AWS S3 (its own endpoint, or none given) takes virtual-hosted requests; the S3-compatible stores
 * an endpoint otherwise points at (MinIO, Ceph, OpenShift Data Foundation) want the bucket in the path.
 */
export function forcePathStyle(endpoint: string | undefined): boolean {
  return endpoint !== undefined && !/(^|\.)amazonaws\.com(\.cn)?$/.test(new URL(endpoint).hostname);
}

/**
 * What the managed stores put in the internal Secret, by the key a bundled store's credential
 * would have: their passwords and S3 keys (plain strings from secret settings), and the keys no
 * one needs (an S3 reached through a role has none). The program generates neither.
 */
export function managedStoreCredentials(stores: ExternalStores): {
  values: Partial<Record<ExistingSecretKey, string>>;
  omitted: ExistingSecretKey[];
} {
  const values: Partial<Record<ExistingSecretKey, string>> = {};
  const omitted: ExistingSecretKey[] = [];
  if (stores.postgres) values.postgresPassword = stores.postgres.password;
  if (stores.redis) values.redisPassword = stores.redis.password;
  if (stores.s3?.keys) {
    values.s3User = stores.s3.keys.accessKeyId;
    values.s3Password = stores.s3.keys.secretAccessKey;
  } else if (stores.s3) {
    omitted.push("s3User", "s3Password");
  }
  return { values, omitted };
}
