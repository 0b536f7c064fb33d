/**
 * Key names inside the internal Secret (`langfuse-internal`). They are part of the contract
 * with operators who adopt or inspect an installation: change them only with a migration.
 */
export const INTERNAL_SECRET_KEYS = {
  salt: "salt",
  encryptionKey: "encryption-key",
  nextauthSecret: "nextauth-secret",
  postgresPassword: "postgres-password",
  clickhousePassword: "clickhouse-password",
  redisPassword: "redis-password",
  s3User: "s3-user",
  s3Password: "s3-password",
} as const;

/** Key names inside the bootstrap Secret (`langfuse-bootstrap`). */
export const BOOTSTRAP_SECRET_KEYS = {
  publicKey: "public-key",
  secretKey: "secret-key",
  adminPassword: "admin-password",
  // Always here, secret or not: the chart reads the email one way whatever the stack says.
  adminEmail: "admin-email",
} as const;

/** Key names inside the Enterprise Secret (`langfuse-enterprise`). */
export const ENTERPRISE_SECRET_KEYS = {
  licenseKey: "license-key",
  adminApiKey: "admin-api-key",
} as const;
