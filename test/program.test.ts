import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../infra/config";
import {
  POLICIES,
  type PlannedResource,
  type Policy,
  type PolicyContext,
  referenceContext,
  runPolicies,
} from "../infra/policies";
import { chartSecretsPinned } from "../infra/policies/chartSecretsPinned";
import { chartValuePathsExist } from "../infra/policies/chartValuePathsExist";
import { dns1123Names } from "../infra/policies/dns1123Names";
import { exactChartVersion } from "../infra/policies/exactChartVersion";
import { kubernetesSchema } from "../infra/policies/kubernetesSchema";
import { noLiteralSecrets } from "../infra/policies/noLiteralSecrets";
import { releasesInOrder } from "../infra/policies/releasesInOrder";
import { chartSecretRefs, secretRefsResolve } from "../infra/policies/secretRefsResolve";
import { secretsAreSecret } from "../infra/policies/secretsAreSecret";
import { type Rendering, renderStack } from "../infra/render/mockHarness";
import { writePlan } from "../infra/render/planWriter";
import { REPO_ROOT, listStacks, loadStackConfig } from "../infra/render/stackConfig";
import { filesUnder } from "./planRuns";

const run = promisify(execFile);
const ctx = referenceContext();
const byKey = (r: Rendering, type: string, name: string) => {
  const found = r.resources.find((x) => x.type === type && x.name === name);
  if (!found) throw new Error(`no ${type}::${name}`);
  return found;
};
const RELEASE = "kubernetes:helm.sh/v3:Release";
const SECRET = "kubernetes:core/v1:Secret";
const INTERNAL_KEYS = ["clickhouse-password", "encryption-key", "nextauth-secret", "postgres-password", "redis-password", "s3-password", "s3-user", "salt"];
const unwrap = (v: any) => (v && v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig ? v.value : v);
const NO_OPTIONS = { protect: false, retainOnDelete: false, ignoreChanges: [], dependsOn: [] };
const override = (settings: Record<string, unknown>) =>
  loadStackConfig("dev", REPO_ROOT, Object.fromEntries(Object.entries(settings).map(([k, v]) => [`ambient-langfuse:${k}`, v])));

let dev: Rendering;
beforeAll(async () => {
  dev = await renderStack("dev", loadStackConfig("dev"));
});

describe("the whole program, for every stack file present", () => {
  it.each(listStacks())("renders stack %s with every policy run and passing", async (stack) => {
    const rendering = await renderStack(stack, loadStackConfig(stack));
    const { runs, violations } = runPolicies(rendering.resources, ctx);
    expect(violations).toEqual([]);
    expect(runs.map((r) => r.status)).toEqual(POLICIES.map(() => "passed"));
  });

  it.each([
    ["1.5.41", "3.224.1"],
    ["1.5.9", "3.124.1"],
  ])("renders chart %s (Langfuse v3) with every policy passing, its paths checked against its own values.yaml", async (version, v3) => {
    const rendering = await renderStack("dev", override({ chartVersion: version, langfuseVersion: v3 }));
    const release = byKey(rendering, RELEASE, "langfuse");
    expect([release.inputs.version, release.inputs.values.langfuse.image.tag]).toEqual([version, v3]);
    // No cert-manager, no operator, no store Secrets: chart 1.5.x bundles its stores and reads langfuse-internal.
    expect(rendering.resources.filter((r) => r.type === RELEASE).map((r) => r.name)).toEqual(["langfuse"]);
    expect(rendering.resources.filter((r) => r.type === SECRET && r.inputs.metadata.namespace === "langfuse").map((r) => r.inputs.metadata.name)).toEqual([
      "langfuse-internal",
      "langfuse-bootstrap",
    ]);
    expect(chartValuePathsExist.check(rendering.resources, ctx)).toEqual({ violations: [] });
    const { runs, violations } = runPolicies(rendering.resources, ctx);
    expect(violations).toEqual([]);
    expect(runs.map((r) => r.status)).toEqual(POLICIES.map(() => "passed"));
  });

  it("runs infra/index.ts itself, the entry point `pulumi up` loads", async () => {
    const rendering = await renderStack("dev", loadStackConfig("dev"), async () => ({ ...(await import("../infra/index")) }));
    expect(Object.keys(rendering.outputs).sort()).toEqual(["adminEmail", "adminPassword", "externalUrl", "internalUrl", "projects", "publicKey", "secretKey"]);
    expect(rendering.resources.map((r) => `${r.type}::${r.name}`)).toEqual(dev.resources.map((r) => `${r.type}::${r.name}`));
  });
});

