// The ROSA stack: the program rendered for Pulumi.rosa.yaml beside Pulumi.dev.yaml, the kind and
// OpenShift differences resource by resource, rosa on every chart line, the three policies it
// brought catching what they guard against, and `npm run plan -- --stack rosa` as a user runs it.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError, readSettings } from "../infra/config";
import { POLICIES, type PlannedResource, type Policy, referenceContext, runPolicies } from "../infra/policies";
import { exposureMatchesUrl } from "../infra/policies/exposureMatchesUrl";
import { noFixedUids } from "../infra/policies/noFixedUids";
import { productionReady } from "../infra/policies/productionReady";
import { type Rendering, renderStack } from "../infra/render/mockHarness";
import { REPO_ROOT, loadStackConfig } from "../infra/render/stackConfig";

const run = promisify(execFile);
const ctx = referenceContext();
const RELEASE = "kubernetes:helm.sh/v3:Release";
const SECRET = "kubernetes:core/v1:Secret";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const ROUTE = "kubernetes:route.openshift.io/v1:Route";
const R = `${RELEASE}::langfuse`;
const id = (r: PlannedResource) => `${r.type}::${r.name}`;
const find = (rs: Rendering | PlannedResource[], type: string, name: string) => {
  const found = (Array.isArray(rs) ? rs : rs.resources).find((x) => x.type === type && x.name === name);
  if (!found) throw new Error(`no ${type}::${name}`);
  return found;
};
const values = (r: Rendering | PlannedResource[]) => find(r, RELEASE, "langfuse").inputs.values;
const unwrap = (v: any) => (v && v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig ? v.value : v);
const withSettings = (stack: string, settings: Record<string, unknown>) =>
  loadStackConfig(stack, REPO_ROOT, Object.fromEntries(Object.entries(settings).map(([k, v]) => [`ambient-langfuse:${k}`, v])));

let dev: Rendering;
let rosa: Rendering;
beforeAll(async () => {
  dev = await renderStack("dev", loadStackConfig("dev"));
  rosa = await renderStack("rosa", loadStackConfig("rosa"));
});

