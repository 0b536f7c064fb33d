import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
import { chartValuePathsExist } from "../infra/policies/chartValuePathsExist";
import { dns1123Names } from "../infra/policies/dns1123Names";
import { exactChartVersion } from "../infra/policies/exactChartVersion";
import { kubernetesSchema } from "../infra/policies/kubernetesSchema";
import { noLiteralSecrets } from "../infra/policies/noLiteralSecrets";
import { secretRefsResolve } from "../infra/policies/secretRefsResolve";
import { secretsAreSecret } from "../infra/policies/secretsAreSecret";
import { type Rendering, renderStack } from "../infra/render/mockHarness";
import { writePlan } from "../infra/render/planWriter";
import { REPO_ROOT, listStacks, loadStackConfig } from "../infra/render/stackConfig";

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

  it("renders chart 1.5.9, the first POC's version, and passes every policy", async () => {
    const rendering = await renderStack("dev", loadStackConfig("dev", REPO_ROOT, { "ambient-langfuse:chartVersion": "1.5.9" }));
    expect(byKey(rendering, RELEASE, "langfuse").inputs.version).toBe("1.5.9");
    expect(runPolicies(rendering.resources, ctx).violations).toEqual([]);
  });

  it("runs infra/index.ts itself, the entry point `pulumi up` loads", async () => {
    const rendering = await renderStack("dev", loadStackConfig("dev"), async () => ({ ...(await import("../infra/index")) }));
    expect(Object.keys(rendering.outputs).sort()).toEqual(["adminEmail", "adminPassword", "externalUrl", "internalUrl", "projects", "publicKey", "secretKey"]);
    expect(rendering.resources.map((r) => `${r.type}::${r.name}`)).toEqual(dev.resources.map((r) => `${r.type}::${r.name}`));
  });
});