describe("the dev stack's resources", () => {
  it("registers cert-manager, the operator, the namespace, the random values, the Secrets, the NetworkPolicies and the release, in order, with their parents", () => {
    const INTERNAL = "ambient-langfuse:langfuse:InternalSecrets::internal";
    const PREREQ = "ambient-langfuse:cluster:PrerequisiteRelease";
    const FENCE = "ambient-langfuse:network:LangfuseNetworkPolicies::langfuse";
    expect(dev.resources.slice(0, 35).map((r) => [r.type, r.name, r.parent])).toEqual([
      [PREREQ, "cert-manager", null],
      ["kubernetes:core/v1:Namespace", "cert-manager", `${PREREQ}::cert-manager`],
      [RELEASE, "cert-manager", `${PREREQ}::cert-manager`],
      [PREREQ, "clickhouse-operator", null],
      ["kubernetes:core/v1:Namespace", "clickhouse-operator", `${PREREQ}::clickhouse-operator`],
      [RELEASE, "clickhouse-operator", `${PREREQ}::clickhouse-operator`],
      ["kubernetes:core/v1:Namespace", "langfuse", null],
      ["ambient-langfuse:langfuse:InternalSecrets", "internal", null],
      ...["encryptionKey", "salt", "nextauthSecret"].map((k) => ["random:index/randomBytes:RandomBytes", `internal-${k}`, INTERNAL]),
      ...["postgresPassword", "clickhousePassword", "redisPassword"].map((k) => ["random:index/randomPassword:RandomPassword", `internal-${k}`, INTERNAL]),
      ["random:index/randomString:RandomString", "internal-s3User", INTERNAL],
      ["random:index/randomPassword:RandomPassword", "internal-s3Password", INTERNAL],
      [SECRET, "internal", INTERNAL],
      ...["postgresql", "redis", "s3"].map((store) => [SECRET, `internal-${store}`, INTERNAL]),
      ["ambient-langfuse:langfuse:BootstrapCredentials", "bootstrap", null],
      ["random:index/randomUuid:RandomUuid", "bootstrap-publicKey", "ambient-langfuse:langfuse:BootstrapCredentials::bootstrap"],
      ["random:index/randomUuid:RandomUuid", "bootstrap-secretKey", "ambient-langfuse:langfuse:BootstrapCredentials::bootstrap"],
      ["random:index/randomPassword:RandomPassword", "bootstrap-adminPassword", "ambient-langfuse:langfuse:BootstrapCredentials::bootstrap"],
      [SECRET, "bootstrap", "ambient-langfuse:langfuse:BootstrapCredentials::bootstrap"],
      ["ambient-langfuse:network:LangfuseNetworkPolicies", "langfuse", null],
      ...["default-deny-ingress", "web", "postgresql", "redis", "s3", "clickhouse", "clickhouse-keeper"].map((n) => [
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        `langfuse-${n}`,
        FENCE,
      ]),
      ["ambient-langfuse:langfuse:LangfuseRelease", "langfuse", null],
      [RELEASE, "langfuse", "ambient-langfuse:langfuse:LangfuseRelease::langfuse"],
    ]);
  });

  it("chains the releases by dependsOn: cert-manager, then the ClickHouse operator, then Langfuse 4.16.0 on chart 2.0.0", () => {
    const releases = dev.resources.filter((r) => r.type === RELEASE);
    expect(releases.map((r) => [r.inputs.name, r.inputs.namespace, r.inputs.chart, r.inputs.version, r.options.dependsOn])).toEqual([
      ["cert-manager", "cert-manager", "oci://quay.io/jetstack/charts/cert-manager", "v1.20.2", []],
      ["clickhouse-operator", "clickhouse-operator", "oci://ghcr.io/clickhouse/clickhouse-operator-helm", "0.0.5", [`${RELEASE}::cert-manager`]],
      [
        "langfuse",
        "langfuse",
        "langfuse",
        "2.0.0",
        [
          "ambient-langfuse:langfuse:InternalSecrets::internal",
          "ambient-langfuse:langfuse:BootstrapCredentials::bootstrap",
          "ambient-langfuse:network:LangfuseNetworkPolicies::langfuse",
          `${RELEASE}::clickhouse-operator`,
        ],
      ],
    ]);
    expect(byKey(dev, RELEASE, "langfuse").inputs.values.langfuse.image).toEqual({ tag: "4.16.0" });
    expect(releasesInOrder.check(dev.resources, ctx)).toEqual({ violations: [] });
  });

  it("records every resource's options as the program set them", () => {
    expect(byKey(dev, "kubernetes:core/v1:Namespace", "langfuse").options).toEqual(NO_OPTIONS);
    expect(byKey(dev, "kubernetes:admissionregistration.k8s.io/v1:MutatingAdmissionPolicyBinding", "runner-pod-patch-binding").options).toEqual({
      ...NO_OPTIONS,
      dependsOn: ["kubernetes:admissionregistration.k8s.io/v1:MutatingAdmissionPolicy::runner-pod-patch-policy"],
    });
    expect(dev.resources.every((r) => Array.isArray(r.options.ignoreChanges) && Array.isArray(r.options.dependsOn))).toBe(true);
  });

  it("installs only what the cluster lacks: its own cert-manager or operator stay untouched", async () => {
    const ownCertManager = await renderStack("dev", override({ installCertManager: false }));
    expect(ownCertManager.resources.filter((r) => r.type === RELEASE).map((r) => [r.name, r.options.dependsOn.filter((d) => d.startsWith(RELEASE))])).toEqual([
      ["clickhouse-operator", []],
      ["langfuse", [`${RELEASE}::clickhouse-operator`]],
    ]);
    const ownBoth = await renderStack("dev", override({ installCertManager: false, installClickhouseOperator: false }));
    expect(ownBoth.resources.filter((r) => r.type === RELEASE).map((r) => r.name)).toEqual(["langfuse"]);
    expect(byKey(ownBoth, RELEASE, "langfuse").inputs.values.clickhouse.crdCheck).toBe(true);
    expect(ownBoth.resources.filter((r) => r.type === "kubernetes:core/v1:Namespace").map((r) => r.name)).not.toContain("cert-manager");
    for (const r of [ownCertManager, ownBoth]) expect(runPolicies(r.resources, ctx).violations).toEqual([]);
  });

  it("labels the Langfuse namespace as managed by this program", () => {
    expect(byKey(dev, "kubernetes:core/v1:Namespace", "langfuse").inputs.metadata).toEqual({
      name: "langfuse",
      labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "ambient-langfuse" },
    });
  });

  it("keeps every internal secret in one Secret whose key names are visible and values redacted", () => {
    const secret = byKey(dev, SECRET, "internal");
    expect(secret.inputs.metadata).toMatchObject({ name: "langfuse-internal", namespace: "langfuse" });
    expect(Object.keys(secret.inputs.stringData).sort()).toEqual(INTERNAL_KEYS);
    expect(Object.values(secret.inputs.stringData)).toEqual(INTERNAL_KEYS.map(() => "[secret]"));
    expect(secret.secretPaths).toContain("$.stringData['encryption-key']");
    expect(secret.secretPaths).toContain("$.stringData.salt");
  });

  it("generates values of the formats Langfuse needs", () => {
    const raw = unwrap(dev.rawInputs.get(`${SECRET}::internal`).stringData);
    const value = (k: string) => unwrap(raw[k]) as string;
    expect(value("encryption-key")).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(value("salt"), "base64")).toHaveLength(32);
    expect(Buffer.from(value("nextauth-secret"), "base64")).toHaveLength(32);
    for (const k of ["postgres-password", "clickhouse-password", "redis-password", "s3-password", "s3-user"]) {
      expect(value(k), k).toMatch(/^[A-Za-z0-9]{32,}$/);
    }
    const boot = unwrap(dev.rawInputs.get(`${SECRET}::bootstrap`).stringData);
    expect(unwrap(boot["public-key"])).toMatch(/^pk-lf-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(unwrap(boot["secret-key"])).toMatch(/^sk-lf-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(unwrap(boot["admin-password"])).toMatch(/^[A-Za-z0-9]{32}$/);
  });

  it("installs the chart as release langfuse at an exact version, referencing only keys that exist", () => {
    const release = byKey(dev, RELEASE, "langfuse");
    expect(release.inputs).toMatchObject({
      name: "langfuse",
      chart: "langfuse",
      version: "2.0.0",
      namespace: "langfuse",
      repositoryOpts: { repo: "https://langfuse.github.io/langfuse-k8s" },
    });
    expect(release.secretPaths).toEqual([]);
    expect(secretRefsResolve.check(dev.resources, ctx)).toEqual({ violations: [] });
  });

  it("gives each chart 2.x store a Secret of its own shape, derived from the internal values", () => {
    const keysOf = (name: string) => Object.keys(byKey(dev, SECRET, name).inputs.stringData).sort();
    expect(keysOf("internal-postgresql")).toEqual(["POSTGRES_DB", "POSTGRES_PASSWORD", "POSTGRES_USER", "USERDB_PASSWORD", "USERDB_USER"]);
    expect(keysOf("internal-redis")).toEqual(["default"]);
    expect(keysOf("internal-s3")).toEqual(["seaweedfs_s3_config"]);
    const raw = (name: string) => Object.fromEntries(Object.entries(unwrap(dev.rawInputs.get(`${SECRET}::${name}`).stringData)).map(([k, v]) => [k, unwrap(v)])) as Record<string, string>;
    const internal = raw("internal");
    expect(raw("internal-postgresql")).toEqual({
      POSTGRES_USER: "postgres",
      POSTGRES_PASSWORD: internal["postgres-password"],
      POSTGRES_DB: "langfuse",
      USERDB_USER: "langfuse",
      USERDB_PASSWORD: internal["postgres-password"],
    });
    expect(raw("internal-redis")).toEqual({ default: internal["redis-password"] });
    expect(JSON.parse(raw("internal-s3").seaweedfs_s3_config).identities[0].credentials).toEqual([
      { accessKey: internal["s3-user"], secretKey: internal["s3-password"] },
    ]);
    for (const name of ["internal-postgresql", "internal-redis", "internal-s3"]) {
      expect(byKey(dev, SECRET, name).inputs.metadata).toMatchObject({ namespace: "langfuse" });
      expect(Object.values(byKey(dev, SECRET, name).inputs.stringData).every((v) => v === "[secret]")).toBe(true);
    }
  });

  it("exports the URLs and email in plain text and the credentials only as secrets", () => {
    expect(dev.outputs.externalUrl).toEqual({ value: "http://langfuse.local", secret: false });
    expect(dev.outputs.internalUrl).toEqual({ value: "http://langfuse-web.langfuse.svc.cluster.local:3000", secret: false });
    expect(dev.outputs.adminEmail).toEqual({ value: "admin@ambient-code.local", secret: false });
    for (const k of ["adminPassword", "publicKey", "secretKey"]) expect(dev.outputs[k].secret, k).toBe(true);
    expect(dev.outputs.publicKey.value).toBe(unwrap(unwrap(dev.rawInputs.get(`${SECRET}::bootstrap`).stringData)["public-key"]));
  });
});

