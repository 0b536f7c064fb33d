// The platform profile, the production sizing and the managed stores, as pure functions: the
// values each chart line receives, checked against that chart version's own values.yaml, and the
// OpenShift Route, shape-tested against the Route API (kubernetes-models has no such kind).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseSettings } from "../infra/config";
import { hasDisruptionBudgets } from "../infra/langfuse/chartLine";
import { chartValues } from "../infra/langfuse/chartValues";
import { forcePathStyle, managedStoreCredentials } from "../infra/langfuse/managedStoreValues";
import { routeManifest } from "../infra/langfuse/route";
import { LAPTOP_SIZING, PRODUCTION_SIZING, sizingFor } from "../infra/langfuse/sizing";
import { storeSecrets } from "../infra/langfuse/storeSecrets";
import { platformProfile } from "../infra/platform";
import { chartHasPath, leafPaths } from "../infra/policies/chartValuePathsExist";
import { isAllowListed } from "../infra/policies/subchartAllowList";
import { walkObjects } from "../infra/policies/secretLike";

const refs = {
  internalSecretName: "langfuse-internal",
  bootstrapSecretName: "langfuse-bootstrap",
  enterpriseSecretName: "langfuse-enterprise",
  storeSecretNames: { postgresql: "langfuse-internal-postgresql", redis: "langfuse-internal-redis", s3: "langfuse-internal-s3" },
};
const REFERENCE = path.resolve(__dirname, "..", "..", "shared", "reference");
const parsed = new Map<string, any>();
const reference = (version: string) => {
  if (!parsed.has(version)) parsed.set(version, parse(readFileSync(path.join(REFERENCE, `langfuse-chart-${version}.values.yaml`), "utf8")));
  return parsed.get(version);
};
const ref = (key: string) => ({ secretKeyRef: { name: "langfuse-internal", key } });
const V3 = { "1.5.41": "3.224.1", "1.5.9": "3.124.1", "2.0.0": "4.16.0" } as const;
const VERSIONS = Object.keys(V3) as (keyof typeof V3)[];

/** Settings as a stack file gives them; the credentials come as secret settings. */
const POSTGRES = { host: "langfuse.cluster-c1.us-east-1.rds.amazonaws.com", port: 5432, database: "langfuse", user: "langfuse", sslMode: "require", password: "Pg0Managed0Password" };
const REDIS = { host: "master.langfuse.a1b2c3.use1.cache.amazonaws.com", port: 6379, tls: true, password: "Redis0Managed0Token" };
const S3_ROLE = { bucket: "ambient-langfuse-prod", region: "us-east-1", serviceAccountRoleArn: "arn:aws:iam::123456789012:role/ambient-langfuse-s3" };
const S3_KEYS = { bucket: "ambient-langfuse-prod", region: "us-east-1", accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };

