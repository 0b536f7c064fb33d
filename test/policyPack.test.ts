// The CrossGuard pack (policy-pack/): its declaration, the runtime dependencies it declares, and
// each of its policies' validateStack called directly with the stack's resources shaped as the
// engine passes them at `pulumi preview`: props through @pulumi/policy's own unknown-checking
// proxy, secrets unwrapped, values made from random results unknown (the engine's sentinel), a
// component's registered outputs instead of its inputs, the stack and its provider among them.
// PolicyPack itself is never constructed here (it starts a gRPC server): policy-pack/index.ts does
// that, and `npm run typecheck` compiles it.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { POLICIES } from "../infra/policies";
import { type Rendering, renderStack } from "../infra/render/mockHarness";
import { REPO_ROOT, loadStackConfig } from "../infra/render/stackConfig";
import { LEFT_OUT, PACK_NAME, PACK_POLICIES, packArgs } from "../policy-pack/pack";

// The engine's wrapper of props (@pulumi/policy's server wraps every resource's props in it), and
// its sentinel for a string it cannot know yet. Exported at run time, not in the type declarations.
const { unknownCheckingProxy } = require("@pulumi/policy") as { unknownCheckingProxy<T>(props: T): T };
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const PACK_DIR = path.join(REPO_ROOT, "policy-pack");
const RELEASE = "kubernetes:helm.sh/v3:Release";

/** Props as the engine passes them: secrets unwrapped, unknowns as the engine's sentinel. */
function engineProps(value: unknown): unknown {
  if (value !== null && typeof value === "object" && (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) {
    return engineProps((value as { value: unknown }).value);
  }
  if (value !== null && typeof value === "object" && value.constructor?.name === "Unknown") return UNKNOWN_STRING;
  if (value === UNKNOWN_STRING) return UNKNOWN_STRING;
  if (Array.isArray(value)) return value.map(engineProps);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, engineProps(v)]));
  return value;
}

const STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * The stack's resources as validateStack receives them. Custom resources carry their inputs (what
 * the Kubernetes provider previews as outputs), components what they registered as outputs.
 */