describe("kind (dev) and OpenShift (rosa), resource by resource", () => {
  it("has a Route and no Ingress on OpenShift, an Ingress and no Route on kind", () => {
    expect(find(rosa, ROUTE, "langfuse").inputs).toEqual({
      apiVersion: "route.openshift.io/v1",
      kind: "Route",
      metadata: { name: "langfuse", namespace: "langfuse", labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "ambient-langfuse" } },
      spec: {
        host: "langfuse.apps.rosa.example.com",
        to: { kind: "Service", name: "langfuse-web", weight: 100 },
        port: { targetPort: "http" },
        tls: { termination: "edge", insecureEdgeTerminationPolicy: "Redirect" },
        wildcardPolicy: "None",
      },
    });
    expect(find(rosa, ROUTE, "langfuse").parent).toBe("ambient-langfuse:langfuse:LangfuseRelease::langfuse");
    expect(find(rosa, ROUTE, "langfuse").options.dependsOn).toEqual([R]);
    expect(values(rosa).langfuse.ingress).toBeUndefined();
    expect(values(dev).langfuse.ingress.enabled).toBe(true);
    expect(dev.resources.filter((r) => r.type === ROUTE)).toEqual([]);
  });

  it("serves NextAuth and the externalUrl output over https behind the Route, http on kind", () => {
    expect([values(rosa).langfuse.nextauth.url, rosa.outputs.externalUrl]).toEqual(["https://langfuse.apps.rosa.example.com", { value: "https://langfuse.apps.rosa.example.com", secret: false }]);
    expect([values(dev).langfuse.nextauth.url, dev.outputs.externalUrl.value]).toEqual(["http://langfuse.local", "http://langfuse.local"]);
  });

  it("registers these resources only on one side, everything else on both", () => {
    const ids = (r: Rendering) => new Set(r.resources.map(id));
    const [d, o] = [ids(dev), ids(rosa)];
    expect([...d].filter((x) => !o.has(x))).toEqual([
      "random:index/randomPassword:RandomPassword::internal-postgresPassword",
      "random:index/randomPassword:RandomPassword::internal-redisPassword",
      "random:index/randomString:RandomString::internal-s3User",
      "random:index/randomPassword:RandomPassword::internal-s3Password",
      `${SECRET}::internal-postgresql`,
      `${SECRET}::internal-redis`,
      `${SECRET}::internal-s3`,
      // The managed stores run outside the cluster: no NetworkPolicy fences them.
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::langfuse-postgresql",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::langfuse-redis",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::langfuse-s3",
      `${NAMESPACE}::project-team-a-namespace`,
      `${NAMESPACE}::project-team-b-namespace`,
      "ambient-langfuse:operator:RunnerPodPatch::runner-pod-patch",
      "kubernetes:admissionregistration.k8s.io/v1:MutatingAdmissionPolicy::runner-pod-patch-policy",
      "kubernetes:admissionregistration.k8s.io/v1:MutatingAdmissionPolicyBinding::runner-pod-patch-binding",
    ]);
    expect([...o].filter((x) => !d.has(x))).toEqual([
      `${ROUTE}::langfuse`,
      "ambient-langfuse:operator:OperatorEnvIntegration::operator-env",
      `${SECRET}::operator-env-secret`,
      "kubernetes:apps/v1:DeploymentPatch::operator-env-deployment",
    ]);
  });

  it("generates no password for the managed stores, takes theirs from their settings, and keeps no S3 key behind the role", () => {
    expect(find(rosa, "ambient-langfuse:langfuse:InternalSecrets", "internal").inputs).toEqual({
      adopted: [],
      managed: ["postgresPassword", "redisPassword"],
      generated: ["salt", "encryptionKey", "nextauthSecret", "clickhousePassword"],
      omitted: ["s3User", "s3Password"],
    });
    const internal = find(rosa, SECRET, "internal");
    expect(Object.keys(internal.inputs.stringData).sort()).toEqual(["clickhouse-password", "encryption-key", "nextauth-secret", "postgres-password", "redis-password", "salt"]);
    expect(Object.values(internal.inputs.stringData).every((v) => v === "[secret]")).toBe(true);
    // The plan's stand-in for the unset password, marked secret like the real one would be.
    const stringData = rosa.rawInputs.get(`${SECRET}::internal`).stringData;
    expect(stringData[pulumi.runtime.specialSigKey]).toBe(pulumi.runtime.specialSecretSig);
    expect(unwrap(unwrap(stringData)["postgres-password"])).toBe(createHash("sha256").update("unset:externalPostgres.password").digest("hex").slice(0, 40));
    expect(rosa.unsetCredentials).toEqual(["externalPostgres.password", "externalRedis.password"]);
    expect(dev.unsetCredentials).toEqual([]);
  });

  it("turns each bundled store off on OpenShift and points Langfuse at the managed one; ClickHouse stays, three times over", () => {
    const v = values(rosa);
    expect([v.postgresql.deploy, v.redis.deploy, v.s3.deploy, v.clickhouse.deploy]).toEqual([false, false, false, undefined]);
    expect([values(dev).postgresql.deploy, values(dev).redis.deploy, values(dev).s3.deploy]).toEqual([undefined, undefined, undefined]);
    expect(v.postgresql.host).toBe("langfuse.cluster-c1a2b3d4e5f6.us-east-1.rds.amazonaws.com:5432");
    expect(v.langfuse.serviceAccount.annotations).toEqual({ "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/ambient-langfuse-s3" });
    expect([v.clickhouse.cluster.replicas, v.clickhouse.keeper.replicas, values(dev).clickhouse.cluster.replicas]).toEqual([3, 3, 1]);
    expect([v.langfuse.web.replicas, v.langfuse.worker.replicas, values(dev).langfuse.web.replicas]).toEqual([2, 2, 1]);
    expect(v.clickhouse.cluster.storage.className).toBe("gp3-csi");
  });

  it("protects the namespace, the internal and bootstrap Secrets and the kept random values on rosa, never a project's Secret", () => {
    expect(rosa.resources.filter((r) => r.options.protect).map(id)).toEqual([
      `${NAMESPACE}::langfuse`,
      "random:index/randomBytes:RandomBytes::internal-encryptionKey",
      "random:index/randomBytes:RandomBytes::internal-salt",
      "random:index/randomPassword:RandomPassword::internal-clickhousePassword",
      `${SECRET}::internal`,
      `${SECRET}::bootstrap`,
    ]);
    expect(find(rosa, SECRET, "project-team-a-keys").options.protect).toBe(false);
    expect(dev.resources.filter((r) => r.options.protect)).toEqual([]);
  });

  it("records the platform and production on the Langfuse component, for reviews and policies", () => {
    expect(find(rosa, "ambient-langfuse:langfuse:LangfuseRelease", "langfuse").inputs).toEqual({ platform: "openshift", production: true });
    expect(find(dev, "ambient-langfuse:langfuse:LangfuseRelease", "langfuse").inputs).toEqual({ platform: "kind", production: false });
  });

  it("wires the same two projects, through the operator's own Secret on rosa", () => {
    const configMaps = (r: Rendering) => r.resources.filter((x) => x.type === "kubernetes:core/v1:ConfigMap").map((x) => [x.inputs.metadata.namespace, x.inputs.data.LANGFUSE_MASK_MESSAGES]);
    expect(configMaps(rosa)).toEqual([["team-a", "true"], ["team-b", "true"]]);
    expect(configMaps(dev)).toEqual([["team-a", "false"], ["team-b", "false"]]);
    expect(find(rosa, SECRET, "operator-env-secret").inputs.metadata).toMatchObject({ name: "ambient-admin-langfuse-secret", namespace: "ambient-code" });
  });
});

