import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseSettings } from "../infra/config";
import { bootstrapEnv, bootstrapIds } from "../infra/langfuse/bootstrap";
import { chartLine, compareVersions, langfuseVersionProblem } from "../infra/langfuse/chartLine";
import { chartValues } from "../infra/langfuse/chartValues";
import { LAPTOP_SIZING, PRODUCTION_SIZING } from "../infra/langfuse/sizing";
import { seaweedfsS3Config, storeSecrets } from "../infra/langfuse/storeSecrets";
import { externalUrl, internalWebUrl } from "../infra/names";
import { platformProfile } from "../infra/platform";
import { SUBCHART_ALLOW_LIST } from "../infra/policies/subchartAllowList";
import { chartHasPath, leafPaths } from "../infra/policies/chartValuePathsExist";
import { prerequisiteReleases } from "../infra/prerequisites/prerequisiteReleases";

const refs = {
  internalSecretName: "langfuse-internal",
  bootstrapSecretName: "langfuse-bootstrap",
  storeSecretNames: { postgresql: "langfuse-internal-postgresql", redis: "langfuse-internal-redis", s3: "langfuse-internal-s3" },
};
const REFERENCE = path.resolve(__dirname, "..", "..", "shared", "reference");
const reference = (version: string) => parse(readFileSync(path.join(REFERENCE, `langfuse-chart-${version}.values.yaml`), "utf8"));
const settings = (raw: Record<string, string> = {}) => parseSettings({ adminEmail: "admin@ambient-code.local", ...raw });
const dev = settings();
const v4 = chartValues(dev, platformProfile("kind"), refs);
const v3 = chartValues(settings({ chartVersion: "1.5.41" }), platformProfile("kind"), refs);
const ref = (key: string) => ({ secretKeyRef: { name: "langfuse-internal", key } });
const mebibytes = (m: string) => (m.endsWith("Gi") ? parseFloat(m) * 1024 : parseFloat(m));

describe("chart lines and Langfuse versions", () => {
  it("knows the 1.5.x and 2.x lines and nothing else", () => {
    expect(["1.5.9", "1.5.41", "2.0.0", "2.3.1", "2.0.0-rc.1", "1.4.2", "3.0.0", "1.50.0"].map(chartLine)).toEqual([
      "1.5.x", "1.5.x", "2.x", "2.x", "2.x", undefined, undefined, undefined,
    ]);
  });

  it("runs v3 on 1.5.x, and v4 on 2.x, or v3 from 3.224.1 while data is copied over", () => {
    expect(langfuseVersionProblem("1.5.x", "3.224.1")).toBeUndefined();
    expect(langfuseVersionProblem("1.5.x", "4.16.0")).toMatch(/^chart line 1\.5\.x runs Langfuse v3 only/);
    expect(langfuseVersionProblem("2.x", "4.16.0")).toBeUndefined();
    expect(langfuseVersionProblem("2.x", "3.224.1")).toBeUndefined();
    expect(langfuseVersionProblem("2.x", "3.124.1")).toMatch(/^chart line 2\.x runs Langfuse v4 .* or v3 from 3\.224\.1/);
    expect(langfuseVersionProblem("2.x", "5.0.0")).toBeDefined();
    expect(compareVersions("3.224.1", "3.99.9")).toBeGreaterThan(0);
  });
});