function settings(raw: Record<string, unknown> = {}) {
  const text = Object.fromEntries(Object.entries({ adminEmail: "admin@ambient-code.local", ...raw }).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  return parseSettings(text, new Set(["externalPostgres", "externalRedis", "externalS3"].filter((k) => k in raw)));
}
const onChart = (version: keyof typeof V3, raw: Record<string, unknown> = {}) => settings({ chartVersion: version, langfuseVersion: V3[version], ...raw });

/** Every leaf path we set that the chart version's values.yaml lacks and its allow-list does not name. */
const unknownPaths = (version: string, values: Record<string, unknown>) =>
  leafPaths(values).filter((p) => !chartHasPath(reference(version), p) && !isAllowListed(Number(version.split(".")[0]), p));

/** Every runAsUser / runAsGroup / fsGroup we set to a number, by path. */
const fixedIds = (values: unknown) => {
  const found: string[] = [];
  walkObjects(values, (obj, at) => {
    for (const field of ["runAsUser", "runAsGroup", "fsGroup"]) if (typeof obj[field] === "number") found.push(`${at}.${field}`);
  });
  return found;
};

describe("the platform profile", () => {
  it("exposes kind through the chart's Ingress over plain HTTP, with the UIDs the charts choose", () => {
    expect(platformProfile("kind")).toEqual({ exposure: "ingress", scheme: "http", assignsUids: false });
  });

  it("exposes OpenShift through a Route over HTTPS, leaving every UID to the platform", () => {
    expect(platformProfile("openshift")).toEqual({ exposure: "route", scheme: "https", assignsUids: true });
  });

  it("gives kind an Ingress of the configured class and NextAuth an http:// URL, with every store bundled", () => {
    const values = chartValues(settings({ ingressClassName: "traefik" }), platformProfile("kind"), refs);
    expect(values.langfuse.ingress).toEqual({ enabled: true, className: "traefik", hosts: [{ host: "langfuse.local", paths: [{ path: "/", pathType: "Prefix" }] }] });
    expect(values.langfuse.nextauth.url).toBe("http://langfuse.local");
    expect(["postgresql", "redis", "clickhouse", "s3"].map((s) => values[s].deploy)).toEqual([undefined, undefined, undefined, undefined]);
    expect(values.langfuse.podSecurityContext).toBeUndefined();
  });

  it("gives OpenShift no Ingress and NextAuth the https:// URL the Route serves", () => {
    const values = chartValues(settings({ hostname: "langfuse.apps.rosa.example.com" }), platformProfile("openshift"), refs);
    expect(values.langfuse.ingress).toBeUndefined();
    expect(values.langfuse.nextauth.url).toBe("https://langfuse.apps.rosa.example.com");
    expect(values.langfuse.podSecurityContext).toEqual({ seccompProfile: { type: "RuntimeDefault" } });
    expect(values.langfuse.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
  });

  it("on chart 2.x deletes the UIDs PostgreSQL (999) and Valkey (1000) fix by default, on OpenShift only", () => {
    const defaults = reference("2.0.0");
    expect([defaults.postgresql.podSecurityContext.fsGroup, defaults.postgresql.securityContext.runAsUser, defaults.redis.podSecurityContext.runAsUser]).toEqual([999, 999, 1000]);
    const openshift = chartValues(settings(), platformProfile("openshift"), refs);
    expect(openshift.postgresql.podSecurityContext).toEqual({ fsGroup: null });
    expect(openshift.postgresql.securityContext).toEqual({ runAsUser: null, runAsGroup: null });
    expect(openshift.redis.podSecurityContext).toEqual({ fsGroup: null, runAsUser: null, runAsGroup: null });
    expect(openshift.redis.securityContext).toEqual({ runAsUser: null });
    expect(fixedIds(openshift)).toEqual([]);
    const kind = chartValues(settings(), platformProfile("kind"), refs);
    expect([kind.postgresql.podSecurityContext, kind.redis.podSecurityContext, kind.redis.securityContext]).toEqual([undefined, undefined, undefined]);
  });

  it.each(["1.5.41", "1.5.9"] as const)("on chart %s lets the Bitnami stores drop their UIDs (force) and fixes none itself", (version) => {
    const values = chartValues(onChart(version), platformProfile("openshift"), refs);
    expect(values.global).toEqual({ compatibility: { openshift: { adaptSecurityContext: "force" } } });
    expect(fixedIds(values)).toEqual([]);
    expect(unknownPaths(version, values)).toEqual([]);
  });

  it("puts every volume on the configured storage class, on both chart lines", () => {
    const v4 = chartValues(settings({ storageClassName: "gp3-csi" }), platformProfile("openshift"), refs);
    expect([
      v4.postgresql.storage.className,
      v4.redis.dataStorage.className,
      v4.s3.allInOne.data.storageClass,
      v4.clickhouse.cluster.storage.className,
      v4.clickhouse.keeper.storage.className,
    ]).toEqual(["gp3-csi", "gp3-csi", "gp3-csi", "gp3-csi", "gp3-csi"]);
    expect(unknownPaths("2.0.0", v4)).toEqual([]);
    const v3 = chartValues(onChart("1.5.41", { storageClassName: "gp3-csi" }), platformProfile("openshift"), refs);
    expect(v3.global.defaultStorageClass).toBe("gp3-csi");
    expect(unknownPaths("1.5.41", v3)).toEqual([]);
    expect(chartValues(settings(), platformProfile("kind"), refs).postgresql.storage).toEqual({ requestedSize: "5Gi" });
  });
});

describe("the OpenShift Route (route.openshift.io/v1, which kubernetes-models lacks)", () => {
  const route = routeManifest({
    name: "langfuse",
    namespace: "langfuse",
    host: "langfuse.apps.rosa.example.com",
    serviceName: "langfuse-web",
    targetPort: "http",
    labels: { "app.kubernetes.io/managed-by": "pulumi" },
  });

  // The Route API's schema as far as this program sets it (openshift/api route/v1): field names,
  // required fields, enumerations and the host pattern. An unknown field is pruned by the API
  // server without a word, so it is a failure here.
  const HOST = /^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]{0,61}[a-zA-Z0-9])(\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]{0,61}[a-zA-Z0-9]))*$/;
  const SPEC_FIELDS = ["host", "subdomain", "path", "to", "alternateBackends", "port", "tls", "wildcardPolicy", "httpHeaders"];
  const TLS_FIELDS = ["termination", "certificate", "key", "caCertificate", "destinationCACertificate", "insecureEdgeTerminationPolicy", "externalCertificate"];

  it("is a Route of the route.openshift.io/v1 API with only fields that API has", () => {
    expect(Object.keys(route).sort()).toEqual(["apiVersion", "kind", "metadata", "spec"]);
    expect([route.apiVersion, route.kind]).toEqual(["route.openshift.io/v1", "Route"]);
    expect(Object.keys(route.spec).every((f) => SPEC_FIELDS.includes(f))).toBe(true);
    expect(Object.keys(route.spec.tls).every((f) => TLS_FIELDS.includes(f))).toBe(true);
    expect(Object.keys(route.spec.to).sort()).toEqual(["kind", "name", "weight"]);
    expect(Object.keys(route.spec.port)).toEqual(["targetPort"]);
  });

  it("sends users to the chart's web Service on its named port, with edge TLS and plain HTTP redirected", () => {
    expect(route.spec).toEqual({
      host: "langfuse.apps.rosa.example.com",
      to: { kind: "Service", name: "langfuse-web", weight: 100 },
      port: { targetPort: "http" },
      tls: { termination: "edge", insecureEdgeTerminationPolicy: "Redirect" },
      wildcardPolicy: "None",
    });
    expect(route.metadata).toEqual({ name: "langfuse", namespace: "langfuse", labels: { "app.kubernetes.io/managed-by": "pulumi" } });
  });

  it("holds to the API's required fields, enumerations and host pattern", () => {
    expect(route.spec.to.kind).toBe("Service");
    expect(["edge", "reencrypt", "passthrough"]).toContain(route.spec.tls.termination);
    expect(["Allow", "None", "Redirect", ""]).toContain(route.spec.tls.insecureEdgeTerminationPolicy);
    expect(["None", "Subdomain", ""]).toContain(route.spec.wildcardPolicy);
    expect(route.spec.host).toMatch(HOST);
    expect(route.spec.host.length).toBeLessThanOrEqual(253);
    expect(Number.isInteger(route.spec.to.weight) && route.spec.to.weight >= 0 && route.spec.to.weight <= 256).toBe(true);
    // The API refuses passthrough with Allow, and a certificate beside an external one: neither is set here.
    expect([route.spec.tls.termination, route.spec.tls.insecureEdgeTerminationPolicy]).toEqual(["edge", "Redirect"]);
  });
});