describe("rosa on every chart line", () => {
  it.each([
    ["2.0.0", "4.16.0"],
    ["1.5.41", "3.224.1"],
    ["1.5.9", "3.124.1"],
  ])("plans cleanly on chart %s, every policy run and passing", async (version, langfuse) => {
    const r = await renderStack("rosa", withSettings("rosa", { chartVersion: version, langfuseVersion: langfuse }));
    const { runs, violations } = runPolicies(r.resources, ctx);
    expect(violations).toEqual([]);
    expect(runs.map((x) => x.status)).toEqual(POLICIES.map(() => "passed"));
    expect([values(r).langfuse.web.replicas, values(r).langfuse.worker.replicas]).toEqual([2, 2]);
    // 1.5.9 renders no disruption budget, and the production policy asks for none there.
    expect(values(r).langfuse.web.pdb).toEqual(version === "1.5.9" ? undefined : { create: true, maxUnavailable: 1 });
    expect(find(r, ROUTE, "langfuse").inputs.spec.host).toBe("langfuse.apps.rosa.example.com");
  });

  it("on chart 1.5.x runs ClickHouse three times with three ZooKeepers and lets the Bitnami stores drop their UIDs", async () => {
    const r = await renderStack("rosa", withSettings("rosa", { chartVersion: "1.5.41", langfuseVersion: "3.224.1" }));
    expect([values(r).clickhouse.replicaCount, values(r).clickhouse.zookeeper.replicaCount]).toEqual([3, 3]);
    expect(values(r).global).toEqual({ compatibility: { openshift: { adaptSecurityContext: "force" } }, defaultStorageClass: "gp3-csi" });
    expect(r.resources.filter((x) => x.type === RELEASE).map((x) => x.name)).toEqual(["langfuse"]);
  });

  it("with its stores bundled on OpenShift, deletes the UIDs chart 2.x's PostgreSQL and Valkey fix, and still plans cleanly", async () => {
    const r = await renderStack("rosa", withSettings("rosa", { externalPostgres: "", externalRedis: "", externalS3: "" }));
    expect(values(r).postgresql.podSecurityContext).toEqual({ fsGroup: null });
    expect(values(r).redis.securityContext).toEqual({ runAsUser: null });
    expect(find(r, RELEASE, "langfuse").inputs.allowNullValues).toBe(true);
    expect(runPolicies(r.resources, ctx).violations).toEqual([]);
  });
});