describe("chart 2.x values (the default line)", () => {
  it("hands the chart the application secrets by reference, never by value", () => {
    expect(v4.langfuse.salt).toEqual(ref("salt"));
    expect(v4.langfuse.encryptionKey).toEqual(ref("encryption-key"));
    expect(v4.langfuse.nextauth).toEqual({ url: "http://langfuse.local", secret: ref("nextauth-secret") });
    const { additionalEnv, ...langfuseWithoutEnv } = v4.langfuse;
    expect(JSON.stringify({ ...v4, langfuse: langfuseWithoutEnv })).not.toMatch(/"(value|password|rootPassword)":/);
  });

  it("gives Langfuse each store password from the internal Secret, and each store subchart its own Secret", () => {
    expect(v4.postgresql.auth).toEqual({
      username: "langfuse",
      database: "langfuse",
      existingSecret: "langfuse-internal",
      secretKeys: { userPasswordKey: "postgres-password", adminPasswordKey: "postgres-password" },
    });
    expect(v4.postgresql.settings).toEqual({ existingSecret: "langfuse-internal-postgresql" });
    expect(v4.postgresql.userDatabase).toEqual({ existingSecret: "langfuse-internal-postgresql" });
    expect(v4.redis.auth).toEqual({
      username: "default",
      existingSecret: "langfuse-internal",
      existingSecretPasswordKey: "redis-password",
      usersExistingSecret: "langfuse-internal-redis",
    });
    expect(v4.clickhouse.auth).toEqual({ existingSecret: "langfuse-internal", existingSecretKey: "clickhouse-password" });
    expect(v4.s3.auth).toEqual({ existingSecret: "langfuse-internal", rootUserSecretKey: "s3-user", rootPasswordSecretKey: "s3-password" });
    expect(v4.s3.allInOne.s3).toEqual({ existingConfigSecret: "langfuse-internal-s3" });
  });

  it("pins the Langfuse image to 4.16.0 unless langfuseVersion says otherwise", () => {
    expect(v4.langfuse.image).toEqual({ tag: "4.16.0" });
    const copying = chartValues(settings({ langfuseVersion: "3.224.1" }), platformProfile("kind"), refs);
    expect(copying.langfuse.image).toEqual({ tag: "3.224.1" });
  });

  it("passes headless initialisation and v4WriteMode through additionalEnv", () => {
    expect(v4.langfuse.additionalEnv).toEqual([
      ...bootstrapEnv(dev, "langfuse-bootstrap"),
      { name: "LANGFUSE_MIGRATION_V4_WRITE_MODE", value: "events_only" },
    ]);
    const dual = chartValues(settings({ v4WriteMode: "dual" }), platformProfile("kind"), refs);
    expect(dual.langfuse.additionalEnv.at(-1)).toEqual({ name: "LANGFUSE_MIGRATION_V4_WRITE_MODE", value: "dual" });
  });

  it("sizes for a laptop: one ClickHouse replica, one Keeper, small volumes and about 3 GiB of requests", () => {
    expect(v4.clickhouse.cluster).toEqual({ replicas: 1, resources: LAPTOP_SIZING.clickhouse.resources, storage: { size: "10Gi" } });
    expect(v4.clickhouse.keeper).toEqual({ replicas: 1, resources: LAPTOP_SIZING.keeper.resources, storage: { size: "1Gi" } });
    expect([v4.postgresql.storage.requestedSize, v4.redis.dataStorage.requestedSize, v4.s3.allInOne.data.size]).toEqual(["5Gi", "1Gi", "5Gi"]);
    const requests = [
      v4.langfuse.web, v4.langfuse.worker, v4.postgresql, v4.redis, v4.clickhouse.cluster, v4.clickhouse.keeper, v4.s3.allInOne,
    ].map((c) => mebibytes(c.resources.requests.memory));
    expect(requests.reduce((a, b) => a + b, 0)).toBe(2880);
  });

  it("skips the chart's CRD check only when this program installs the operator in the same update", () => {
    expect(v4.clickhouse.crdCheck).toBe(false);
    const ownOperator = chartValues(settings({ installClickhouseOperator: "false" }), platformProfile("kind"), refs);
    expect(ownOperator.clickhouse.crdCheck).toBe(true);
  });

  it("exposes the UI through an Ingress of the configured class on kind, and none on OpenShift", () => {
    expect(v4.langfuse.ingress).toEqual({
      enabled: true,
      className: "nginx",
      hosts: [{ host: "langfuse.local", paths: [{ path: "/", pathType: "Prefix" }] }],
    });
    expect(chartValues(dev, platformProfile("openshift"), refs).langfuse.ingress).toBeUndefined();
  });

  it("sets only paths chart 2.0.0's own values.yaml has, and on OpenShift the one Valkey value its allow-list names", () => {
    const defaults = reference("2.0.0");
    expect(leafPaths(v4).filter((p) => !chartHasPath(defaults, p))).toEqual([]);
    const everything = chartValues(settings({ installClickhouseOperator: "false", v4WriteMode: "dual", storageClassName: "gp3-csi" }), platformProfile("openshift"), refs, PRODUCTION_SIZING);
    expect(leafPaths(everything).filter((p) => !chartHasPath(defaults, p))).toEqual(["redis.securityContext.runAsUser"]);
    expect(SUBCHART_ALLOW_LIST[2].map((e) => e.prefix)).toEqual(["redis.securityContext.runAsUser"]);
  });
});