describe("internal secrets over the life of a stack", () => {
  const randoms = (r: Rendering) =>
    Object.fromEntries(r.resources.filter((x) => x.type.startsWith("random:")).map((x) => [x.name, x.inputs]));

  it("protects the namespace, the internal and bootstrap Secrets and every internal secret but the rotatable NextAuth secret when protect is on; never a project's Secret", async () => {
    const prod = await renderStack("dev", loadStackConfig("dev", REPO_ROOT, { "ambient-langfuse:protect": true }));
    const protectedKeys = prod.resources.filter((r) => r.options.protect).map((r) => `${r.type}::${r.name}`);
    expect(protectedKeys).toEqual([
      "kubernetes:core/v1:Namespace::langfuse",
      "random:index/randomBytes:RandomBytes::internal-encryptionKey",
      "random:index/randomBytes:RandomBytes::internal-salt",
      "random:index/randomPassword:RandomPassword::internal-postgresPassword",
      "random:index/randomPassword:RandomPassword::internal-clickhousePassword",
      "random:index/randomPassword:RandomPassword::internal-redisPassword",
      "random:index/randomString:RandomString::internal-s3User",
      "random:index/randomPassword:RandomPassword::internal-s3Password",
      `${SECRET}::internal`,
      `${SECRET}::bootstrap`,
    ]);
    expect(byKey(prod, SECRET, "project-team-a-keys").options.protect).toBe(false);
    expect(dev.resources.some((r) => r.options.protect)).toBe(false);
  });

  it("regenerates only the NextAuth secret when its version is bumped, whatever else changes", async () => {
    const later = await renderStack(
      "dev",
      override({ nextauthSecretVersion: 2, hostname: "langfuse.example.com", langfuseVersion: "4.17.0", v4WriteMode: "dual", installCertManager: false }),
    );
    const before = randoms(dev);
    const after = randoms(later);
    expect(after["internal-nextauthSecret"]).toEqual({ length: 32, keepers: { version: "2" } });
    expect(before["internal-nextauthSecret"]).toEqual({ length: 32, keepers: { version: "1" } });
    delete before["internal-nextauthSecret"];
    delete after["internal-nextauthSecret"];
    expect(after).toEqual(before);
    expect(before["internal-encryptionKey"]).toEqual({ length: 32 });
    expect(before["internal-salt"]).toEqual({ length: 32 });
  });

  it("keeps every chart 2.x secret where it was across a re-render with other settings changed", async () => {
    const later = await renderStack("dev", override({ hostname: "langfuse.example.com", langfuseVersion: "4.17.0", v4WriteMode: "dual", installCertManager: false, createProjectNamespaces: false }));
    const references = (r: Rendering) => chartSecretRefs(byKey(r, RELEASE, "langfuse").inputs.values, ctx.chartDefaults("2.0.0"));
    const secretShapes = (r: Rendering) =>
      r.resources.filter((x) => x.type === SECRET && x.inputs.metadata.namespace === "langfuse").map((x) => [x.name, x.inputs.metadata.name, Object.keys(x.inputs.stringData), x.options]);
    // The same references to the same Secrets and keys, whose values come from random resources
    // with unchanged inputs: the engine keeps their results, so no secret moves.
    expect(references(later)).toEqual(references(dev));
    expect(references(dev).length).toBe(20);
    expect(secretShapes(later)).toEqual(secretShapes(dev));
    expect(randoms(later)).toEqual(randoms(dev));
    expect(chartSecretsPinned.check(later.resources, ctx)).toEqual({ violations: [] });
  });

  it("adopts existing values instead of generating them, so a running installation keeps its data", async () => {
    const existing = { salt: "c2FsdA", encryptionKey: "0f".repeat(32), nextauthSecret: "bmV4dGF1dGg", postgresPassword: "PgPass0123456789", clickhousePassword: "ChPass0123456789", redisPassword: "RedisPass0123456789" };
    const adopted = await renderStack("dev", loadStackConfig("dev", REPO_ROOT, { "ambient-langfuse:existingSecrets": existing }));
    expect(Object.keys(randoms(adopted)).sort()).toEqual(["bootstrap-adminPassword", "bootstrap-publicKey", "bootstrap-secretKey", "internal-s3Password", "internal-s3User"]);
    expect(byKey(adopted, "ambient-langfuse:langfuse:InternalSecrets", "internal").inputs).toEqual({
      adopted: ["salt", "encryptionKey", "nextauthSecret", "postgresPassword", "clickhousePassword", "redisPassword"],
      managed: [],
      generated: ["s3User", "s3Password"],
      omitted: [],
    });
    const raw = unwrap(adopted.rawInputs.get(`${SECRET}::internal`).stringData);
    expect(unwrap(raw["encryption-key"])).toBe(existing.encryptionKey);
    expect(unwrap(raw["postgres-password"])).toBe(existing.postgresPassword);
    expect(Object.keys(raw).sort()).toEqual(INTERNAL_KEYS);
    const planned = byKey(adopted, SECRET, "internal");
    expect(Object.values(planned.inputs.stringData)).toEqual(INTERNAL_KEYS.map(() => "[secret]"));
    expect(JSON.stringify(adopted.resources)).not.toContain(existing.encryptionKey);
  });

  it("stops on invalid config before the program registers anything", async () => {
    await expect(
      renderStack("dev", loadStackConfig("dev", REPO_ROOT, { "ambient-langfuse:chartVersion": "^1.5" })),
    ).rejects.toThrow(ConfigError);
  });
});