describe("the production switch", () => {
  it("sizes production with two web and worker pods, three ClickHouse replicas and three keepers; one of each outside", () => {
    expect(sizingFor(true)).toBe(PRODUCTION_SIZING);
    expect(sizingFor(false)).toBe(LAPTOP_SIZING);
    const of = (s: typeof LAPTOP_SIZING) => [s.web.replicas, s.worker.replicas, s.clickhouse.replicas, s.keeper.replicas, s.disruptionBudgets, s.spreadWeb];
    expect(of(PRODUCTION_SIZING)).toEqual([2, 2, 3, 3, true, true]);
    expect(of(LAPTOP_SIZING)).toEqual([1, 1, 1, 1, false, false]);
  });

  it("knows which chart versions render disruption budgets, as their own values.yaml says", () => {
    for (const version of VERSIONS) {
      expect(hasDisruptionBudgets(version), version).toBe(reference(version).langfuse.web.pdb !== undefined);
    }
    expect([hasDisruptionBudgets("1.5.26"), hasDisruptionBudgets("1.5.27"), hasDisruptionBudgets("2.3.0")]).toEqual([false, true, true]);
  });

  it("on chart 2.x runs two of each with budgets, web spread over zones and nodes, and ClickHouse three times over", () => {
    const values = chartValues(settings(), platformProfile("openshift"), refs, PRODUCTION_SIZING);
    for (const component of ["web", "worker"]) {
      expect(values.langfuse[component].replicas, component).toBe(2);
      expect(values.langfuse[component].pdb, component).toEqual({ create: true, maxUnavailable: 1 });
      expect(values.langfuse[component].resources, component).toEqual({ requests: { cpu: "1", memory: "2Gi" }, limits: { memory: "4Gi" } });
    }
    const selector = { matchLabels: { "app.kubernetes.io/name": "langfuse", "app.kubernetes.io/instance": "langfuse", app: "web" } };
    expect(values.langfuse.web.pod.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: selector },
      { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: selector },
    ]);
    expect(values.langfuse.worker.pod).toBeUndefined();
    expect([values.clickhouse.cluster.replicas, values.clickhouse.keeper.replicas]).toEqual([3, 3]);
    // Every pod we size has requests and a memory limit.
    for (const r of [values.postgresql.resources, values.redis.resources, values.clickhouse.cluster.resources, values.clickhouse.keeper.resources, values.s3.allInOne.resources]) {
      expect(Object.keys(r.requests).sort()).toEqual(["cpu", "memory"]);
      expect(Object.keys(r.limits)).toEqual(["memory"]);
    }
    expect(unknownPaths("2.0.0", values)).toEqual([]);
  });

  it("on chart 1.5.x runs three ClickHouse replicas with three ZooKeepers, and budgets only where the chart has them (not 1.5.9)", () => {
    const v41 = chartValues(onChart("1.5.41"), platformProfile("openshift"), refs, PRODUCTION_SIZING);
    const v9 = chartValues(onChart("1.5.9"), platformProfile("openshift"), refs, PRODUCTION_SIZING);
    expect([v41.clickhouse.replicaCount, v41.clickhouse.zookeeper.replicaCount, v9.clickhouse.replicaCount, v9.clickhouse.zookeeper.replicaCount]).toEqual([3, 3, 3, 3]);
    expect(v41.langfuse.web.pdb).toEqual({ create: true, maxUnavailable: 1 });
    expect([v9.langfuse.web.pdb, v9.langfuse.worker.pdb]).toEqual([undefined, undefined]);
    expect([v41.langfuse.web.replicas, v9.langfuse.worker.replicas]).toEqual([2, 2]);
    expect(unknownPaths("1.5.41", v41)).toEqual([]);
    expect(unknownPaths("1.5.9", v9)).toEqual([]);
  });

  it("outside production runs one web and one worker pod, without budgets or spread of its own", () => {
    const values = chartValues(settings(), platformProfile("kind"), refs);
    expect([values.langfuse.web.replicas, values.langfuse.worker.replicas]).toEqual([1, 1]);
    expect([values.langfuse.web.pdb, values.langfuse.web.pod, values.clickhouse.cluster.replicas]).toEqual([undefined, undefined, 1]);
  });
});

