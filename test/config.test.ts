import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError, DEFAULTS, parseSettings } from "../infra/config";
import { loadStackConfig } from "../infra/render/stackConfig";
import { SECRET_SETTINGS } from "../infra/secretSettings";

const ROOT = path.resolve(__dirname, "..");
const minimal = { adminEmail: "admin@example.com" };

function problemsOf(raw: Record<string, string>, secret?: ReadonlySet<string>, options?: Parameters<typeof parseSettings>[2]): string[] {
  try {
    parseSettings(raw, secret, options);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("stack settings", () => {
  it("fills every default when only the admin email is set", () => {
    expect(parseSettings(minimal)).toEqual({
      platform: "kind",
      namespace: "langfuse",
      chartVersion: "2.0.0",
      langfuseVersion: "4.16.0",
      v4WriteMode: "events_only",
      installCertManager: true,
      certManagerVersion: "v1.20.2",
      installClickhouseOperator: true,
      clickhouseOperatorVersion: "0.0.5",
      hostname: "langfuse.local",
      ingressClassName: "nginx",
      ingressControllerNamespace: "ingress-nginx",
      adminEmail: "admin@example.com",
      adminEmailSecret: false,
      organizationName: "ambient-code",
      projectName: "ambient-code-platform",
      nextauthSecretVersion: 1,
      protect: true,
      production: false,
      storageClassName: undefined,
      externalStores: {},
      unsetCredentials: [],
      existingSecrets: {},
      projects: [],
      isolation: "shared",
      createProjectNamespaces: false,
      maskMessages: true,
      operatorIntegration: "admission-policy",
      admissionPolicyApiVersion: "v1",
      operatorNamespace: "ambient-code",
      operatorDeployment: "agentic-operator",
      operatorContainer: "agentic-operator",
      runnerContainer: "ambient-code-runner",
      warnings: [],
    });
  });

  it("accepts the first POC's chart version, on which the chart's own Langfuse v3 runs, and an OpenShift platform", () => {
    const s = parseSettings({ ...minimal, chartVersion: "1.5.9", platform: "openshift", protect: "false", nextauthSecretVersion: "3" });
    expect([s.chartVersion, s.langfuseVersion, s.platform, s.protect, s.nextauthSecretVersion]).toEqual(["1.5.9", undefined, "openshift", false, 3]);
    expect(parseSettings({ ...minimal, chartVersion: "1.5.41", langfuseVersion: "3.224.1" }).langfuseVersion).toBe("3.224.1");
  });

  it("lets a cluster keep its own cert-manager and operator, and a v4 install keep its rollback to v3", () => {
    const s = parseSettings({ ...minimal, installCertManager: "false", installClickhouseOperator: "false", v4WriteMode: "dual" });
    expect([s.installCertManager, s.installClickhouseOperator, s.v4WriteMode]).toEqual([false, false, "dual"]);
  });

  it.each([
    ["chartVersion", "^1.5", 'ambient-langfuse:chartVersion is "^1.5": use an exact chart version such as "2.0.0" (ranges would let `pulumi up` change Langfuse without a reviewed change)'],
    ["chartVersion", "latest", 'ambient-langfuse:chartVersion is "latest": use an exact chart version such as "2.0.0" (ranges would let `pulumi up` change Langfuse without a reviewed change)'],
    ["chartVersion", "1.4.3", 'ambient-langfuse:chartVersion is "1.4.3": this program decides values for chart lines 1.5.x and 2.x only, e.g. "2.0.0" (Langfuse v4) or "1.5.41" (the last v3)'],
    ["langfuseVersion", "latest", 'ambient-langfuse:langfuseVersion is "latest": use an exact image tag such as "4.16.0"'],
    ["langfuseVersion", "3.124.1", 'ambient-langfuse:langfuseVersion is "3.124.1" on chart 2.0.0: chart line 2.x runs Langfuse v4 (default "4.16.0"), or v3 from 3.224.1 while data is copied from a 1.5.x install'],
    ["certManagerVersion", "1.20.2", 'ambient-langfuse:certManagerVersion is "1.20.2": use an exact cert-manager release in its own tag form, such as "v1.20.2"'],
    ["clickhouseOperatorVersion", "~0.0", 'ambient-langfuse:clickhouseOperatorVersion is "~0.0": use an exact chart version such as "0.0.5"'],
    ["v4WriteMode", "legacy", 'ambient-langfuse:v4WriteMode is "legacy": use one of "dual", "events_only"'],
    ["installClickhouseOperator", "no", 'ambient-langfuse:installClickhouseOperator is "no": use true or false'],
    ["hostname", "https://langfuse.local/", 'ambient-langfuse:hostname is "https://langfuse.local/": use a bare host name such as "langfuse.example.com" (no scheme, port or path; labels of letters, digits and "-")'],
    ["namespace", "Langfuse_NS", 'ambient-langfuse:namespace is "Langfuse_NS": a namespace must be a DNS-1123 label (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters), e.g. "langfuse"'],
    ["platform", "eks", 'ambient-langfuse:platform is "eks": use one of "kind", "openshift"'],
    ["adminEmail", "admin-at-example", 'ambient-langfuse:adminEmail is "admin-at-example": use an email address such as "admin@example.com"'],
  ])("refuses %s = %j, naming the setting and what would be valid", (setting, value, message) => {
    expect(problemsOf({ ...minimal, [setting]: value })).toEqual([message]);
  });

  it("refuses a v4 image on chart 1.5.x, whose Bitnami stores v4 cannot run on", () => {
    expect(problemsOf({ ...minimal, chartVersion: "1.5.41", langfuseVersion: "4.16.0" })).toEqual([
      'ambient-langfuse:langfuseVersion is "4.16.0" on chart 1.5.41: chart line 1.5.x runs Langfuse v3 only (v4 needs chart 2.x and its stores): use a 3.x tag such as "3.224.1"',
    ]);
  });

  it("requires the admin email", () => {
    expect(problemsOf({})).toEqual([
      "ambient-langfuse:adminEmail is not set: it is required, e.g. `pulumi config set adminEmail admin@example.com`",
    ]);
  });

  it("takes adminEmail as a secret, checks it decrypted and never shows it", () => {
    expect(parseSettings({ adminEmail: "ops@example.com" }, new Set(["adminEmail"]))).toMatchObject({ adminEmail: "ops@example.com", adminEmailSecret: true });
    const problems = problemsOf({ adminEmail: "ops-at-example.com" }, new Set(["adminEmail"]));
    expect(problems).toEqual([
      'ambient-langfuse:adminEmail is a secret that is not an email address (its value is not shown): use one such as "admin@example.com"',
    ]);
  });

  it("refuses a secret for a setting that shapes what is deployed, without checking or showing its value", () => {
    expect(problemsOf({ ...minimal, hostname: "https://secret.example.com/", existingSecrets: JSON.stringify({ salt: "c2FsdA" }) }, new Set(["hostname", "existingSecrets"]))).toEqual([
      "ambient-langfuse:hostname is a secret, but hostname shapes what is deployed and is read in plain text: set it without --secret; only existingSecrets.<key>, adminEmail, externalPostgres.password, externalRedis.password, externalS3.accessKeyId, externalS3.secretAccessKey, projects[<i>].publicKey, projects[<i>].secretKey take secrets",
    ]);
  });

  it("refuses an unknown key in existingSecrets and lists the known ones", () => {
    expect(problemsOf({ ...minimal, existingSecrets: JSON.stringify({ saltt: "abc" }) })).toEqual([
      "ambient-langfuse:existingSecrets.saltt is not a known secret: use any of salt, encryptionKey, nextauthSecret, postgresPassword, clickhousePassword, redisPassword, s3User, s3Password",
    ]);
  });

  it("refuses an encryption key that is not 64 hex characters, without echoing it", () => {
    const key = "not-hex-" + "z".repeat(56);
    const problems = problemsOf({ ...minimal, existingSecrets: JSON.stringify({ encryptionKey: key }) });
    expect(problems).toEqual([
      "ambient-langfuse:existingSecrets.encryptionKey is not 64 hex characters (it has 64 characters): Langfuse needs 256 bits as hex, e.g. the output of `openssl rand -hex 32`",
    ]);
    expect(problems.join("\n")).not.toContain(key);
  });

  it("refuses a store password the chart would splice unescaped into a URL", () => {
    expect(problemsOf({ ...minimal, existingSecrets: JSON.stringify({ postgresPassword: "p@ss/word" }) })).toEqual([
      "ambient-langfuse:existingSecrets.postgresPassword has characters other than letters and digits: Langfuse splices store credentials into connection URLs without escaping; rotate it to an alphanumeric value first",
    ]);
  });

  it("adopts the secrets of an existing installation", () => {
    const existing = { salt: "c2FsdHNhbHQ=", encryptionKey: "a1".repeat(32), redisPassword: "Redis0Password1" };
    expect(parseSettings({ ...minimal, existingSecrets: JSON.stringify(existing) }).existingSecrets).toEqual(existing);
  });

  it("names a misspelt setting and suggests the right one", () => {
    expect(problemsOf({ ...minimal, chartversion: "1.5.41" })).toEqual([
      "ambient-langfuse:chartversion is not a setting of this program; did you mean ambient-langfuse:chartVersion?",
    ]);
  });

  it("reads projects given as names or as {namespace, displayName}", () => {
    const s = parseSettings({ ...minimal, projects: JSON.stringify(["team-a", { namespace: "team-b", displayName: "Team B" }]) });
    expect(s.projects).toEqual([
      { namespace: "team-a", displayName: "team-a", keys: { source: "shared" } },
      { namespace: "team-b", displayName: "Team B", keys: { source: "shared" } },
    ]);
  });

  it("names a duplicate project and the entry it repeats", () => {
    expect(problemsOf({ ...minimal, projects: JSON.stringify(["team-a", "team-b", { namespace: "team-a" }]) })).toEqual([
      'ambient-langfuse:projects[2] is "team-a" again (already ambient-langfuse:projects[0]): list each namespace once',
    ]);
  });

  it("names an invalid project namespace by its index", () => {
    expect(problemsOf({ ...minimal, projects: JSON.stringify(["team-a", "Team_B", 42, "langfuse"]) })).toEqual([
      'ambient-langfuse:projects[1] is "Team_B": a project namespace must be a DNS-1123 label, e.g. "team-a"',
      'ambient-langfuse:projects[2] must be a namespace string or {namespace, displayName}, e.g. "team-a"',
      'ambient-langfuse:projects[3] is "langfuse", the Langfuse namespace itself: list only project namespaces',
    ]);
  });

  it.each([
    ["operatorIntegration", "webhook", 'ambient-langfuse:operatorIntegration is "webhook": use one of "admission-policy", "operator-env", "none"'],
    ["admissionPolicyApiVersion", "v1alpha1", 'ambient-langfuse:admissionPolicyApiVersion is "v1alpha1": use one of "v1", "v1beta1"'],
    ["runnerContainer", "Runner", 'ambient-langfuse:runnerContainer is "Runner": use a DNS-1123 label (lower-case letters, digits and "-"), e.g. "ambient-code-runner"'],
    ["maskMessages", "yes", 'ambient-langfuse:maskMessages is "yes": use true or false'],
  ])("refuses %s = %j", (setting, value, message) => {
    expect(problemsOf({ ...minimal, [setting]: value })).toEqual([message]);
  });

  it("refuses maskMessages false in operator-env mode, naming both settings: the operator never hands runners that variable", () => {
    expect(problemsOf({ ...minimal, operatorIntegration: "operator-env", maskMessages: "false" })).toEqual([
      'ambient-langfuse:maskMessages is false, but ambient-langfuse:operatorIntegration is "operator-env": the operator passes runners only ' +
        "LANGFUSE_ENABLED, LANGFUSE_HOST, LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY, so runners would never learn it and keep masking; " +
        'leave maskMessages at true, or use operatorIntegration "admission-policy", which hands runners the project\'s langfuse-config',
    ]);
    expect(parseSettings({ ...minimal, operatorIntegration: "operator-env" }).maskMessages).toBe(true);
    expect(parseSettings({ ...minimal, maskMessages: "false" }).maskMessages).toBe(false);
  });

  it("reports every problem at once", () => {
    expect(problemsOf({ chartVersion: "^1", namespace: "NS" })).toHaveLength(3);
  });
});

describe("managed store settings", () => {
  // As `pulumi config set [--secret] --path externalPostgres.<key>` leaves them: one object per
  // store, marked secret as a whole once a credential in it is.
  const POSTGRES = { host: "langfuse.cluster-c1.us-east-1.rds.amazonaws.com", port: 5432, database: "langfuse", user: "langfuse", sslMode: "require" };
  const REDIS = { host: "master.langfuse.a1b2c3.use1.cache.amazonaws.com", port: 6379, tls: true };
  const S3_ROLE = { bucket: "ambient-langfuse-prod", region: "us-east-1", serviceAccountRoleArn: "arn:aws:iam::123456789012:role/ambient-langfuse-s3" };
  const SECRET_STORES = new Set(["externalPostgres", "externalRedis", "externalS3"]);
  const raw = (stores: Record<string, object>) => ({ ...minimal, ...Object.fromEntries(Object.entries(stores).map(([k, v]) => [k, JSON.stringify(v)])) });

  it("reads the three stores with their secret credentials", () => {
    const s = parseSettings(
      raw({
        externalPostgres: { ...POSTGRES, password: "Pg0Managed0Password" },
        externalRedis: { ...REDIS, password: "Redis0Managed0Token" },
        externalS3: S3_ROLE,
      }),
      SECRET_STORES,
    );
    expect(s.externalStores).toEqual({
      postgres: { ...POSTGRES, password: "Pg0Managed0Password" },
      redis: { ...REDIS, password: "Redis0Managed0Token" },
      s3: { ...S3_ROLE, endpoint: undefined, keys: undefined },
    });
    expect(s.unsetCredentials).toEqual([]);
  });

  it("fills the usual port, database, user, TLS and SSL mode, and takes numbers given as text", () => {
    const s = parseSettings(raw({ externalPostgres: { host: "db.example.com", password: "p4ss" }, externalRedis: { host: "redis.example.com", port: "6380", password: "t0ken" } }), SECRET_STORES);
    expect(s.externalStores.postgres).toEqual({ host: "db.example.com", port: 5432, database: "langfuse", user: "langfuse", sslMode: "require", password: "p4ss" });
    expect(s.externalStores.redis).toEqual({ host: "redis.example.com", port: 6380, tls: true, password: "t0ken" });
  });

  it("takes S3 keys of any characters, since the chart reads them whole from a Secret, and an S3-compatible endpoint", () => {
    const keys = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEX+MPLEKEY" };
    const s = parseSettings(raw({ externalS3: { bucket: "langfuse", region: "eu-west-1", endpoint: "https://s3.apps.example.com/", ...keys } }), SECRET_STORES);
    expect(s.externalStores.s3).toEqual({ bucket: "langfuse", region: "eu-west-1", endpoint: "https://s3.apps.example.com", serviceAccountRoleArn: undefined, keys });
  });

  it.each([
    ["externalPostgres", "postgresPassword"],
    ["externalRedis", "redisPassword"],
    ["externalS3", "s3Password"],
  ])("refuses %s beside existingSecrets.%s, naming both settings", (store, key) => {
    const stores = { externalPostgres: { ...POSTGRES, password: "p4ss" }, externalRedis: { ...REDIS, password: "t0ken" }, externalS3: S3_ROLE } as Record<string, object>;
    const problems = problemsOf({ ...raw({ [store]: stores[store] }), existingSecrets: JSON.stringify({ [key]: "Adopted0Value" }) }, SECRET_STORES);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^ambient-langfuse:existingSecrets\\.${key} and ambient-langfuse:${store} are both set: .*; remove existingSecrets\\.${key}$`));
  });

  it("refuses a store password the chart would splice unescaped into a URL, never showing it", () => {
    const problems = problemsOf(raw({ externalPostgres: { ...POSTGRES, password: "p@ss/w#rd" }, externalRedis: { ...REDIS, password: "tok#en" } }), SECRET_STORES);
    expect(problems).toEqual([
      "ambient-langfuse:externalPostgres.password has characters the chart splices unescaped into a connection URL (its value is not shown): use only letters, digits and - . _ ~, e.g. the output of `openssl rand -hex 24`",
      "ambient-langfuse:externalRedis.password has characters the chart splices unescaped into a connection URL (its value is not shown): use only letters, digits and - . _ ~, e.g. the output of `openssl rand -hex 24`",
    ]);
    expect(problems.join("\n")).not.toMatch(/p@ss|tok#en/);
  });

  it("refuses a credential written in plain text in the stack file, telling how to set it as a secret", () => {
    expect(problemsOf(raw({ externalPostgres: { ...POSTGRES, password: "Plain0Text" } }))).toEqual([
      "ambient-langfuse:externalPostgres.password is in plain text in the stack file (its value is not shown): remove it there and set it with `pulumi config set --secret --path externalPostgres.password <value>`",
    ]);
  });

  it("under the real engine stops on each unset credential, naming the setting and the command", () => {
    expect(problemsOf(raw({ externalPostgres: POSTGRES, externalRedis: REDIS, externalS3: { bucket: "langfuse", region: "us-east-1" } }))).toEqual([
      "ambient-langfuse:externalPostgres.password is not set: Langfuse connects to the managed PostgreSQL with it; set it with `pulumi config set --secret --path externalPostgres.password <value>`",
      "ambient-langfuse:externalRedis.password is not set: Langfuse authenticates to the managed Redis with it; set it with `pulumi config set --secret --path externalRedis.password <value>`",
      "ambient-langfuse:externalS3.accessKeyId is not set: without serviceAccountRoleArn (STS), Langfuse signs its S3 requests with this key; set it with `pulumi config set --secret --path externalS3.accessKeyId <value>`",
      "ambient-langfuse:externalS3.secretAccessKey is not set: without serviceAccountRoleArn (STS), Langfuse signs its S3 requests with this key; set it with `pulumi config set --secret --path externalS3.secretAccessKey <value>`",
    ]);
  });

  it("offline, stands in a value of each unset credential's shape and lists it to set before `pulumi up`", () => {
    const s = parseSettings(raw({ externalPostgres: POSTGRES, externalRedis: REDIS, externalS3: { bucket: "langfuse", region: "us-east-1" } }), new Set(), { unsetCredentials: "defer" });
    expect(s.unsetCredentials).toEqual(["externalPostgres.password", "externalRedis.password", "externalS3.accessKeyId", "externalS3.secretAccessKey"]);
    expect(s.externalStores.postgres?.password).toMatch(/^[0-9a-f]{40}$/);
    expect(s.externalStores.redis?.password).toMatch(/^[0-9a-f]{40}$/);
    expect(s.externalStores.s3?.keys?.accessKeyId).toMatch(/^AKIA[0-9A-F]{16}$/);
    expect(s.externalStores.s3?.keys?.secretAccessKey).toMatch(/^[0-9a-f]{40}$/);
    // The same stand-in on every run: nothing in the plan moves between two runs.
    expect(parseSettings(raw({ externalPostgres: POSTGRES }), new Set(), { unsetCredentials: "defer" }).externalStores.postgres?.password).toBe(s.externalStores.postgres?.password);
  });

  it("needs no S3 key with a role, and refuses a role beside keys", () => {
    expect(parseSettings(raw({ externalS3: S3_ROLE })).unsetCredentials).toEqual([]);
    expect(problemsOf(raw({ externalS3: { ...S3_ROLE, accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "x" } }), SECRET_STORES)).toEqual([
      "ambient-langfuse:externalS3.serviceAccountRoleArn and ambient-langfuse:externalS3.accessKeyId / secretAccessKey are both set: with a role (STS) the pods hold no keys; remove the keys, or the role to use keys",
    ]);
  });

  it.each([
    ["externalPostgres", { host: "postgres://db.example.com:5432" }, 'ambient-langfuse:externalPostgres.host is "postgres://db.example.com:5432": use a bare host name (no scheme or port), the name of the PostgreSQL server, such as langfuse.abc123.us-east-1.rds.amazonaws.com'],
    ["externalPostgres", { host: "db.example.com", port: 70000 }, "ambient-langfuse:externalPostgres.port is 70000: use a port number, e.g. 5432"],
    ["externalPostgres", { host: "db.example.com", sslMode: "verify-full" }, 'ambient-langfuse:externalPostgres.sslMode is "verify-full": use one of "require", "prefer", "disable"'],
    ["externalPostgres", { host: "db.example.com", user: "lang@fuse" }, 'ambient-langfuse:externalPostgres.user is "lang@fuse": use a user name of letters, digits and - . _ ~'],
    ["externalPostgres", { port: 5432 }, "ambient-langfuse:externalPostgres.host is not set: use the host name of the PostgreSQL server, such as langfuse.abc123.us-east-1.rds.amazonaws.com"],
    ["externalRedis", { host: "redis.example.com", tls: "yes" }, 'ambient-langfuse:externalRedis.tls is "yes": use true or false'],
    ["externalRedis", { host: "redis.example.com", cluster: true }, "ambient-langfuse:externalRedis has unknown keys cluster: it takes host, port, tls, password"],
    ["externalS3", { bucket: "Langfuse_Bucket", region: "us-east-1", serviceAccountRoleArn: S3_ROLE.serviceAccountRoleArn }, 'ambient-langfuse:externalS3.bucket is "Langfuse_Bucket": use an S3 bucket name such as "acme-langfuse"'],
    ["externalS3", { bucket: "langfuse", region: "auto", serviceAccountRoleArn: S3_ROLE.serviceAccountRoleArn }, 'ambient-langfuse:externalS3.region is "auto": use an AWS region such as "us-east-1"'],
    ["externalS3", { bucket: "langfuse", region: "us-east-1", serviceAccountRoleArn: "ambient-langfuse-s3" }, 'ambient-langfuse:externalS3.serviceAccountRoleArn is "ambient-langfuse-s3": use an IAM role ARN such as "arn:aws:iam::123456789012:role/langfuse-s3"'],
    ["externalS3", { bucket: "langfuse", region: "us-east-1", endpoint: "s3.example.com/bucket", serviceAccountRoleArn: S3_ROLE.serviceAccountRoleArn }, 'ambient-langfuse:externalS3.endpoint is "s3.example.com/bucket": use the endpoint\'s URL, scheme and host only, e.g. "https://s3.us-east-1.amazonaws.com"'],
  ])("refuses %s %j, naming the key and what would be valid", (store, value, message) => {
    const withPassword = store === "externalS3" ? value : { ...value, password: "p4ss" };
    expect(problemsOf(raw({ [store]: withPassword }), SECRET_STORES)).toEqual([message]);
  });

  it("refuses a store setting that is not an object", () => {
    expect(problemsOf({ ...minimal, externalRedis: "redis.example.com" })).toEqual([
      "ambient-langfuse:externalRedis must be an object with host, port, tls, password: set each with `pulumi config set --path externalRedis.<key> <value>`",
    ]);
  });

  it("reads production and the storage class, and refuses a storage class that is no Kubernetes name", () => {
    expect(parseSettings({ ...minimal, production: "true", storageClassName: "gp3-csi" })).toMatchObject({ production: true, storageClassName: "gp3-csi" });
    expect(problemsOf({ ...minimal, production: "yes", storageClassName: "GP3 CSI" })).toEqual([
      'ambient-langfuse:storageClassName is "GP3 CSI": use a StorageClass name such as "gp3-csi"',
      'ambient-langfuse:production is "yes": use true or false',
    ]);
  });

  it("declares each credential a secret setting whose offline stand-in has the credential's shape", () => {
    const hex = "0123456789abcdef".repeat(4);
    const stand = Object.fromEntries(SECRET_SETTINGS.map((s) => [s.path, s.placeholder(hex)]));
    expect(stand).toMatchObject({
      "externalPostgres.password": hex.slice(0, 40),
      "externalRedis.password": hex.slice(0, 40),
      "externalS3.accessKeyId": "AKIA0123456789ABCDEF",
      "externalS3.secretAccessKey": hex.slice(0, 40),
    });
  });
});

describe("Pulumi.yaml", () => {
  const project = parse(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));

  it("is the ambient-langfuse TypeScript program with infra/index.ts as its entry point", () => {
    expect(project.name).toBe("ambient-langfuse");
    expect(project.runtime).toEqual({ name: "nodejs", options: { typescript: true } });
    expect(project.main).toBe("infra/index.ts");
  });

  it("declares every scalar setting with a type, a description and the program's own default", () => {
    const declared = project.config as Record<string, { type: string; default?: unknown; description: string }>;
    for (const [name, value] of Object.entries(DEFAULTS)) {
      expect(declared[name], name).toMatchObject({ default: value });
    }
    for (const [name, decl] of Object.entries(declared)) {
      expect(["string", "integer", "boolean", "array"], name).toContain(decl.type);
      expect(decl.description.length, name).toBeGreaterThan(20);
    }
    expect(declared.adminEmail).toEqual({ type: "string", description: expect.any(String) });
    // Its default depends on the chart line: a declared default would reach 1.5.x stacks as if set,
    // and a declaration without one makes the Pulumi CLI require it in every stack.
    expect(declared.langfuseVersion, "per chart line: documented in the README").toBeUndefined();
    // kind only: a declared default would reach OpenShift stacks as if set (and be refused there),
    // and a declaration without one makes the CLI require it in every stack (pulumi/pulumi#21797).
    expect(declared.ingressControllerNamespace, "kind only: documented in the README").toBeUndefined();
    expect(declared.existingSecrets, "structured: documented in the README").toBeUndefined();
    expect(declared.projects, "strings or objects: documented in the README").toBeUndefined();
  });
});

describe("stack config as the CLI layers it", () => {
  it("puts the stack file over Pulumi.yaml's defaults and replaces secure values with secret placeholders", () => {
    const { config, secretKeys } = loadStackConfig("dev", ROOT, {
      "ambient-langfuse:existingSecrets": { salt: { secure: "v1:AAAA" } },
    });
    expect(config["ambient-langfuse:chartVersion"]).toBe("2.0.0");
    expect(config["ambient-langfuse:installCertManager"]).toBe("true");
    expect(config["ambient-langfuse:protect"]).toBe("false");
    expect(JSON.parse(config["ambient-langfuse:existingSecrets"]).salt).toMatch(/^[0-9a-f]{64}$/);
    expect(secretKeys).toEqual(["ambient-langfuse:existingSecrets"]);
  });
});

describe("the stack files", () => {
  const stackFile = (stack: string) => parse(readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")).config as Record<string, unknown>;

  it.each(["dev", "rosa"])("Pulumi.%s.yaml pins every version the stack runs in the file itself, so that promotion moves them", (stack) => {
    const config = stackFile(stack);
    expect({
      chartVersion: config["ambient-langfuse:chartVersion"],
      langfuseVersion: config["ambient-langfuse:langfuseVersion"],
      certManagerVersion: config["ambient-langfuse:certManagerVersion"],
      clickhouseOperatorVersion: config["ambient-langfuse:clickhouseOperatorVersion"],
    }).toEqual({ chartVersion: "2.0.0", langfuseVersion: "4.16.0", certManagerVersion: "v1.20.2", clickhouseOperatorVersion: "0.0.5" });
  });

  it("Pulumi.rosa.yaml is production on OpenShift with managed stores, protected, with dev's projects and the operator's own wiring", () => {
    const config = stackFile("rosa");
    const setting = (name: string) => config[`ambient-langfuse:${name}`];
    expect(["platform", "production", "protect", "hostname", "storageClassName", "maskMessages", "operatorIntegration"].map(setting)).toEqual([
      "openshift", true, true, "langfuse.apps.rosa.example.com", "gp3-csi", true, "operator-env",
    ]);
    expect(setting("projects")).toEqual(stackFile("dev")["ambient-langfuse:projects"]);
    expect(Object.keys(setting("externalPostgres") as object).sort()).toEqual(["database", "host", "port", "sslMode", "user"]);
    expect(Object.keys(setting("externalRedis") as object).sort()).toEqual(["host", "port", "tls"]);
    expect(Object.keys(setting("externalS3") as object).sort()).toEqual(["bucket", "region", "serviceAccountRoleArn"]);
  });

  it("Pulumi.rosa.yaml carries no secret: no secure: value, no credential, no encryption salt", () => {
    const text = readFileSync(path.join(ROOT, "Pulumi.rosa.yaml"), "utf8");
    expect(text).not.toMatch(/secure:|password|accessKeyId|secretAccessKey|existingSecrets|encryptionsalt/i);
    const { secretKeys, undecrypted } = loadStackConfig("rosa", ROOT);
    expect([secretKeys, undecrypted]).toEqual([[], []]);
    // The real engine's reading of it stops on exactly the two credentials the README says to set.
    const problems = problemsOf(Object.fromEntries(Object.entries(loadStackConfig("rosa", ROOT).config).map(([k, v]) => [k.replace("ambient-langfuse:", ""), v])));
    expect(problems.map((p) => p.split(" is not set")[0])).toEqual(["ambient-langfuse:externalPostgres.password", "ambient-langfuse:externalRedis.password"]);
  });
});