describe("policies state their rules in their own words", () => {
  // A policy that imports the producer's constant agrees with the producer by construction. Shared
  // validators (Kubernetes' naming rules) and the plan's own record format stay shared.
  const SHARED = new Set(["../kubernetesNames", "../render/redact"]);
  const policyFiles = readdirSync(path.join(REPO_ROOT, "infra", "policies")).filter((f) => f.endsWith(".ts"));

  it.each(policyFiles)("%s imports nothing of the program but shared validators", (file) => {
    const source = readFileSync(path.join(REPO_ROOT, "infra", "policies", file), "utf8");
    const imports = [...source.matchAll(/\bfrom\s+"([^"]+)"|require\("([^"]+)"\)/g)].map((m) => m[1] ?? m[2]);
    const program = imports.filter((i) => i.startsWith("../") && !SHARED.has(i));
    expect(program).toEqual([]);
  });
});

describe("policies catch what they guard against", () => {
  const mutated = (mutate: (resources: PlannedResource[]) => void) => {
    const copy = structuredClone(dev.resources);
    mutate(copy);
    return copy;
  };
  const release = (rs: PlannedResource[], name = "langfuse") => rs.find((r) => r.type === RELEASE && r.name === name)!;
  const check = (policy: Policy, rs: PlannedResource[], c: PolicyContext = ctx) => policy.check(rs, c);
  const R = "kubernetes:helm.sh/v3:Release::langfuse";

  it("no-literal-secrets: a chart secret given by value", () => {
    const rs = mutated((r) => (release(r).inputs.values.langfuse.salt = { value: "pepper" }));
    expect(check(noLiteralSecrets, rs)).toEqual({
      violations: [{ policy: "no-literal-secrets", resource: R, message: "values.langfuse.salt.value is a literal secret: use values.langfuse.salt.secretKeyRef" }],
    });
  });

  it("no-literal-secrets: a PostgreSQL subchart password given by value on chart 2.x", () => {
    const rs = mutated((r) => {
      release(r).inputs.values.postgresql.settings.superuserPassword = { value: "postgres0pass" };
      release(r).inputs.values.postgresql.userDatabase.password = { value: "langfuse0pass" };
    });
    expect(check(noLiteralSecrets, rs)).toEqual({
      violations: [
        { policy: "no-literal-secrets", resource: R, message: "values.postgresql.settings.superuserPassword.value is a literal secret: name its key in the store's existingSecret" },
        { policy: "no-literal-secrets", resource: R, message: "values.postgresql.userDatabase.password.value is a literal secret: name its key in the store's existingSecret" },
      ],
    });
  });

  it("no-literal-secrets: a bootstrap password as a literal env value", () => {
    const rs = mutated((r) => (release(r).inputs.values.langfuse.additionalEnv[8] = { name: "LANGFUSE_INIT_USER_PASSWORD", value: "hunter2hunter2" }));
    expect(check(noLiteralSecrets, rs)).toEqual({
      violations: [{ policy: "no-literal-secrets", resource: R, message: "values.langfuse.additionalEnv[8] sets LANGFUSE_INIT_USER_PASSWORD as a literal env value: use valueFrom.secretKeyRef" }],
    });
  });

  it("no-literal-secrets: the admin email as a literal env value (it may be a secret setting)", () => {
    const rs = mutated((r) => (release(r).inputs.values.langfuse.additionalEnv[6] = { name: "LANGFUSE_INIT_USER_EMAIL", value: "admin@ambient-code.local" }));
    expect(check(noLiteralSecrets, rs)).toEqual({
      violations: [{ policy: "no-literal-secrets", resource: R, message: "values.langfuse.additionalEnv[6] sets LANGFUSE_INIT_USER_EMAIL as a literal env value: use valueFrom.secretKeyRef" }],
    });
  });

  it("no-literal-secrets: a store password in the chart and a credential in a ConfigMap", () => {
    const rs = mutated((r) => {
      release(r).inputs.values.redis.auth.password = "redispass";
      r.push({ type: "kubernetes:core/v1:ConfigMap", name: "leak", parent: null, secretPaths: [], options: NO_OPTIONS, propertyDependencies: {}, inputs: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "leak", namespace: "langfuse" }, data: { LANGFUSE_SECRET_KEY: "sk-lf-1b2c3d4e-0000-4000-8000-000000000000" } } });
    });
    expect(check(noLiteralSecrets, rs)).toEqual({
      violations: [
        { policy: "no-literal-secrets", resource: R, message: "values.redis.auth.password is a literal password: use the store's existingSecret" },
        { policy: "no-literal-secrets", resource: "kubernetes:core/v1:ConfigMap::leak", message: "data.LANGFUSE_SECRET_KEY looks like a credential: put it in a Secret" },
        { policy: "no-literal-secrets", resource: "kubernetes:core/v1:ConfigMap::leak", message: "data.LANGFUSE_SECRET_KEY holds Langfuse key material: put it in a Secret" },
      ],
    });
  });

  it("secret-refs-resolve: a key name the Secret lacks, and a Secret nobody creates", () => {
    const rs = mutated((r) => {
      release(r).inputs.values.clickhouse.auth.existingSecretKey = "clickhouse-pass";
      release(r).inputs.values.langfuse.salt.secretKeyRef.name = "langfuse-salt";
    });
    expect(check(secretRefsResolve, rs)).toEqual({
      violations: [
        { policy: "secret-refs-resolve", resource: R, message: 'values.clickhouse.auth.existingSecretKey names key "clickhouse-pass", which Secret "langfuse-internal" lacks (it has clickhouse-password, encryption-key, nextauth-secret, postgres-password, redis-password, s3-password, s3-user, salt)' },
        { policy: "secret-refs-resolve", resource: R, message: 'values.langfuse.salt.secretKeyRef names Secret "langfuse-salt", which this program does not create in namespace "langfuse"' },
      ],
    });
  });

  it("exact-chart-version: a version range, with or without a leading v", () => {
    const rs = mutated((r) => {
      release(r).inputs.version = "^1.5";
      release(r, "cert-manager").inputs.version = "v1.20";
    });
    expect(check(exactChartVersion, rs)).toEqual({
      violations: [
        { policy: "exact-chart-version", resource: `${RELEASE}::cert-manager`, message: 'chart version "v1.20" is not exact: pin a version such as 2.0.0' },
        { policy: "exact-chart-version", resource: R, message: 'chart version "^1.5" is not exact: pin a version such as 2.0.0' },
      ],
    });
  });

  it("chart-value-paths-exist: a misspelt value, and skipped where the chart's values.yaml is absent", () => {
    const rs = mutated((r) => (release(r).inputs.values.langfuse.nextauth.urll = "http://x"));
    expect(check(chartValuePathsExist, rs)).toEqual({
      violations: [{ policy: "chart-value-paths-exist", resource: R, message: "values.langfuse.nextauth.urll is not a value of chart 2.0.0: check its values.yaml (a typo is silently ignored by Helm)" }],
    });
    expect(check(chartValuePathsExist, dev.resources, referenceContext("/nonexistent"))).toEqual({ skipped: "no reference values.yaml for chart 2.0.0" });
  });

  it("chart-value-paths-exist: a Bitnami path on chart 2.x, which has no Bitnami subcharts to reach", () => {
    const rs = mutated((r) => (release(r).inputs.values.postgresql.primary = { resources: { requests: { cpu: "1" } } }));
    expect(check(chartValuePathsExist, rs)).toEqual({
      violations: [{ policy: "chart-value-paths-exist", resource: R, message: "values.postgresql.primary.resources.requests.cpu is not a value of chart 2.0.0: check its values.yaml (a typo is silently ignored by Helm)" }],
    });
  });

  it("secret-refs-resolve: a store Secret without a key its store reads, and one nobody creates", () => {
    const rs = mutated((r) => {
      delete byKey({ ...dev, resources: r }, SECRET, "internal-postgresql").inputs.stringData.USERDB_PASSWORD;
      release(r).inputs.values.redis.auth.usersExistingSecret = "valkey-users";
    });
    expect(check(secretRefsResolve, rs)).toEqual({
      violations: [
        { policy: "secret-refs-resolve", resource: R, message: 'values.postgresql.userDatabase.existingSecret names Secret "langfuse-internal-postgresql", which lacks key "USERDB_PASSWORD" that the store reads (it has POSTGRES_DB, POSTGRES_PASSWORD, POSTGRES_USER, USERDB_USER)' },
        { policy: "secret-refs-resolve", resource: R, message: 'values.redis.auth.usersExistingSecret names Secret "valkey-users", which this program does not create in namespace "langfuse"' },
      ],
    });
  });

  it("chart-secrets-pinned: secrets left for the chart to generate", () => {
    const rs = mutated((r) => {
      const values = release(r).inputs.values;
      delete values.langfuse.encryptionKey;
      values.langfuse.nextauth.secret = { secretKeyRef: { name: "langfuse-internal", key: "" } };
      delete values.clickhouse.auth.existingSecret;
      delete values.s3.allInOne.s3;
    });
    const lookup = "with `lookup`, a new value wherever the cluster cannot be read (helm template, a GitOps render)";
    const fix = "give it by reference to a Secret this program creates";
    expect(check(chartSecretsPinned, rs)).toEqual({
      violations: [
        { policy: "chart-secrets-pinned", resource: R, message: `values.langfuse.encryptionKey is left empty: the chart would generate it into <release>-app ${lookup}; it encrypts stored credentials; ${fix}` },
        { policy: "chart-secrets-pinned", resource: R, message: `values.langfuse.nextauth.secret is left empty: the chart would generate it into <release>-app ${lookup}; ${fix}` },
        { policy: "chart-secrets-pinned", resource: R, message: `values.clickhouse.auth has neither existingSecret nor password: the chart would generate it into <release>-clickhouse-auth ${lookup}; ${fix}` },
        { policy: "chart-secrets-pinned", resource: R, message: `values.s3.allInOne.s3.existingConfigSecret is left empty: SeaweedFS would mount the chart's langfuse-s3-auth, which the chart no longer creates; ${fix}` },
      ],
    });
  });

  it("chart-secrets-pinned: a Bitnami store on chart 1.5.x without a password, and no rules for an unknown line", async () => {
    const v3 = await renderStack("dev", override({ chartVersion: "1.5.41", langfuseVersion: "3.224.1" }));
    const rs = structuredClone(v3.resources);
    delete release(rs).inputs.values.redis.auth.existingSecret;
    expect(check(chartSecretsPinned, rs)).toEqual({
      violations: [
        { policy: "chart-secrets-pinned", resource: R, message: "values.redis.auth has neither existingSecret nor password: Bitnami Valkey would generate it into langfuse-redis with `lookup`, a new value wherever the cluster cannot be read (helm template, a GitOps render); give it by reference to a Secret this program creates" },
      ],
    });
    release(rs).inputs.version = "3.0.0";
    expect(check(chartSecretsPinned, rs)).toEqual({
      violations: [{ policy: "chart-secrets-pinned", resource: R, message: "chart 3.0.0 is of a line this policy has no rules for: add them from its templates" }],
    });
  });

  it("releases-in-order: Langfuse not waiting for the operator, nor the operator for cert-manager", () => {
    const rs = mutated((r) => {
      release(r).options.dependsOn = release(r).options.dependsOn.filter((d) => !d.startsWith(RELEASE));
      release(r, "clickhouse-operator").options.dependsOn = [];
    });
    expect(check(releasesInOrder, rs)).toEqual({
      violations: [
        { policy: "releases-in-order", resource: `${RELEASE}::clickhouse-operator`, message: `the ClickHouse operator (release "clickhouse-operator") does not wait for cert-manager (its webhook certificates), release "cert-manager": add ${RELEASE}::cert-manager to its dependsOn` },
        { policy: "releases-in-order", resource: R, message: `Langfuse (release "langfuse") does not wait for the ClickHouse operator (its CRDs and webhook), release "clickhouse-operator": add ${RELEASE}::clickhouse-operator to its dependsOn` },
      ],
    });
  });

  it("releases-in-order: waiting for the operator's component, or for cert-manager through the operator, counts", () => {
    const rs = mutated((r) => {
      release(r).options.dependsOn = ["ambient-langfuse:cluster:PrerequisiteRelease::clickhouse-operator"];
    });
    expect(check(releasesInOrder, rs)).toEqual({ violations: [] });
  });

  it("kubernetes-schema: an object that does not validate, and a kind with no schema", () => {
    const rs = mutated((r) => {
      byKey({ ...dev, resources: r }, SECRET, "internal").inputs.type = 42;
      r.push({ type: "kubernetes:example.com/v1:Widget", name: "w", parent: null, secretPaths: [], options: NO_OPTIONS, propertyDependencies: {}, inputs: { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } } });
    });
    const result = check(kubernetesSchema, rs) as { violations: { resource: string; message: string }[] };
    expect(result.violations.map((v) => [v.resource, v.message])).toEqual([
      [`${SECRET}::internal`, "Secret does not validate: data/type must be string"],
      ["kubernetes:example.com/v1:Widget::w", "no schema for example.com/v1 Widget: list the kind in SCHEMA_EXEMPT_KINDS and give it a shape test"],
    ]);
  });

  it("generated-secrets-are-pulumi-secrets: a Secret value that is not marked secret", () => {
    const rs = mutated((r) => {
      const s = byKey({ ...dev, resources: r }, SECRET, "bootstrap");
      s.secretPaths = s.secretPaths.filter((p) => p !== "$.stringData['admin-password']");
    });
    expect(check(secretsAreSecret, rs)).toEqual({
      violations: [{ policy: "generated-secrets-are-pulumi-secrets", resource: `${SECRET}::bootstrap`, message: "stringData.admin-password is not a Pulumi secret: wrap it with pulumi.secret()" }],
    });
  });

  it("dns1123-names: a namespace that is not a DNS-1123 label", () => {
    const rs = mutated((r) => {
      byKey({ ...dev, resources: r }, "kubernetes:core/v1:Namespace", "langfuse").inputs.metadata.name = "Langfuse_NS";
      release(r).inputs.namespace = "Langfuse_NS";
    });
    expect(check(dns1123Names, rs)).toEqual({
      violations: [
        { policy: "dns1123-names", resource: "kubernetes:core/v1:Namespace::langfuse", message: 'metadata.name "Langfuse_NS" is not a DNS-1123 label' },
        { policy: "dns1123-names", resource: R, message: 'release namespace "Langfuse_NS" is not a DNS-1123 label' },
      ],
    });
  });
});