describe("under the real engine", () => {
  it("stops the program on each unset managed-store credential, naming the setting, before registering anything", () => {
    // What infra/index.ts runs under `pulumi up`: readSettings() with no options.
    const cfg = loadStackConfig("rosa");
    pulumi.runtime.setAllConfig(cfg.config, cfg.secretKeys);
    let error: unknown;
    try {
      readSettings();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      "ambient-langfuse:externalPostgres.password is not set: Langfuse connects to the managed PostgreSQL with it; set it with `pulumi config set --secret --path externalPostgres.password <value>`",
      "ambient-langfuse:externalRedis.password is not set: Langfuse authenticates to the managed Redis with it; set it with `pulumi config set --secret --path externalRedis.password <value>`",
    ]);
  });

  it("runs with the credentials set as secrets, taking each from its setting", async () => {
    const set = withSettings("rosa", {
      externalPostgres: { ...JSON.parse(loadStackConfig("rosa").config["ambient-langfuse:externalPostgres"]), password: { secure: "v1:cGc=" } },
      externalRedis: { ...JSON.parse(loadStackConfig("rosa").config["ambient-langfuse:externalRedis"]), password: { secure: "v1:cmQ=" } },
    });
    pulumi.runtime.setAllConfig(set.config, set.secretKeys);
    expect(readSettings().unsetCredentials).toEqual([]);
    const r = await renderStack("rosa", set);
    expect(r.unsetCredentials).toEqual([]);
    expect(runPolicies(r.resources, ctx).violations).toEqual([]);
  });
});