describe("chart 1.5.x values (Langfuse v3, kept for running installs)", () => {
  it("hands every Bitnami store its password through existingSecret with the store's own key field", () => {
    expect(v3.postgresql.auth).toEqual({
      existingSecret: "langfuse-internal",
      secretKeys: { userPasswordKey: "postgres-password", adminPasswordKey: "postgres-password" },
    });
    expect(v3.clickhouse.auth).toEqual({ existingSecret: "langfuse-internal", existingSecretKey: "clickhouse-password" });
    expect(v3.redis.auth).toEqual({ existingSecret: "langfuse-internal", existingSecretPasswordKey: "redis-password" });
    expect(v3.s3.auth).toEqual({ existingSecret: "langfuse-internal", rootUserSecretKey: "s3-user", rootPasswordSecretKey: "s3-password" });
    expect(v3.langfuse.salt).toEqual(ref("salt"));
  });

  it("leaves the image to the chart and sets no v4 setting unless a v3 tag is pinned", () => {
    expect(v3.langfuse.image).toBeUndefined();
    expect(v3.langfuse.additionalEnv).toEqual(bootstrapEnv(dev, "langfuse-bootstrap"));
    const pinned = chartValues(settings({ chartVersion: "1.5.9", langfuseVersion: "3.124.1" }), platformProfile("kind"), refs);
    expect(pinned.langfuse.image).toEqual({ tag: "3.124.1" });
  });

  it("sizes ClickHouse for a laptop with one replica and one ZooKeeper, and leaves volume sizes to the chart", () => {
    expect(v3.clickhouse.replicaCount).toBe(1);
    expect(v3.clickhouse.zookeeper.replicaCount).toBe(1);
    expect(v3.clickhouse.resources.requests).toEqual({ cpu: "250m", memory: "1Gi" });
    expect(leafPaths(v3).filter((p) => /storage|persistence|size/i.test(p))).toEqual([]);
  });

  it("lets the Bitnami stores drop their fixed UIDs on OpenShift", () => {
    const values = chartValues(settings({ chartVersion: "1.5.41" }), platformProfile("openshift"), refs);
    expect(values.langfuse.ingress).toBeUndefined();
    expect(values.global).toEqual({ compatibility: { openshift: { adaptSecurityContext: "force" } } });
  });

  it.each(["1.5.41", "1.5.9"])("sets on chart %s only paths its own values.yaml has, outside the Bitnami allow-list", (version) => {
    const values = chartValues(settings({ chartVersion: version }), platformProfile("kind"), refs);
    const unknown = leafPaths(values).filter((p) => !chartHasPath(reference(version), p));
    expect(unknown.sort()).toEqual(
      [
        "clickhouse.networkPolicy.enabled",
        "clickhouse.resources.limits.memory",
        "clickhouse.resources.requests.cpu",
        "clickhouse.resources.requests.memory",
        "clickhouse.zookeeper.networkPolicy.enabled",
        "clickhouse.zookeeper.replicaCount",
        "clickhouse.zookeeper.resources.limits.memory",
        "clickhouse.zookeeper.resources.requests.cpu",
        "clickhouse.zookeeper.resources.requests.memory",
        "postgresql.primary.networkPolicy.enabled",
        "postgresql.primary.resources.limits.memory",
        "postgresql.primary.resources.requests.cpu",
        "postgresql.primary.resources.requests.memory",
        "redis.networkPolicy.enabled",
        "redis.primary.resources.limits.memory",
        "redis.primary.resources.requests.cpu",
        "redis.primary.resources.requests.memory",
        "s3.networkPolicy.enabled",
        "s3.resources.limits.memory",
        "s3.resources.requests.cpu",
        "s3.resources.requests.memory",
        ...(version === "1.5.9" ? ["postgresql.auth.secretKeys.adminPasswordKey"] : []),
      ].sort(),
    );
    expect(unknown.every((p) => SUBCHART_ALLOW_LIST[1].some((e) => p === e.prefix || p.startsWith(`${e.prefix}.`)))).toBe(true);
  });
});

describe("store Secrets", () => {
  const credentials = { postgresPassword: "Pg0pass", redisPassword: "Rd0pass", s3User: "s3user", s3Password: "S30pass" };

  it("adds none on chart 1.5.x, whose Bitnami stores read the internal Secret by key name", () => {
    expect(storeSecrets("1.5.x")).toEqual([]);
  });

  it("derives each chart 2.x store Secret from the internal values, in the shape its subchart reads", () => {
    const data = Object.fromEntries(storeSecrets("2.x").map((s) => [s.name, s.data(credentials)]));
    expect(data).toEqual({
      "langfuse-internal-postgresql": {
        POSTGRES_USER: "postgres",
        POSTGRES_PASSWORD: "Pg0pass",
        POSTGRES_DB: "langfuse",
        USERDB_USER: "langfuse",
        USERDB_PASSWORD: "Pg0pass",
      },
      "langfuse-internal-redis": { default: "Rd0pass" },
      "langfuse-internal-s3": { seaweedfs_s3_config: seaweedfsS3Config("s3user", "S30pass") },
    });
    for (const spec of storeSecrets("2.x")) expect(Object.keys(spec.data(credentials))).toEqual(spec.keys);
    expect(JSON.parse(data["langfuse-internal-s3"].seaweedfs_s3_config)).toEqual({
      identities: [{ name: "s3user", credentials: [{ accessKey: "s3user", secretKey: "S30pass" }], actions: ["Admin", "Read", "Write", "List", "Tagging"] }],
    });
  });

  it("names in the chart values the same PostgreSQL user and database and Valkey user that the store Secrets create", () => {
    const [pg, redis] = storeSecrets("2.x").map((s) => s.data(credentials));
    expect([v4.postgresql.auth.username, v4.postgresql.auth.database]).toEqual([pg.USERDB_USER, pg.POSTGRES_DB]);
    expect(Object.keys(redis)).toEqual([v4.redis.auth.username]);
  });
});