describe("npm run plan", () => {
  it("writes resources, manifests and an empty policy report, and none of the generated values", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "plan-"));
    cpSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    cpSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), path.join(root, "Pulumi.dev.yaml"));
    const plan = await writePlan("dev", root);
    expect(readdirSync(path.join(plan.dir, "manifests")).sort()).toEqual([
      "configmap-team-a-langfuse-config.yaml",
      "configmap-team-b-langfuse-config.yaml",
      "mutatingadmissionpolicy-cluster-ambient-langfuse-runner-env.yaml",
      "mutatingadmissionpolicybinding-cluster-ambient-langfuse-runner-env.yaml",
      "namespace-cluster-cert-manager.yaml",
      "namespace-cluster-clickhouse-operator.yaml",
      "namespace-cluster-langfuse.yaml",
      "namespace-cluster-team-a.yaml",
      "namespace-cluster-team-b.yaml",
      ...["clickhouse-keeper", "clickhouse", "default-deny-ingress", "postgresql", "redis", "s3", "web"].map((n) => `networkpolicy-langfuse-langfuse-${n}.yaml`),
      "secret-langfuse-langfuse-bootstrap.yaml",
      "secret-langfuse-langfuse-internal-postgresql.yaml",
      "secret-langfuse-langfuse-internal-redis.yaml",
      "secret-langfuse-langfuse-internal-s3.yaml",
      "secret-langfuse-langfuse-internal.yaml",
      "secret-team-a-langfuse-keys.yaml",
      "secret-team-b-langfuse-keys.yaml",
    ]);
    expect(JSON.parse(readFileSync(path.join(plan.dir, "policy-report.json"), "utf8"))).toEqual([]);
    const written = JSON.parse(readFileSync(path.join(plan.dir, "resources.json"), "utf8"));
    expect(written).toEqual(plan.rendering.resources);
    expect(written.find((r: PlannedResource) => r.type === RELEASE && r.name === "langfuse").options).toEqual({
      ...NO_OPTIONS,
      dependsOn: [
        "ambient-langfuse:langfuse:InternalSecrets::internal",
        "ambient-langfuse:langfuse:BootstrapCredentials::bootstrap",
        "ambient-langfuse:network:LangfuseNetworkPolicies::langfuse",
        `${RELEASE}::clickhouse-operator`,
      ],
    });
    // 3 random byte strings (hex and base64 each), 5 passwords, 1 string, 2 UUIDs.
    expect(plan.rendering.generatedValues.length).toBe(14);
    expect(new Set(plan.rendering.generatedValues).size).toBe(14);
    for (const file of filesUnder(path.join(root, "plan"))) {
      const text = readFileSync(file, "utf8");
      for (const value of plan.rendering.generatedValues) expect(text.includes(value), `${value} in ${file}`).toBe(false);
    }
  });

  it("exits 0 for the dev stack from the command line, showing the releases in the order they wait for each other", async () => {
    const { stdout } = await run("npx", ["tsx", "infra/plan.ts", "--stack", "dev"], { cwd: REPO_ROOT });
    expect(stdout).toContain('plan for stack "dev": 46 resources');
    // The namespace's fence: seven NetworkPolicies, and the policy that evaluates them.
    expect(stdout).toMatch(/'kubernetes:networking.k8s.io\/v1:NetworkPolicy' +│ 7 /);
    expect(stdout).toMatch(/'langfuse-namespace-fenced' +│ 'passed'/);
    const rows = stdout.split("\n").filter((l) => /'(cert-manager|clickhouse-operator|langfuse)' +│ '/.test(l)).map((l) => l.split("│").map((c) => c.trim()).slice(2, 8));
    expect(rows).toEqual([
      ["'cert-manager'", "'cert-manager'", "'oci://quay.io/jetstack/charts/cert-manager'", "'v1.20.2'", "''", "''"],
      ["'clickhouse-operator'", "'clickhouse-operator'", "'oci://ghcr.io/clickhouse/clickhouse-operator-helm'", "'0.0.5'", "''", "'cert-manager'"],
      ["'langfuse'", "'langfuse'", "'langfuse'", "'2.0.0'", "'4.16.0'", "'clickhouse-operator'"],
    ]);
    expect(stdout).toContain("internal secrets adopted: none; generated: salt, encryptionKey, nextauthSecret, postgresPassword, clickhousePassword, redisPassword, s3User, s3Password");
    expect(stdout).toMatch(/'chart-secrets-pinned' +│ 'passed'/);
    expect(stdout).toMatch(/'releases-in-order' +│ 'passed'/);
    expect(stdout).toContain("0 violation(s)");
  });

  it("exits 0 for a stack on chart 1.5.41, which installs neither cert-manager nor the operator", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "plan-"));
    cpSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    writeFileSync(
      path.join(root, "Pulumi.poc.yaml"),
      "config:\n  ambient-langfuse:adminEmail: admin@ambient-code.local\n  ambient-langfuse:chartVersion: 1.5.41\n",
    );
    const { stdout } = await run("npx", ["tsx", path.join(REPO_ROOT, "infra/plan.ts"), "--stack", "poc", "--root", root], { cwd: REPO_ROOT });
    expect(stdout).not.toContain("cert-manager");
    // No image tag: the chart's own Langfuse (3.224.1), pinned by the exact chart version.
    expect(stdout).toMatch(/'langfuse' +│ 'langfuse' +│ 'langfuse' +│ '1\.5\.41' +│ '' +│ ''/);
    expect(stdout).toMatch(/'chart-value-paths-exist' +│ 'passed'/);
    expect(stdout).toContain("0 violation(s)");
  });

  it("checks the move of the v3 POC: the adopted secrets, the v4 release beside the POC, every ConfigMap on the new service", async () => {
    // Pulumi.v4.yaml as `pulumi config set` leaves it for the README's "Move the v3 POC" steps.
    const root = mkdtempSync(path.join(tmpdir(), "plan-"));
    cpSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    writeFileSync(
      path.join(root, "Pulumi.v4.yaml"),
      [
        "config:",
        "  ambient-langfuse:namespace: langfuse-v4",
        "  ambient-langfuse:adminEmail: admin@ambient-code.local",
        "  ambient-langfuse:hostname: langfuse-v4.local",
        "  ambient-langfuse:chartVersion: 2.0.0",
        "  ambient-langfuse:langfuseVersion: 3.224.1",
        "  ambient-langfuse:v4WriteMode: dual",
        "  ambient-langfuse:existingSecrets:",
        "    salt: { secure: v1:c2FsdA== }",
        "    encryptionKey: { secure: v1:ZW5jcnlwdGlvbg== }",
        "    nextauthSecret: { secure: v1:bmV4dGF1dGg= }",
        "  ambient-langfuse:projects: [team-a, { namespace: team-b, displayName: Team B }]",
        "  ambient-langfuse:createProjectNamespaces: true",
        "",
      ].join("\n"),
    );
    const { stdout } = await run("npx", ["tsx", path.join(REPO_ROOT, "infra/plan.ts"), "--stack", "v4", "--root", root], { cwd: REPO_ROOT });
    expect(stdout).toContain("internal secrets adopted: salt, encryptionKey, nextauthSecret; generated: postgresPassword, clickhousePassword, redisPassword, s3User, s3Password");
    expect(stdout).toMatch(/'langfuse' +│ 'langfuse-v4' +│ 'langfuse' +│ '2\.0\.0' +│ '3\.224\.1' +│ 'clickhouse-operator'/);
    expect(stdout).toContain("0 violation(s)");

    const planned: PlannedResource[] = JSON.parse(readFileSync(path.join(root, "plan", "v4", "resources.json"), "utf8"));
    const randomNames = planned.filter((r) => r.type.startsWith("random:")).map((r) => r.name);
    for (const adopted of ["internal-salt", "internal-encryptionKey", "internal-nextauthSecret"]) expect(randomNames).not.toContain(adopted);
    const internal = planned.find((r) => r.type === SECRET && r.name === "internal")!;
    expect(internal.inputs.metadata.namespace).toBe("langfuse-v4");
    expect(Object.keys(internal.inputs.stringData).sort()).toEqual(INTERNAL_KEYS);
    const configMaps = planned.filter((r) => r.type === "kubernetes:core/v1:ConfigMap");
    expect(configMaps.map((r) => [r.inputs.metadata.namespace, r.inputs.data.LANGFUSE_HOST, r.inputs.data.LANGFUSE_BASE_URL])).toEqual(
      ["team-a", "team-b"].map((ns) => [ns, "http://langfuse-web.langfuse-v4.svc.cluster.local:3000", "http://langfuse-web.langfuse-v4.svc.cluster.local:3000"]),
    );
    const release = planned.find((r) => r.type === RELEASE && r.name === "langfuse")!;
    expect(release.inputs.values.langfuse.additionalEnv.at(-1)).toEqual({ name: "LANGFUSE_MIGRATION_V4_WRITE_MODE", value: "dual" });
  });

  it("exits non-zero naming chartVersion when a stack asks for a range", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "plan-"));
    cpSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    writeFileSync(path.join(root, "Pulumi.broken.yaml"), 'config:\n  ambient-langfuse:adminEmail: a@b.io\n  ambient-langfuse:chartVersion: "^1.5"\n');
    const failure = await run("npx", ["tsx", path.join(REPO_ROOT, "infra/plan.ts"), "--stack", "broken", "--root", root], { cwd: REPO_ROOT }).then(
      () => undefined,
      (e) => e,
    );
    expect(failure?.code).toBe(1);
    expect(failure.stderr).toContain('ambient-langfuse:chartVersion is "^1.5": use an exact chart version');
    expect(readdirSync(root)).toEqual(["Pulumi.broken.yaml", "Pulumi.yaml"]);
  });
});