describe("the policies rosa brought catch what they guard against", () => {
  const mutated = (base: Rendering, mutate: (rs: PlannedResource[]) => void) => {
    const copy = structuredClone(base.resources);
    mutate(copy);
    return copy;
  };
  const check = (policy: Policy, rs: PlannedResource[]) => policy.check(rs, ctx);

  it("production-ready: one web and one worker pod, no disruption budget", () => {
    const rs = mutated(rosa, (r) => {
      values(r).langfuse.web.replicas = 1;
      values(r).langfuse.worker = { resources: values(r).langfuse.worker.resources, pdb: { create: false } };
    });
    expect(check(productionReady, rs)).toEqual({
      violations: [
        { policy: "production-ready", resource: R, message: "production stack: Langfuse web runs 1 replica: run at least 2 (values.langfuse.web.replicas), so that a pod's restart or a node's drain does not take it down" },
        { policy: "production-ready", resource: R, message: "production stack: Langfuse worker runs 1 replica: run at least 2 (values.langfuse.worker.replicas), so that a pod's restart or a node's drain does not take it down" },
        { policy: "production-ready", resource: R, message: "production stack: Langfuse worker has no disruption budget: set values.langfuse.worker.pdb.create to true (chart 2.0.0 has one), so that a drain leaves a pod serving" },
      ],
    });
  });

  it("production-ready: an HPA counts by its minimum, and chart 1.5.9 is asked for no budget it cannot render", async () => {
    const hpa = mutated(rosa, (r) => (values(r).langfuse.web = { ...values(r).langfuse.web, replicas: 1, hpa: { enabled: true, minReplicas: 3 } }));
    expect(check(productionReady, hpa)).toEqual({ violations: [] });
    const v9 = await renderStack("rosa", withSettings("rosa", { chartVersion: "1.5.9", langfuseVersion: "3.124.1" }));
    expect(values(v9).langfuse.web.pdb).toBeUndefined();
    expect(check(productionReady, v9.resources)).toEqual({ violations: [] });
  });

  it("production-ready: a production stack with protect off", async () => {
    const r = await renderStack("rosa", withSettings("rosa", { protect: false }));
    expect(check(productionReady, r.resources)).toEqual({
      violations: [
        { policy: "production-ready", resource: `${NAMESPACE}::langfuse`, message: 'production stack: namespace "langfuse" is not protected: set protect to true (deleting it deletes every volume and Secret in it)' },
        { policy: "production-ready", resource: `${SECRET}::internal`, message: 'production stack: Secret "langfuse-internal", which Langfuse reads its own secrets from, is not protected: set protect to true (a new salt or encryption key makes every API key and stored credential unusable)' },
        { policy: "production-ready", resource: `${SECRET}::bootstrap`, message: 'production stack: Secret "langfuse-bootstrap", which Langfuse reads its own secrets from, is not protected: set protect to true (a new salt or encryption key makes every API key and stored credential unusable)' },
      ],
    });
    // Outside production the same stack is none of this policy's business.
    expect(check(productionReady, dev.resources)).toEqual({ violations: [] });
  });

  it("no-fixed-uids: a UID we set, a store default left in place, and Bitnami's switch off on chart 1.5.x", async () => {
    const bundled = await renderStack("rosa", withSettings("rosa", { externalPostgres: "", externalRedis: "" }));
    const rs = mutated(bundled, (r) => {
      values(r).langfuse.securityContext.runAsUser = 1001;
      delete values(r).postgresql.podSecurityContext;
      values(r).redis.securityContext = {};
      find(r, RELEASE, "cert-manager").inputs.values.podSecurityContext = { fsGroup: 1001 };
    });
    expect(check(noFixedUids, rs)).toEqual({
      violations: [
        { policy: "no-fixed-uids", resource: `${RELEASE}::cert-manager`, message: "values.podSecurityContext.fsGroup fixes fsGroup 1001: OpenShift assigns it per namespace and refuses pods that fix one; leave it unset" },
        { policy: "no-fixed-uids", resource: R, message: "values.langfuse.securityContext.runAsUser fixes runAsUser 1001: OpenShift assigns it per namespace and refuses pods that fix one; leave it unset" },
        { policy: "no-fixed-uids", resource: R, message: "values.redis.securityContext.runAsUser stays 1000 (valkey-io/valkey 0.9.4's container securityContext): set it to null, which deletes the default, so that OpenShift assigns it" },
        { policy: "no-fixed-uids", resource: R, message: "values.postgresql.podSecurityContext.fsGroup stays 999 (chart 2.0.0's values.yaml): set it to null, which deletes the default, so that OpenShift assigns it" },
      ],
    });
    const v3 = await renderStack("rosa", withSettings("rosa", { chartVersion: "1.5.41", langfuseVersion: "3.224.1" }));
    const auto = mutated(v3, (r) => delete values(r).global.compatibility);
    expect(check(noFixedUids, auto)).toEqual({
      violations: [
        { policy: "no-fixed-uids", resource: R, message: 'values.global.compatibility.openshift.adaptSecurityContext is "auto": set it to "force", or the Bitnami stores keep UID and GID 1001 wherever the chart renders without the cluster\'s API list' },
      ],
    });
    // On kind the charts' own UIDs are fine.
    expect(check(noFixedUids, dev.resources)).toEqual({ violations: [] });
  });

  it("exposure-matches-url: a Route and an Ingress at once, a URL the Route does not serve, and a Route without TLS", () => {
    const rs = mutated(rosa, (r) => {
      values(r).langfuse.ingress = { enabled: true, className: "openshift-default", hosts: [{ host: "langfuse.apps.rosa.example.com", paths: [{ path: "/", pathType: "Prefix" }] }] };
      values(r).langfuse.nextauth.url = "https://langfuse.example.com";
      delete find(r, ROUTE, "langfuse").inputs.spec.tls;
    });
    expect(check(exposureMatchesUrl, rs)).toEqual({
      violations: [
        { policy: "exposure-matches-url", resource: R, message: "the web Service is exposed 2 ways (the chart's Ingress, Route \"langfuse\"): keep one, so that one URL is NextAuth's" },
        { policy: "exposure-matches-url", resource: R, message: 'values.langfuse.nextauth.url is "https://langfuse.example.com", but the chart\'s Ingress serves http://langfuse.apps.rosa.example.com: sign-in redirects need them equal' },
        { policy: "exposure-matches-url", resource: R, message: 'values.langfuse.nextauth.url is "https://langfuse.example.com", but Route "langfuse" serves http://langfuse.apps.rosa.example.com: sign-in redirects need them equal' },
        { policy: "exposure-matches-url", resource: `${ROUTE}::langfuse`, message: 'Route "langfuse" has tls null: terminate TLS at the edge (termination: edge) and redirect plain HTTP (insecureEdgeTerminationPolicy: Redirect), so that no session cookie crosses the network in clear' },
      ],
    });
  });

  it("exposure-matches-url: nothing exposing the web Service, and kind's http URL against its Ingress", () => {
    const none = mutated(rosa, (r) => r.splice(r.indexOf(find(r, ROUTE, "langfuse")), 1));
    expect(check(exposureMatchesUrl, none)).toEqual({
      violations: [{ policy: "exposure-matches-url", resource: R, message: "nothing exposes the web Service langfuse-web: enable the chart's Ingress or add a Route to it" }],
    });
    expect(check(exposureMatchesUrl, dev.resources)).toEqual({ violations: [] });
    const https = mutated(dev, (r) => (values(r).langfuse.nextauth.url = "https://langfuse.local"));
    expect(check(exposureMatchesUrl, https)).toEqual({
      violations: [{ policy: "exposure-matches-url", resource: R, message: 'values.langfuse.nextauth.url is "https://langfuse.local", but the chart\'s Ingress serves http://langfuse.local: sign-in redirects need them equal' }],
    });
  });
});