describe("cluster prerequisites", () => {
  it("installs cert-manager, then the ClickHouse operator, each pinned in its own namespace, for chart 2.x", () => {
    expect(prerequisiteReleases(dev)).toEqual([
      {
        name: "cert-manager",
        namespace: "cert-manager",
        chart: "oci://quay.io/jetstack/charts/cert-manager",
        version: "v1.20.2",
        values: { crds: { enabled: true, keep: true } },
        timeoutSeconds: 300,
      },
      {
        name: "clickhouse-operator",
        namespace: "clickhouse-operator",
        chart: "oci://ghcr.io/clickhouse/clickhouse-operator-helm",
        version: "0.0.5",
        values: { certManager: { install: false } },
        timeoutSeconds: 300,
      },
    ]);
  });

  it("leaves a cluster's own cert-manager or operator alone", () => {
    expect(prerequisiteReleases(settings({ installCertManager: "false" })).map((r) => r.name)).toEqual(["clickhouse-operator"]);
    expect(prerequisiteReleases(settings({ installClickhouseOperator: "false" })).map((r) => r.name)).toEqual(["cert-manager"]);
    expect(prerequisiteReleases(settings({ certManagerVersion: "v1.20.3", clickhouseOperatorVersion: "0.0.6" })).map((r) => r.version)).toEqual([
      "v1.20.3", "0.0.6",
    ]);
  });

  it("needs neither on chart 1.5.x, which bundles its own ClickHouse", () => {
    expect(prerequisiteReleases(settings({ chartVersion: "1.5.41" }))).toEqual([]);
  });
});

describe("headless bootstrap", () => {
  it("passes names literally and the key pair, password and email (which may be a secret setting) by reference", () => {
    expect(bootstrapEnv(dev, "langfuse-bootstrap")).toEqual([
      { name: "LANGFUSE_INIT_ORG_ID", value: "ambient-code" },
      { name: "LANGFUSE_INIT_ORG_NAME", value: "ambient-code" },
      { name: "LANGFUSE_INIT_PROJECT_ID", value: "ambient-code-platform" },
      { name: "LANGFUSE_INIT_PROJECT_NAME", value: "ambient-code-platform" },
      { name: "LANGFUSE_INIT_PROJECT_PUBLIC_KEY", valueFrom: { secretKeyRef: { name: "langfuse-bootstrap", key: "public-key" } } },
      { name: "LANGFUSE_INIT_PROJECT_SECRET_KEY", valueFrom: { secretKeyRef: { name: "langfuse-bootstrap", key: "secret-key" } } },
      { name: "LANGFUSE_INIT_USER_EMAIL", valueFrom: { secretKeyRef: { name: "langfuse-bootstrap", key: "admin-email" } } },
      { name: "LANGFUSE_INIT_USER_NAME", value: "Langfuse admin" },
      { name: "LANGFUSE_INIT_USER_PASSWORD", valueFrom: { secretKeyRef: { name: "langfuse-bootstrap", key: "admin-password" } } },
    ]);
  });

  it("derives readable, stable ids from the configured names", () => {
    expect(bootstrapIds({ ...dev, organizationName: "Red Hat AI", projectName: "ACP / Staging" })).toEqual({
      organizationId: "red-hat-ai",
      projectId: "acp-staging",
    });
  });
});

describe("names", () => {
  it("derives the external URL and the in-cluster web service URL", () => {
    expect(externalUrl("langfuse.local", "http")).toBe("http://langfuse.local");
    expect(externalUrl("langfuse.apps.rosa.example.com", "https")).toBe("https://langfuse.apps.rosa.example.com");
    expect(internalWebUrl("observability")).toBe("http://langfuse-web.observability.svc.cluster.local:3000");
  });
});