function engineResources(r: Rendering, mutate: (props: Map<string, any>) => void = () => undefined): PolicyResource[] {
  const key = (type: string, name: string) => `${type}::${name}`;
  const props = new Map<string, any>();
  for (const res of r.resources) {
    const k = key(res.type, res.name);
    const isComponent = res.type.startsWith("ambient-langfuse:");
    props.set(k, engineProps(isComponent ? (r.registeredOutputs.get(k) ?? {}) : r.rawInputs.get(k)));
  }
  mutate(props);
  const urn = (type: string, name: string) => `urn:pulumi:${r.stack}::ambient-langfuse::${type}::${name}`;
  const base = (type: string, name: string, p: Record<string, unknown>, protect = false): PolicyResource => ({
    type,
    name,
    urn: urn(type, name),
    props: unknownCheckingProxy(p),
    opts: { protect, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  });
  const stack = base(STACK_TYPE, `ambient-langfuse-${r.stack}`, {});
  const provider = base("pulumi:providers:kubernetes", "default_4_34_2", { version: "4.34.2" });
  const byKey = new Map<string, PolicyResource>();
  for (const res of r.resources) {
    const k = key(res.type, res.name);
    if (!props.has(k)) continue;
    byKey.set(k, base(res.type, res.name, props.get(k), res.options.protect));
  }
  const resolved = (keys: string[]) => keys.map((d) => byKey.get(d)).filter((d): d is PolicyResource => d !== undefined);
  for (const res of r.resources) {
    const resource = byKey.get(key(res.type, res.name));
    if (resource === undefined) continue;
    resource.parent = res.parent === null ? stack : byKey.get(res.parent);
    // The engine records, per input, the resources its value was made from, and counts them among the dependencies.
    resource.propertyDependencies = Object.fromEntries(Object.entries(res.propertyDependencies).map(([k, deps]) => [k, resolved(deps)]));
    const fromInputs = Object.values(res.propertyDependencies).flat();
    resource.dependencies = [...resolved([...new Set([...res.options.dependsOn, ...fromInputs])]), provider];
  }
  return [stack, provider, ...byKey.values()];
}

interface Reported {
  policy: string;
  message: string;
  urn: string | undefined;
}

/** Runs every pack policy's validateStack as the engine would, collecting what they report. */
async function validate(resources: PolicyResource[], policies = packArgs.policies as StackValidationPolicy[]): Promise<Reported[]> {
  const reported: Reported[] = [];
  for (const policy of policies) {
    const report: ReportViolation = (message, urn) => reported.push({ policy: policy.name, message, urn });
    const args: StackValidationArgs = {
      resources,
      getConfig: <T extends object>() => ({}) as T,
      notApplicable: (reason?: string) => {
        throw new Error(`not applicable: ${reason}`);
      },
    } as StackValidationArgs;
    await policy.validateStack(args, report);
  }
  return reported;
}

const render = (stack: string, settings: Record<string, unknown> = {}, preview = true) =>
  renderStack(stack, loadStackConfig(stack, REPO_ROOT, settings), undefined, { preview });

/** Every project with a pair of its own, as `pulumi config set --secret --path 'projects[N].publicKey'` writes them. */
const STRICT = {
  isolation: "strict",
  projects: ["team-a", "team-b"].map((namespace, i) => ({
    namespace,
    publicKey: { secure: `v1:cHVibGljLWtleS0${i}` },
    secretKey: { secure: `v1:c2VjcmV0LWtleS0${i}` },
  })),
};

let dev: Rendering;
let rosa: Rendering;
let v3: Rendering;
let strict: Rendering;
let strictApplied: Rendering;
beforeAll(async () => {
  dev = await render("dev");
  rosa = await render("rosa");
  v3 = await render("dev", { chartVersion: "1.5.41", langfuseVersion: "3.224.1" });
  strict = await render("dev", STRICT);
  strictApplied = await render("dev", STRICT, false);
});

describe("the pack's declaration", () => {
  it("is a nodejs policy pack whose entry is index.ts, mandatory", () => {
    expect(parse(readFileSync(path.join(PACK_DIR, "PulumiPolicy.yaml"), "utf8"))).toMatchObject({ runtime: "nodejs" });
    const manifest = JSON.parse(readFileSync(path.join(PACK_DIR, "package.json"), "utf8"));
    expect(manifest.main).toBe("index.ts");
    expect(existsSync(path.join(PACK_DIR, manifest.main))).toBe(true);
    expect(PACK_NAME).toBe("ambient-langfuse");
    expect(packArgs.enforcementLevel).toBe("mandatory");
    // Only the CLI constructs the pack: the entry does nothing else.
    expect(readFileSync(path.join(PACK_DIR, "index.ts"), "utf8")).toMatch(/new PolicyPack\(PACK_NAME, packArgs\);/);
  });

  it("exposes every plan policy but the ones it lists as left out, in the plan's order, and the README names those with why", () => {
    const left = Object.keys(LEFT_OUT);
    expect(packArgs.policies.map((p) => p.name)).toEqual(POLICIES.map((p) => p.name).filter((n) => !left.includes(n)));
    expect(PACK_POLICIES.map((p) => p.name)).toEqual(packArgs.policies.map((p) => p.name));
    expect(left.sort()).toEqual(["chart-value-paths-exist", "generated-secrets-are-pulumi-secrets", "no-fixed-uids"]);
    const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## The CrossGuard pack"));
    for (const name of left) expect(section, name).toMatch(new RegExp(`\`${name}\`[^\\n]*:`));
    expect(section).toContain("pulumi preview --stack dev --policy-pack policy-pack");
  });

  it("declares, in its own package.json, every package its entry loads, pinned, with @pulumi/policy's own dependencies satisfied", () => {
    const manifest = JSON.parse(readFileSync(path.join(PACK_DIR, "package.json"), "utf8"));
    const declared = manifest.dependencies as Record<string, string>;
    // Every file the entry loads, following relative imports from policy-pack/index.ts.
    const packages = new Set<string>();
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, "utf8");
      for (const m of source.matchAll(/(?:^|\n)import[^"]*?from\s+"([^"]+)"|require\("([^"]+)"\)/g)) {
        const spec = m[1] ?? m[2];
        if (spec.startsWith(".")) {
          const base = path.resolve(path.dirname(file), spec);
          visit([`${base}.ts`, path.join(base, "index.ts")].find((f) => existsSync(f)) ?? `${base}.ts`);
        }
        else if (!spec.startsWith("node:")) packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
      }
    };
    visit(path.join(PACK_DIR, "index.ts"));
    // Of the program, the pack loads only the policies and the validators and record format they share.
    expect([...seen].map((f) => path.relative(REPO_ROOT, f)).filter((f) => f.startsWith("infra/") && !f.startsWith("infra/policies/")).sort()).toEqual([
      "infra/kubernetesNames.ts",
      "infra/render/redact.ts",
    ]);
    for (const pkg of packages) expect(declared[pkg], `${pkg} is loaded by the pack`).toMatch(/^\d+\.\d+\.\d+$/);
    // Besides what the files import: the runtime the CLI runs the pack with (@pulumi/pulumi's policy
    // host), TypeScript and Node's types (ts-node compiles and type-checks the entry), and the
    // schemas kubernetes-schema loads by apiVersion. Nothing declared goes unused.
    const runtime = ["@pulumi/pulumi", "typescript", "@types/node", "kubernetes-models"];
    expect(Object.keys(declared).sort()).toEqual([...new Set([...packages, ...runtime])].sort());
    const policyManifest = JSON.parse(readFileSync(require.resolve("@pulumi/policy/package.json"), "utf8"));
    expect(policyManifest.version.replace(/^v/, "")).toBe(declared["@pulumi/policy"]);
    const range = policyManifest.dependencies["@pulumi/pulumi"];
    const [wantMajor, wantMinor] = range.replace(/^\^/, "").split(".").map(Number);
    const [major, minor] = declared["@pulumi/pulumi"].split(".").map(Number);
    expect(range.startsWith("^") && major === wantMajor && minor >= wantMinor, `${range} against ${declared["@pulumi/pulumi"]}`).toBe(true);
    // The root program pins the same @pulumi/pulumi: one copy serves both.
    expect(declared["@pulumi/pulumi"]).toBe(JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"]);
  });
});

describe("the pack on a stack as the engine shows it at preview", () => {
  it.each([
    ["dev", () => dev],
    ["rosa", () => rosa],
    ["a stack on chart 1.5.41", () => v3],
    ["a strict stack, every project on its own pair", () => strict],
  ])("%s: every policy runs, reading past the values preview cannot know, and reports nothing", async (_name, rendering) => {
    const resources = engineResources(rendering());
    // What the engine would hide: the Secrets' data, made from random values, is unknown.
    const internal = resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "internal")!;
    expect(() => internal.props.stringData).toThrow(/can't be known during preview/);
    expect(await validate(resources)).toEqual([]);
  });

  it("after `pulumi up`, with every value known, reports nothing either", async () => {
    const applied = await render("dev", {}, false);
    expect(await validate(engineResources(applied))).toEqual([]);
  });
});

describe("each pack policy refuses what it guards against, on engine-shaped resources", () => {
  const R = (stack: string, type: string, name: string) => `urn:pulumi:${stack}::ambient-langfuse::${type}::${name}`;
  const release = (p: Map<string, any>) => p.get(`${RELEASE}::langfuse`);
  // Each case: the policy, the stack, the change, the resource reported, the message (empty: the
  // schema's own), and the other policies the same change trips.
  const cases: [string, () => Rendering, (p: Map<string, any>) => void, string, string, string[]?][] = [
    [
      "no-literal-secrets",
      () => dev,
      (p) => (p.get("kubernetes:core/v1:ConfigMap::project-team-a-config").data.LANGFUSE_PUBLIC = "pk-lf-9f8e7d6c-1111-4222-8333-444455556666"),
      "kubernetes:core/v1:ConfigMap::project-team-a-config",
      "data.LANGFUSE_PUBLIC holds Langfuse key material: put it in a Secret",
    ],
    [
      "secret-refs-resolve",
      () => dev,
      (p) => (release(p).values.clickhouse.auth.existingSecret = "clickhouse-by-hand"),
      `${RELEASE}::langfuse`,
      'values.clickhouse.auth.existingSecretKey names Secret "clickhouse-by-hand", which this program does not create in namespace "langfuse"',
    ],
    [
      "chart-secrets-pinned",
      () => dev,
      (p) => delete release(p).values.langfuse.salt,
      `${RELEASE}::langfuse`,
      "values.langfuse.salt is left empty: the chart would generate it into <release>-app with `lookup`, a new value wherever the cluster cannot be read (helm template, a GitOps render); it hashes every API key; give it by reference to a Secret this program creates",
    ],
    [
      "exact-chart-version",
      () => dev,
      (p) => (release(p).version = "^2.0.0"),
      `${RELEASE}::langfuse`,
      'chart version "^2.0.0" is not exact: pin a version such as 2.0.0',
      // A range names no chart line: the policies with rules per line cannot judge it either.
      ["chart-secrets-pinned", "langfuse-namespace-fenced"],
    ],
    [
      "exposure-matches-url",
      () => dev,
      (p) => (release(p).values.langfuse.nextauth.url = "http://langfuse.example.com"),
      `${RELEASE}::langfuse`,
      'values.langfuse.nextauth.url is "http://langfuse.example.com", but the chart\'s Ingress serves http://langfuse.local: sign-in redirects need them equal',
    ],
    [
      "production-ready",
      () => rosa,
      (p) => (release(p).values.langfuse.web.replicas = 1),
      `${RELEASE}::langfuse`,
      "production stack: Langfuse web runs 1 replica: run at least 2 (values.langfuse.web.replicas), so that a pod's restart or a node's drain does not take it down",
    ],
    [
      "langfuse-namespace-fenced",
      () => dev,
      (p) => (p.get("kubernetes:networking.k8s.io/v1:NetworkPolicy::langfuse-default-deny-ingress").spec.podSelector = { matchLabels: { app: "nothing" } }),
      `${RELEASE}::langfuse`,
      'no NetworkPolicy in namespace "langfuse" denies ingress by default: add one whose podSelector is {} with no ingress rule, so that a pod no rule names is closed to every other pod of the cluster',
    ],
    [
      "kubernetes-schema",
      () => dev,
      (p) => (p.get("kubernetes:networking.k8s.io/v1:NetworkPolicy::langfuse-web").spec.ingress[0].ports[0].port = true),
      "kubernetes:networking.k8s.io/v1:NetworkPolicy::langfuse-web",
      "",
      ["langfuse-namespace-fenced"],
    ],
    [
      "dns1123-names",
      () => dev,
      (p) => (p.get("kubernetes:core/v1:ConfigMap::project-team-a-config").metadata.name = "Langfuse_Config"),
      "kubernetes:core/v1:ConfigMap::project-team-a-config",
      'metadata.name "Langfuse_Config" is not a DNS-1123 subdomain',
      ["project-wiring-complete"],
    ],
    [
      "project-keys-stay-home",
      () => dev,
      (p) => (p.get("kubernetes:core/v1:Secret::project-team-a-keys").metadata.namespace = "default"),
      "kubernetes:core/v1:Secret::project-team-a-keys",
      'langfuse-keys in namespace "default", which is not a listed project: project keys belong only in project namespaces',
      ["project-wiring-complete"],
    ],
    [
      "project-wiring-complete",
      () => dev,
      (p) => (p.get("kubernetes:core/v1:ConfigMap::project-team-b-config").metadata.name = "langfuse-settings"),
      "ambient-langfuse:projects:ProjectWiring::project-team-b",
      'project "team-b" has 0 ConfigMap langfuse-config (exactly one expected)',
    ],
    [
      "strict-projects-own-keys",
      () => strictApplied,
      // After an update every value is known: team-a's Secret holding the bootstrap pair's public key.
      (p) => (p.get("kubernetes:core/v1:Secret::project-team-a-keys").stringData.LANGFUSE_PUBLIC_KEY = p.get("kubernetes:core/v1:Secret::bootstrap").stringData["public-key"]),
      "kubernetes:core/v1:Secret::project-team-a-keys",
      'langfuse-keys in namespace "team-a": LANGFUSE_PUBLIC_KEY is the bootstrap pair\'s (LANGFUSE_INIT_PROJECT_PUBLIC_KEY; values not shown); ' +
        "under isolation strict each project holds a key pair of its own, created in the Langfuse UI in its own Langfuse project",
    ],
    [
      "admission-policy-targets-runners",
      () => dev,
      (p) => (p.get("kubernetes:admissionregistration.k8s.io/v1:MutatingAdmissionPolicy::runner-pod-patch-policy").spec.failurePolicy = "Fail"),
      "kubernetes:admissionregistration.k8s.io/v1:MutatingAdmissionPolicy::runner-pod-patch-policy",
      "spec.failurePolicy must be Ignore: a failing policy must never block a session",
    ],
    [
      "config-url-points-at-release",
      () => dev,
      (p) => (p.get("kubernetes:core/v1:ConfigMap::project-team-a-config").data.LANGFUSE_HOST = "http://langfuse-web.langfuse.svc.cluster.local:3030"),
      "kubernetes:core/v1:ConfigMap::project-team-a-config",
      'data.LANGFUSE_HOST is "http://langfuse-web.langfuse.svc.cluster.local:3030", not the release\'s web service (http://langfuse-web.langfuse.svc.cluster.local:3000)',
    ],
    [
      "patched-env-refs-optional",
      () => rosa,
      (p) => (p.get("kubernetes:apps/v1:DeploymentPatch::operator-env-deployment").spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.optional = false),
      "kubernetes:apps/v1:DeploymentPatch::operator-env-deployment",
      'spec.template.spec.containers[0].env[0] references Secret "ambient-admin-langfuse-secret" without optional: true',
    ],
  ];

  it.each(cases)("%s", async (name, rendering, mutate, resource, message, also = []) => {
    const r = rendering();
    const reported = (await validate(engineResources(r, mutate))).filter((x) => x.policy === name);
    const [type, ...rest] = resource.split("::");
    expect(reported.length, JSON.stringify(reported)).toBeGreaterThan(0);
    expect(reported[0].urn).toBe(R(r.stack, type, rest.join("::")));
    if (message) expect(reported.map((x) => x.message)).toContain(message);
    else expect(reported[0].message).toMatch(/^NetworkPolicy does not validate: /);
    // Nothing else is reported but what the same change trips.
    expect([...new Set((await validate(engineResources(r, mutate))).filter((x) => x.policy !== name).map((x) => x.policy))]).toEqual(also);
  });

  it("releases-in-order: a Langfuse release the engine records without its dependency on the operator", async () => {
    const resources = engineResources(dev);
    const langfuse = resources.find((r) => r.type === RELEASE && r.name === "langfuse")!;
    langfuse.dependencies = langfuse.dependencies.filter((d) => d.name !== "clickhouse-operator");
    const reported = await validate(resources);
    expect(reported).toEqual([
      {
        policy: "releases-in-order",
        message: `Langfuse (release "langfuse") does not wait for the ClickHouse operator (its CRDs and webhook), release "clickhouse-operator": add ${RELEASE}::clickhouse-operator to its dependsOn`,
        urn: langfuse.urn,
      },
    ]);
  });

  it("every pack policy has a case above", () => {
    expect([...cases.map(([n]) => n), "releases-in-order"].sort()).toEqual(PACK_POLICIES.map((p) => p.name).sort());
  });
});

describe("values preview cannot know", () => {
  it("a Secret whose data is unknown is named, but its keys are not judged until they are known", async () => {
    const resources = engineResources(dev, (p) => (p.get(`${RELEASE}::langfuse`).values.clickhouse.auth.existingSecretKey = "no-such-key"));
    expect(await validate(resources)).toEqual([]);
    const applied = await render("dev", {}, false);
    const reported = await validate(engineResources(applied, (p) => (p.get(`${RELEASE}::langfuse`).values.clickhouse.auth.existingSecretKey = "no-such-key")));
    expect(reported.map((x) => [x.policy, x.message.split(",")[0]])).toEqual([
      ["secret-refs-resolve", 'values.clickhouse.auth.existingSecretKey names key "no-such-key"'],
    ]);
  });
});

describe("strict-projects-own-keys at preview, where the bootstrap pair is not known yet", () => {
  const SECRET = "kubernetes:core/v1:Secret";
  /** team-a's Secret as a wiring that feeds it the bootstrap pair registers it: made from the pair's generators, its data unknown. */
  const fedFromBootstrap = (r: Rendering) => {
    const resources = engineResources(r, (p) => (p.get(`${SECRET}::project-team-a-keys`).stringData = UNKNOWN_STRING));
    const find = (type: string, name: string) => resources.find((x) => x.type === type && x.name === name)!;
    const teamA = find(SECRET, "project-team-a-keys");
    teamA.propertyDependencies = { stringData: ["bootstrap-publicKey", "bootstrap-secretKey"].map((n) => find("random:index/randomUuid:RandomUuid", n)) };
    return { resources, teamA };
  };

  it("reads each project's own pair as known and the bootstrap Secret's data as unknown, and reports nothing", async () => {
    const resources = engineResources(strict);
    const secret = (name: string) => resources.find((x) => x.type === SECRET && x.name === name)!;
    expect(() => secret("bootstrap").props.stringData).toThrow(/can't be known during preview/);
    expect(secret("project-team-a-keys").props.stringData.LANGFUSE_PUBLIC_KEY).toMatch(/^pk-lf-/);
    expect(secret("project-team-a-keys").propertyDependencies).toEqual({});
    expect(await validate(resources)).toEqual([]);
  });

  it("refuses a langfuse-keys Secret the engine records as made from the bootstrap pair's generators, on its URN", async () => {
    const { resources, teamA } = fedFromBootstrap(strict);
    expect(await validate(resources)).toEqual([
      {
        policy: "strict-projects-own-keys",
        message:
          'langfuse-keys in namespace "team-a" is made from random:index/randomUuid:RandomUuid::bootstrap-publicKey, ' +
          'random:index/randomUuid:RandomUuid::bootstrap-secretKey, as Secret "langfuse-bootstrap" that Langfuse\'s headless initialisation ' +
          "reads its key pair from: it is fed from the bootstrap pair; under isolation strict each project holds a key pair of its own, " +
          "created in the Langfuse UI in its own Langfuse project",
        urn: teamA.urn,
      },
    ]);
  });

  it("reads the isolation from what each project's wiring registers: the same Secret on a shared stack passes", async () => {
    const wiring = engineResources(strict).find((x) => x.type === "ambient-langfuse:projects:ProjectWiring" && x.name === "project-team-a")!;
    expect(wiring.props).toMatchObject({ namespace: "team-a", keySource: "own", isolation: "strict" });
    expect(await validate(fedFromBootstrap(dev).resources)).toEqual([]);
  });
});