describe("npm run plan -- --stack rosa", () => {
  it("exits 0 and shows a Route and no Ingress, no fixed UIDs, the managed stores, the replicas, the protection, and what to set before `pulumi up`", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "plan-rosa-"));
    for (const f of ["Pulumi.yaml", "Pulumi.rosa.yaml"]) cpSync(path.join(REPO_ROOT, f), path.join(root, f));
    const { stdout } = await run(process.execPath, [path.join(REPO_ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(REPO_ROOT, "infra/plan.ts"), "--stack", "rosa", "--root", root], { cwd: REPO_ROOT });
    expect(stdout).toContain("0 violation(s)");
    for (const policy of ["exposure-matches-url", "no-fixed-uids", "production-ready", "kubernetes-schema"]) expect(stdout).toMatch(new RegExp(`'${policy}' +│ 'passed'`));
    expect(stdout).toMatch(/'kubernetes:route\.openshift\.io\/v1:Route' +│ 1 /);
    expect(stdout).toContain(
      "internal secrets adopted: none; generated: salt, encryptionKey, nextauthSecret, clickhousePassword; " +
        "from the managed stores' settings: postgresPassword, redisPassword; none kept for s3User, s3Password (S3 through the service account's role)",
    );
    expect(stdout).toContain("set before `pulumi up`");
    expect(stdout).toContain("  pulumi config set --stack rosa --secret --path externalPostgres.password <value>\n  pulumi config set --stack rosa --secret --path externalRedis.password <value>\n");

    const dir = path.join(root, "plan", "rosa");
    const manifests = readdirSync(path.join(dir, "manifests"));
    expect(manifests).toContain("route-langfuse-langfuse.yaml");
    expect(manifests.filter((f) => f.startsWith("ingress"))).toEqual([]);
    const planned: PlannedResource[] = JSON.parse(readFileSync(path.join(dir, "resources.json"), "utf8"));
    const v = values(planned);
    expect(v.langfuse.ingress).toBeUndefined();
    expect(JSON.stringify(v)).not.toMatch(/"(runAsUser|runAsGroup|fsGroup)":\d/);
    expect([v.postgresql.deploy, v.redis.deploy, v.s3.deploy]).toEqual([false, false, false]);
    expect(planned.filter((r) => r.type.startsWith("random:")).map((r) => r.name).filter((n) => /postgres|redis|s3/.test(n))).toEqual([]);
    expect([v.clickhouse.cluster.replicas, v.langfuse.web.replicas, v.langfuse.worker.replicas]).toEqual([3, 2, 2]);
    expect(find(planned, NAMESPACE, "langfuse").options.protect).toBe(true);
    expect(find(planned, SECRET, "internal").options.protect).toBe(true);
    expect(find(planned, SECRET, "bootstrap").options.protect).toBe(true);
    expect(find(planned, SECRET, "project-team-a-keys").options.protect).toBe(false);

    // The namespace's fence: the router's policy group, ClickHouse and its Keepers, nothing for the managed stores.
    expect(stdout).toMatch(/'kubernetes:networking.k8s.io\/v1:NetworkPolicy' +│ 4 /);
    expect(stdout).toMatch(/'langfuse-namespace-fenced' +│ 'passed'/);
    expect(manifests.filter((f) => f.startsWith("networkpolicy-")).sort()).toEqual(
      ["clickhouse-keeper", "clickhouse", "default-deny-ingress", "web"].map((n) => `networkpolicy-langfuse-langfuse-${n}.yaml`),
    );
    const web = parse(readFileSync(path.join(dir, "manifests", "networkpolicy-langfuse-langfuse-web.yaml"), "utf8"));
    expect(web.spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { "policy-group.network.openshift.io/ingress": "" } } },
      { namespaceSelector: { matchLabels: { "ambient-code.io/managed": "true" } } },
    ]);
  });
});