describe("managed stores, each on its own", () => {
  it.each(VERSIONS)("on chart %s, a managed PostgreSQL turns the bundled one off and is read by reference, the port in the host", (version) => {
    const values = chartValues(onChart(version, { externalPostgres: POSTGRES }), platformProfile("openshift"), refs);
    expect(values.postgresql).toEqual({
      deploy: false,
      host: "langfuse.cluster-c1.us-east-1.rds.amazonaws.com:5432",
      args: "sslmode=require",
      auth: { username: "langfuse", database: "langfuse", existingSecret: "langfuse-internal", secretKeys: { userPasswordKey: "postgres-password" } },
    });
    // The other stores stay bundled.
    expect([values.redis.deploy, values.s3.deploy]).toEqual([undefined, undefined]);
    expect(unknownPaths(version, values)).toEqual([]);
    expect(JSON.stringify(values)).not.toContain(POSTGRES.password);
  });

  it.each(VERSIONS)("on chart %s, a managed Redis turns the bundled Valkey off, with TLS, read by reference", (version) => {
    const values = chartValues(onChart(version, { externalRedis: REDIS }), platformProfile("openshift"), refs);
    expect(values.redis).toEqual({
      deploy: false,
      host: "master.langfuse.a1b2c3.use1.cache.amazonaws.com",
      port: 6379,
      tls: { enabled: true },
      auth: { existingSecret: "langfuse-internal", existingSecretPasswordKey: "redis-password" },
    });
    expect([values.postgresql.deploy, values.s3.deploy]).toEqual([undefined, undefined]);
    expect(unknownPaths(version, values)).toEqual([]);
    expect(JSON.stringify(values)).not.toContain(REDIS.password);
  });

  it.each(VERSIONS)("on chart %s, a managed S3 with a role has no keys, and the chart's service account carries the role", (version) => {
    const values = chartValues(onChart(version, { externalS3: S3_ROLE }), platformProfile("openshift"), refs);
    expect(values.s3).toEqual({ deploy: false, bucket: "ambient-langfuse-prod", region: "us-east-1", forcePathStyle: false });
    expect(values.langfuse.serviceAccount).toEqual({ annotations: { "eks.amazonaws.com/role-arn": S3_ROLE.serviceAccountRoleArn } });
    expect(unknownPaths(version, values)).toEqual([]);
  });

  it.each(VERSIONS)("on chart %s, a managed S3 with keys reads both from the internal Secret", (version) => {
    const values = chartValues(onChart(version, { externalS3: { ...S3_KEYS, endpoint: "https://s3.us-east-1.amazonaws.com" } }), platformProfile("openshift"), refs);
    expect(values.s3).toEqual({
      deploy: false,
      bucket: "ambient-langfuse-prod",
      region: "us-east-1",
      endpoint: "https://s3.us-east-1.amazonaws.com",
      forcePathStyle: false,
      accessKeyId: ref("s3-user"),
      secretAccessKey: ref("s3-password"),
    });
    expect(values.langfuse.serviceAccount).toBeUndefined();
    expect(unknownPaths(version, values)).toEqual([]);
    expect(JSON.stringify(values)).not.toContain(S3_KEYS.secretAccessKey);
  });

  it("asks S3-compatible stores for path-style requests, AWS for virtual-hosted ones", () => {
    expect([
      forcePathStyle(undefined),
      forcePathStyle("https://s3.us-east-1.amazonaws.com"),
      forcePathStyle("https://s3.cn-north-1.amazonaws.com.cn"),
      forcePathStyle("https://s3-openshift-storage.apps.rosa.example.com"),
      forcePathStyle("http://minio.storage.svc:9000"),
    ]).toEqual([false, false, false, true, true]);
  });

  it("puts the managed credentials in the internal Secret under the bundled stores' keys, and keeps no S3 key with a role", () => {
    const stores = settings({ externalPostgres: POSTGRES, externalRedis: REDIS, externalS3: S3_KEYS }).externalStores;
    expect(managedStoreCredentials(stores)).toEqual({
      values: { postgresPassword: POSTGRES.password, redisPassword: REDIS.password, s3User: S3_KEYS.accessKeyId, s3Password: S3_KEYS.secretAccessKey },
      omitted: [],
    });
    expect(managedStoreCredentials(settings({ externalS3: S3_ROLE }).externalStores)).toEqual({ values: {}, omitted: ["s3User", "s3Password"] });
    expect(managedStoreCredentials({})).toEqual({ values: {}, omitted: [] });
  });

  it("gives chart 2.x's bundled stores their Secrets, and a managed store none", () => {
    const names = (stores: object) => storeSecrets("2.x", stores).map((s) => s.store);
    expect(names({})).toEqual(["postgresql", "redis", "s3"]);
    const { externalStores } = settings({ externalPostgres: POSTGRES, externalS3: S3_ROLE });
    expect(names(externalStores)).toEqual(["redis"]);
    expect(storeSecrets("1.5.x", externalStores)).toEqual([]);
  });

  it("with all three managed, ClickHouse alone stays in the cluster, sized for production", () => {
    const values = chartValues(
      settings({ externalPostgres: POSTGRES, externalRedis: REDIS, externalS3: S3_ROLE, storageClassName: "gp3-csi" }),
      platformProfile("openshift"),
      refs,
      PRODUCTION_SIZING,
    );
    expect(["postgresql", "redis", "s3"].map((s) => values[s].deploy)).toEqual([false, false, false]);
    expect(values.clickhouse.deploy).toBeUndefined();
    expect(values.clickhouse.cluster).toEqual({ replicas: 3, resources: PRODUCTION_SIZING.clickhouse.resources, storage: { size: "100Gi", className: "gp3-csi" } });
    expect(fixedIds(values)).toEqual([]);
    expect(unknownPaths("2.0.0", values)).toEqual([]);
  });
});