describe("the dev stack's resources", () => {
  it("registers the namespace, the random values, both Secrets and the release, in order, with their parents", () => {
    expect(dev.resources.slice(0, 18).map((r) => [r.type, r.name, r.parent])).toEqual([
      ["kubernetes:core/v1:Namespace", "langfuse", null],
      ["ambient-langfuse:langfuse:InternalSecrets", "internal", null],
      ...["encryptionKey", "salt", "nextauthSecret"].map((k) => ["random:index/randomBytes:RandomBytes", `internal-${k}`, "ambient-langfuse:langfuse:InternalSecrets::internal"]),
      ...["postgresPassword", "clickhousePassword", "redisPassword"].map((k) => ["random:index/randomPassword:RandomPassword", `internal-${k}`, "ambient-langfuse:langfuse:InternalSecrets::internal"]),
      ["random:index/randomString:RandomString", "internal-s3User", "ambient-langfuse:langfuse:InternalSecrets::internal"],
      ["random:index/randomPassword:RandomPassword", "internal-s3Password", "ambient-langfuse:langfuse:InternalSecrets::internal"],
      [SECRET, "internal", "ambient-langfuse:langfuse:InternalSecrets::internal"],
      ["ambient-langfuse:langfuse:BootstrapCredentials", "bootstrap", null],
      ["random:index/randomUuid:RandomUuid", "bootstrap-publicKey", "ambient-langfuse:langfuse:BootstrapCredentials::bootstrap"],
      ["random:index/randomUuid:RandomUuid", "bootstrap-secretKey", "ambient-langfuse:langfuse:BootstrapCredentials::bootstrap"],
      ["random:index/randomPassword:RandomPassword", "bootstrap-adminPassword", "ambient-langfuse:langfuse:BootstrapCredentials::bootstrap"],
      [SECRET, "bootstrap", "ambient-langfuse:langfuse:BootstrapCredentials::bootstrap"],
      ["ambient-langfuse:langfuse:LangfuseRelease", "langfuse", null],
      [RELEASE, "langfuse", "ambient-langfuse:langfuse:LangfuseRelease::langfuse"],
    ]);
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
      version: "1.5.41",
      namespace: "langfuse",
      repositoryOpts: { repo: "https://langfuse.github.io/langfuse-k8s" },
    });
    expect(release.secretPaths).toEqual([]);
    expect(secretRefsResolve.check(dev.resources, ctx)).toEqual({ violations: [] });
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

  it("protects the namespace and every internal secret except the rotatable NextAuth secret when protect is on", async () => {
    const prod = await renderStack("dev", loadStackConfig("dev", REPO_ROOT, { "ambient-langfuse:protect": true }));
    const protectedKeys = [...prod.options].filter(([, o]) => o.protect).map(([k]) => k);
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
    ]);
    expect([...dev.options.values()].some((o) => o.protect)).toBe(false);
  });

  it("regenerates only the NextAuth secret when its version is bumped, whatever else changes", async () => {
    const later = await renderStack(
      "dev",
      loadStackConfig("dev", REPO_ROOT, { "ambient-langfuse:nextauthSecretVersion": 2, "ambient-langfuse:hostname": "langfuse.example.com" }),
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

  it("adopts existing values instead of generating them, so a running installation keeps its data", async () => {
    const existing = { salt: "c2FsdA", encryptionKey: "0f".repeat(32), nextauthSecret: "bmV4dGF1dGg", postgresPassword: "PgPass0123456789", clickhousePassword: "ChPass0123456789", redisPassword: "RedisPass0123456789" };
    const adopted = await renderStack("dev", loadStackConfig("dev", REPO_ROOT, { "ambient-langfuse:existingSecrets": existing }));
    expect(Object.keys(randoms(adopted)).sort()).toEqual(["bootstrap-adminPassword", "bootstrap-publicKey", "bootstrap-secretKey", "internal-s3Password", "internal-s3User"]);
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

describe("policies catch what they guard against", () => {
  const mutated = (mutate: (resources: PlannedResource[]) => void) => {
    const copy = structuredClone(dev.resources);
    mutate(copy);
    return copy;
  };
  const release = (rs: PlannedResource[]) => rs.find((r) => r.type === RELEASE)!;
  const check = (policy: Policy, rs: PlannedResource[], c: PolicyContext = ctx) => policy.check(rs, c);
  const R = "kubernetes:helm.sh/v3:Release::langfuse";

  it("no-literal-secrets: a chart secret given by value", () => {
    const rs = mutated((r) => (release(r).inputs.values.langfuse.salt = { value: "pepper" }));
    expect(check(noLiteralSecrets, rs)).toEqual({
      violations: [{ policy: "no-literal-secrets", resource: R, message: "values.langfuse.salt.value is a literal secret: use values.langfuse.salt.secretKeyRef" }],
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
      r.push({ type: "kubernetes:core/v1:ConfigMap", name: "leak", parent: null, secretPaths: [], inputs: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "leak", namespace: "langfuse" }, data: { LANGFUSE_SECRET_KEY: "sk-lf-1b2c3d4e-0000-4000-8000-000000000000" } } });
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

  it("exact-chart-version: a version range", () => {
    const rs = mutated((r) => (release(r).inputs.version = "^1.5"));
    expect(check(exactChartVersion, rs)).toEqual({
      violations: [{ policy: "exact-chart-version", resource: R, message: 'chart version "^1.5" is not exact: pin a version such as 1.5.41' }],
    });
  });

  it("chart-value-paths-exist: a misspelt value, and skipped where the chart's values.yaml is absent", () => {
    const rs = mutated((r) => (release(r).inputs.values.langfuse.nextauth.urll = "http://x"));
    expect(check(chartValuePathsExist, rs)).toEqual({
      violations: [{ policy: "chart-value-paths-exist", resource: R, message: "values.langfuse.nextauth.urll is not a value of chart 1.5.41: check its values.yaml (a typo is silently ignored by Helm)" }],
    });
    expect(check(chartValuePathsExist, dev.resources, referenceContext("/nonexistent"))).toEqual({ skipped: "no reference values.yaml for chart 1.5.41" });
  });

  it("kubernetes-schema: an object that does not validate, and a kind with no schema", () => {
    const rs = mutated((r) => {
      byKey({ ...dev, resources: r }, SECRET, "internal").inputs.type = 42;
      r.push({ type: "kubernetes:example.com/v1:Widget", name: "w", parent: null, secretPaths: [], inputs: { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } } });
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
      r[0].inputs.metadata.name = "Langfuse_NS";
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
  const filesUnder = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? filesUnder(path.join(dir, f)) : [path.join(dir, f)]));

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
      "namespace-cluster-langfuse.yaml",
      "namespace-cluster-team-a.yaml",
      "namespace-cluster-team-b.yaml",
      "secret-langfuse-langfuse-bootstrap.yaml",
      "secret-langfuse-langfuse-internal.yaml",
      "secret-team-a-langfuse-keys.yaml",
      "secret-team-b-langfuse-keys.yaml",
    ]);
    expect(JSON.parse(readFileSync(path.join(plan.dir, "policy-report.json"), "utf8"))).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(plan.dir, "resources.json"), "utf8"))).toEqual(plan.rendering.resources);
    // 3 random byte strings (hex and base64 each), 5 passwords, 1 string, 2 UUIDs.
    expect(plan.rendering.generatedValues.length).toBe(14);
    expect(new Set(plan.rendering.generatedValues).size).toBe(14);
    for (const file of filesUnder(path.join(root, "plan"))) {
      const text = readFileSync(file, "utf8");
      for (const value of plan.rendering.generatedValues) expect(text.includes(value), `${value} in ${file}`).toBe(false);
    }
  });

  it("exits 0 for the dev stack from the command line", async () => {
    const { stdout } = await run("npx", ["tsx", "infra/plan.ts", "--stack", "dev"], { cwd: REPO_ROOT });
    expect(stdout).toContain('plan for stack "dev": 29 resources');
    expect(stdout).toContain("0 violation(s)");
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
