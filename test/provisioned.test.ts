// Licensed provisioning (`isolation: provisioned`): the licence and what it needs, the licence and
// the admin API key handed to the chart by reference on every chart line, the program's organisation
// key, Langfuse project and key pair per platform project as dynamic resources (own pairs kept), the
// plan that shows them without any key, and the policy that keeps a provisioned pair in its own
// namespace. The requests those resources make are held to Langfuse's specs in langfuseApi.test.ts.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError, parseSettings, type Settings } from "../infra/config";
import { chartValues } from "../infra/langfuse/chartValues";
import { platformProfile } from "../infra/platform";
import { type PlannedResource, POLICIES, referenceContext, runPolicies } from "../infra/policies";
import { chartHasPath, leafPaths } from "../infra/policies/chartValuePathsExist";
import { provisionedPairsStayHome } from "../infra/policies/provisionedPairsStayHome";
import { type Rendering, renderStack } from "../infra/render/mockHarness";
import { REPO_ROOT, loadStackConfig } from "../infra/render/stackConfig";
import { StackFileError } from "../infra/render/stackFile";
import { filesUnder, npmPlan, projectDir as planProject } from "./planRuns";

const LICENSE = "langfuse_ee_7d1f0c9b2a4e48d6b3c5a1e9f0d2b4c6";
const TEAM_A = { publicKey: "pk-lf-5f0c2b7e-91d4-4a63-b8e1-2c7d9a04f6b3", secretKey: "sk-lf-a83e6d10-4c2f-4b95-9e7a-61f0d3c8b2e4" };
const minimal = { adminEmail: "admin@example.com" };
const projectDir = (stackFiles: Record<string, string>) => planProject(stackFiles, "provisioned-");

/** Settings as the real engine hands them over: decrypted, the secret settings marked. */
function engineSettings(raw: Record<string, string>, secret: string[] = ["licenseKey", "projects"]): Settings {
  return parseSettings({ ...minimal, ...raw }, new Set(secret));
}

function problemsOf(raw: Record<string, string>, secret?: string[]): string[] {
  try {
    engineSettings(raw, secret);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

const projects = (...entries: unknown[]) => JSON.stringify(entries);

describe("isolation: provisioned, read as the real engine hands it over", () => {
  it("needs the licence, naming the setting and the command that sets it", () => {
    expect(problemsOf({ isolation: "provisioned", projects: projects("team-a") })).toEqual([
      'ambient-langfuse:isolation is "provisioned", but ambient-langfuse:licenseKey is not set: creating Langfuse projects and keys through ' +
        "its API needs an Enterprise licence; set it with `pulumi config set --secret licenseKey <langfuse_ee_…>`, or use isolation " +
        '"shared" or "strict"',
    ]);
  });

  it("provisions every project without a pair of its own and keeps the pair a project has", () => {
    const s = engineSettings({ isolation: "provisioned", licenseKey: LICENSE, projects: projects({ namespace: "team-a", ...TEAM_A }, "team-b", { namespace: "team-c", displayName: "Team C" }) });
    expect(s.projects.map((p) => [p.namespace, p.keys.source])).toEqual([
      ["team-a", "own"],
      ["team-b", "provisioned"],
      ["team-c", "provisioned"],
    ]);
    expect([s.licenseKey, s.warnings]).toEqual([LICENSE, []]);
  });

  it("takes the licence only as a secret, never echoing it", () => {
    const problems = problemsOf({ isolation: "provisioned", licenseKey: LICENSE, projects: projects("team-a") }, []);
    expect(problems).toEqual([
      "ambient-langfuse:licenseKey is in plain text (its value is not shown): remove it from the stack file and set it with " +
        "`pulumi config set --secret licenseKey <value>`",
    ]);
    expect(problems.join("\n")).not.toContain(LICENSE.slice(12));
  });

  it("refuses a Pro licence for provisioning (no admin API) and anything that is no Langfuse licence, never echoing either", () => {
    const pro = "langfuse_pro_0a1b2c3d4e5f";
    expect(problemsOf({ isolation: "provisioned", licenseKey: pro, projects: projects("team-a") })).toEqual([
      'ambient-langfuse:licenseKey is a Pro licence (langfuse_pro_…; its value is not shown), which has no admin API: isolation "provisioned" ' +
        "needs an Enterprise licence (langfuse_ee_…)",
    ]);
    // Without provisioning a Pro licence is just handed to Langfuse.
    expect(engineSettings({ licenseKey: pro }).licenseKey).toBe(pro);
    const problems = problemsOf({ licenseKey: "ee-0a1b2c3d4e5f" });
    expect(problems).toEqual([
      "ambient-langfuse:licenseKey is not a Langfuse licence key (its value is not shown): Langfuse's licence keys start with langfuse_ee_ " +
        "(Enterprise) or langfuse_pro_ (Pro)",
    ]);
    expect(problems.join("\n")).not.toContain("0a1b2c3d4e5f");
  });

  const OPERATOR_ENV =
    'ambient-langfuse:operatorIntegration is "operator-env", but ambient-langfuse:isolation is "provisioned": the operator hands every ' +
    "runner its one shared key as explicit env entries (LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY), which win over the envFrom that would " +
    "carry a project's own langfuse-keys, so its runners would still write into the shared project; use operatorIntegration " +
    '"admission-policy" where the cluster has the MutatingAdmissionPolicy API, or keep every project on the shared pair (isolation ' +
    '"shared", no publicKey or secretKey)';

  it("needs an integration that hands each project its own pair, as own pairs do", () => {
    expect(problemsOf({ isolation: "provisioned", licenseKey: LICENSE, projects: projects("team-a"), operatorIntegration: "operator-env" })).toEqual([OPERATOR_ENV]);
    expect(engineSettings({ isolation: "provisioned", licenseKey: LICENSE, projects: projects("team-a"), operatorIntegration: "none" }).warnings).toEqual([
      'ambient-langfuse:operatorIntegration is "none", and ambient-langfuse:isolation is "provisioned": the program writes each project\'s ' +
        "pair into its namespace's langfuse-keys and hands it to no runner pod; wiring runners to read langfuse-keys (envFrom) is yours, " +
        "and a runner given another key writes into that key's Langfuse project",
    ]);
  });

  it("refuses a namespace Langfuse cannot name a project after, and one of the bootstrap project's name, naming each entry", () => {
    expect(problemsOf({ isolation: "provisioned", licenseKey: LICENSE, projects: projects("ab", "ambient-code-platform", { namespace: "cd", ...TEAM_A }) })).toEqual([
      'ambient-langfuse:projects[0] (ab) would be provisioned as the Langfuse project "ab", but Langfuse takes project names of 3 to 60 ' +
        "characters: give the project a key pair of its own (publicKey, secretKey) made in a Langfuse project of another name",
      'ambient-langfuse:projects[1] (ambient-code-platform) would be provisioned as the Langfuse project "ambient-code-platform", the bootstrap ' +
        "project's name (ambient-langfuse:projectName): the program would adopt the shared project; rename the bootstrap project " +
        "(projectName) before its first deployment, or give this project a key pair of its own",
    ]);
  });

  it("calls Langfuse at the external URL unless langfuseApiUrl says where it answers from here", () => {
    expect(engineSettings({}).langfuseApiUrl).toBeUndefined();
    expect(engineSettings({ langfuseApiUrl: "http://localhost:3000/" }).langfuseApiUrl).toBe("http://localhost:3000");
    expect(engineSettings({ langfuseApiUrl: "https://langfuse.internal.example.com/langfuse/" }).langfuseApiUrl).toBe("https://langfuse.internal.example.com/langfuse");
    expect(problemsOf({ langfuseApiUrl: "localhost:3000" })).toEqual([
      'ambient-langfuse:langfuseApiUrl is "localhost:3000": use the URL Langfuse answers at from where `pulumi up` runs, http(s) without ' +
        'query or credentials, e.g. "http://localhost:3000" through `kubectl port-forward -n langfuse svc/langfuse-web 3000`',
    ]);
  });

  it("keeps Langfuse projects unless deleteLangfuseProjects, and says that it changes nothing without provisioning", () => {
    expect(engineSettings({ isolation: "provisioned", licenseKey: LICENSE }).deleteLangfuseProjects).toBe(false);
    expect(engineSettings({ deleteLangfuseProjects: "true" }).warnings).toEqual([
      'ambient-langfuse:deleteLangfuseProjects is true, but ambient-langfuse:isolation is "shared": only provisioned Langfuse projects are ' +
        "deleted by the program, so it changes nothing here",
    ]);
  });
});

describe("the licence in the stack file", () => {
  it("stands in a licence of Langfuse's shape for a secure: value, and leaves its own shape to the real engine", () => {
    const root = projectDir({ lic: "config:\n  ambient-langfuse:adminEmail: admin@example.com\n  ambient-langfuse:licenseKey:\n    secure: v1:bGljZW5jZQ==\n" });
    const cfg = loadStackConfig("lic", root);
    expect(cfg.config["ambient-langfuse:licenseKey"]).toMatch(/^langfuse_ee_[0-9a-f]{64}$/);
    expect([cfg.secretKeys, cfg.undecrypted]).toEqual([["ambient-langfuse:licenseKey"], ["ambient-langfuse:licenseKey"]]);
  });

  it("is refused in plain text, naming its line and never quoting it", () => {
    const root = projectDir({ plain: `config:\n  ambient-langfuse:adminEmail: admin@example.com\n  ambient-langfuse:licenseKey: ${LICENSE}\n` });
    let error: unknown;
    try {
      loadStackConfig("plain", root);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StackFileError);
    expect((error as Error).message).toBe(
      `${root}/Pulumi.plain.yaml:3:32: ambient-langfuse:licenseKey is in plain text (its value is not shown): remove it from the file and ` +
        "set it with `pulumi config set --secret --path 'licenseKey' <value>`",
    );
  });
});

describe("the licence and the admin API key reach the chart by reference", () => {
  const REFERENCE = path.resolve(__dirname, "..", "..", "shared", "reference");
  const refs = {
    internalSecretName: "langfuse-internal",
    bootstrapSecretName: "langfuse-bootstrap",
    enterpriseSecretName: "langfuse-enterprise",
    storeSecretNames: { postgresql: "langfuse-internal-postgresql", redis: "langfuse-internal-redis", s3: "langfuse-internal-s3" },
  };
  const licensed = (chartVersion: string, isolation = "provisioned") =>
    chartValues(engineSettings({ chartVersion, isolation, licenseKey: LICENSE }), platformProfile("kind"), refs);

  it.each(["2.0.0", "1.5.41", "1.5.9"])("on chart %s: langfuse.licenseKey.secretKeyRef and ADMIN_API_KEY from langfuse-enterprise, paths in the chart's values.yaml", (version) => {
    const values = licensed(version);
    expect(values.langfuse.licenseKey).toEqual({ secretKeyRef: { name: "langfuse-enterprise", key: "license-key" } });
    expect(values.langfuse.additionalEnv.filter((e: { name: string }) => e.name === "ADMIN_API_KEY")).toEqual([
      { name: "ADMIN_API_KEY", valueFrom: { secretKeyRef: { name: "langfuse-enterprise", key: "admin-api-key" } } },
    ]);
    const defaults = parse(readFileSync(path.join(REFERENCE, `langfuse-chart-${version}.values.yaml`), "utf8"));
    expect(defaults.langfuse.licenseKey).toEqual({ value: "", secretKeyRef: { name: "", key: "" } });
    expect(leafPaths({ langfuse: { licenseKey: values.langfuse.licenseKey } }).filter((p) => !chartHasPath(defaults, p))).toEqual([]);
    expect(JSON.stringify(values)).not.toContain(LICENSE);
  });

  it("hands the licence alone where the stack does not provision, and neither without a licence", () => {
    const shared = licensed("2.0.0", "shared");
    expect(shared.langfuse.licenseKey).toEqual({ secretKeyRef: { name: "langfuse-enterprise", key: "license-key" } });
    expect(shared.langfuse.additionalEnv.map((e: { name: string }) => e.name)).not.toContain("ADMIN_API_KEY");
    const oss = chartValues(engineSettings({}), platformProfile("kind"), refs);
    expect(oss.langfuse.licenseKey).toBeUndefined();
    expect(oss.langfuse.additionalEnv.map((e: { name: string }) => e.name)).not.toContain("ADMIN_API_KEY");
  });
});

// The Done-when, as a user writes the stack file: three projects, one with its own pair.
const LICENSED_STACK = `config:
  ambient-langfuse:adminEmail: admin@example.com
  ambient-langfuse:isolation: provisioned
  ambient-langfuse:licenseKey:
    secure: v1:bGljZW5zZWNpcGhlcnRleHQ=
  ambient-langfuse:projects:
    - team-a
    - namespace: team-b
      displayName: Team B
      publicKey:
        secure: v1:cHVibGljY2lwaGVydGV4dA==
      secretKey:
        secure: v1:c2VjcmV0Y2lwaGVydGV4dA==
    - team-c
`;
const CIPHERTEXTS = [...LICENSED_STACK.matchAll(/secure: (\S+)/g)].map((m) => m[1]!);

const SECRET = "kubernetes:core/v1:Secret";
const DYNAMIC = "pulumi-nodejs:dynamic/langfuse:";
const RELEASE_COMPONENT = "ambient-langfuse:langfuse:LangfuseRelease::langfuse";
const ctx = referenceContext();
const named = (resources: PlannedResource[], type: string) => resources.filter((r) => r.type === type).map((r) => r.name);
const find = (resources: PlannedResource[], type: string, name: string) => resources.find((r) => r.type === type && r.name === name)!;

describe("the program under isolation provisioned", () => {
  let root: string;
  let licensed: Rendering;
  const render = (overrides: Record<string, unknown> = {}) => renderStack("lic", loadStackConfig("lic", root, overrides));
  beforeAll(async () => {
    root = projectDir({ lic: LICENSED_STACK });
    licensed = await render();
  }, 120_000);

  it("registers an organisation key, and a Langfuse project and a key pair for each project without a pair of its own, after the release", () => {
    const rs = licensed.resources;
    expect(named(rs, `${DYNAMIC}OrganizationApiKey`)).toEqual(["langfuse-project-organization-key"]);
    expect(named(rs, `${DYNAMIC}Project`)).toEqual(["langfuse-project-team-a", "langfuse-project-team-c"]);
    expect(named(rs, `${DYNAMIC}ProjectApiKey`)).toEqual(["langfuse-project-team-a-keys", "langfuse-project-team-c-keys"]);
    for (const r of rs.filter((x) => x.type.startsWith(DYNAMIC))) {
      expect(r.options.dependsOn, r.name).toEqual([RELEASE_COMPONENT]);
      expect(r.inputs.apiUrl, r.name).toBe("http://langfuse.local");
    }
    expect(find(rs, `${DYNAMIC}OrganizationApiKey`, "langfuse-project-organization-key").inputs).toMatchObject({
      adminApiKey: "[secret]",
      organizationId: "ambient-code",
      note: "Pulumi stack ambient-langfuse/lic: projects and key pairs",
    });
    expect(find(rs, `${DYNAMIC}Project`, "langfuse-project-team-a").inputs).toMatchObject({
      name: "team-a",
      organizationPublicKey: "[secret]",
      organizationSecretKey: "[secret]",
      metadata: { "ambient-code.io/namespace": "team-a", "ambient-code.io/display-name": "team-a", "ambient-code.io/managed-by": "ambient-langfuse/lic" },
      deleteOnRemove: false,
    });
    const pair = find(rs, `${DYNAMIC}ProjectApiKey`, "langfuse-project-team-c-keys");
    expect(pair.inputs.project).toBe("team-c");
    expect(pair.propertyDependencies.projectId).toEqual([`${DYNAMIC}Project::langfuse-project-team-c`]);
  });

  it("writes each provisioned pair into its own namespace's langfuse-keys only, and keeps the pair a project has", () => {
    const keys = licensed.resources.filter((r) => r.type === SECRET && r.inputs.metadata.name === "langfuse-keys");
    expect(keys.map((r) => [r.inputs.metadata.namespace, r.propertyDependencies])).toEqual([
      ["team-a", { stringData: [`${DYNAMIC}ProjectApiKey::langfuse-project-team-a-keys`] }],
      ["team-b", {}],
      ["team-c", { stringData: [`${DYNAMIC}ProjectApiKey::langfuse-project-team-c-keys`] }],
    ]);
    expect(licensed.warnings).toEqual([]);
  });

  it("records no key and no provider code: the pairs the providers return are secrets, the own pair too", () => {
    const recorded = JSON.stringify(licensed.resources);
    expect(recorded).not.toContain("__provider");
    expect(recorded).not.toMatch(/[ps]k-lf-[0-9a-f]/);
    expect(recorded).not.toMatch(/langfuse_ee_[0-9a-f]/);
    for (const c of CIPHERTEXTS) expect(recorded).not.toContain(c.slice(3));
    expect(find(licensed.resources, SECRET, "project-team-a-keys").secretPaths).toEqual(["$.stringData.LANGFUSE_PUBLIC_KEY", "$.stringData.LANGFUSE_SECRET_KEY"]);
  });

  it("calls Langfuse where langfuseApiUrl says, and hands deleteLangfuseProjects to every Langfuse project", async () => {
    const moved = await render({ langfuseApiUrl: "http://localhost:3000", deleteLangfuseProjects: true });
    const dynamic = moved.resources.filter((r) => r.type.startsWith(DYNAMIC));
    expect(new Set(dynamic.map((r) => r.inputs.apiUrl))).toEqual(new Set(["http://localhost:3000"]));
    expect(moved.resources.filter((r) => r.type === `${DYNAMIC}Project`).map((r) => r.inputs.deleteOnRemove)).toEqual([true, true]);
  }, 120_000);

  it("drops a removed project's Langfuse project and key pair from the stack (pulumi up then deletes the pair, the project only with deleteLangfuseProjects)", async () => {
    const fewer = await render({ projects: ["team-a"] });
    expect(named(fewer.resources, `${DYNAMIC}Project`)).toEqual(["langfuse-project-team-a"]);
    expect(named(fewer.resources, `${DYNAMIC}ProjectApiKey`)).toEqual(["langfuse-project-team-a-keys"]);
    // What the deletes do is the providers' (langfuseApi.test.ts): the pair always, the Langfuse project per its recorded deleteOnRemove.
  }, 120_000);

  it("needs no organisation key when every project has its own pair", async () => {
    const own = await render({ projects: [{ namespace: "team-b", publicKey: { secure: "v1:cA==" }, secretKey: { secure: "v1:cw==" } }] });
    expect(own.resources.filter((r) => r.type.startsWith(DYNAMIC))).toEqual([]);
  }, 120_000);

  describe("provisioned-pairs-stay-home", () => {
    const mutated = (mutate: (rs: PlannedResource[]) => void) => {
      const copy = structuredClone(licensed.resources);
      mutate(copy);
      return copy;
    };

    it("passes the stack as the program builds it, with every other policy", () => {
      expect(provisionedPairsStayHome.check(licensed.resources, ctx)).toEqual({ violations: [] });
      const { runs, violations } = runPolicies(licensed.resources, ctx);
      expect(violations).toEqual([]);
      expect(runs.map((r) => r.status)).toEqual(POLICIES.map(() => "passed"));
    });

    it("refuses team-c's langfuse-keys made from the pair provisioned for team-a", () => {
      const rs = mutated((r) => {
        find(r, SECRET, "project-team-c-keys").propertyDependencies = { stringData: [`${DYNAMIC}ProjectApiKey::langfuse-project-team-a-keys`] };
      });
      expect(provisionedPairsStayHome.check(rs, ctx)).toEqual({
        violations: [
          {
            policy: "provisioned-pairs-stay-home",
            resource: `${SECRET}::project-team-c-keys`,
            message:
              `stringData is made from the key pair provisioned for project "team-a" (${DYNAMIC}ProjectApiKey::langfuse-project-team-a-keys), ` +
              'in namespace "team-c": a provisioned pair belongs only in its own project\'s namespace ("team-a"); give this namespace its own project\'s pair',
          },
        ],
      });
    });

    it("refuses a pair carried into the Langfuse release's namespace or a cluster-scoped object", () => {
      const rs = mutated((r) => {
        find(r, SECRET, "internal").propertyDependencies = { stringData: [`${DYNAMIC}ProjectApiKey::langfuse-project-team-c-keys`] };
        find(r, "kubernetes:core/v1:Namespace", "langfuse").propertyDependencies = { metadata: [`${DYNAMIC}ProjectApiKey::langfuse-project-team-a-keys`] };
      });
      const result = provisionedPairsStayHome.check(rs, ctx) as { violations: { resource: string; message: string }[] };
      expect(result.violations.map((v) => [v.resource, v.message.split(": a provisioned")[0]!.split(", in ")[1]])).toEqual([
        ["kubernetes:core/v1:Namespace::langfuse", "a cluster-scoped object"],
        [`${SECRET}::internal`, 'namespace "langfuse"'],
      ]);
    });

    it("states its rule from the outside: it imports nothing of the program", () => {
      const source = readFileSync(path.join(REPO_ROOT, "infra", "policies", "provisionedPairsStayHome.ts"), "utf8");
      expect([...source.matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1])).toEqual(["./types"]);
    });
  });
});

describe("npm run plan on a provisioned stack", () => {
  let root: string;
  let result: { code: number; stdout: string; stderr: string };
  beforeAll(async () => {
    root = projectDir({ lic: LICENSED_STACK, nolic: LICENSED_STACK.replace(/  ambient-langfuse:licenseKey:\n    secure: \S+\n/, "") });
    result = await npmPlan("--stack", "lic", "--root", root);
  }, 180_000);

  it("passes, printing each project's key source and the provisioned resources, and every policy", () => {
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(result.stdout).toContain("project keys (isolation: provisioned; langfuse-keys from each source: provisioned 2, own 1):");
    expect(result.stdout).toMatch(/'pulumi-nodejs:dynamic\/langfuse:OrganizationApiKey'\s+│ 1 /);
    expect(result.stdout).toMatch(/'pulumi-nodejs:dynamic\/langfuse:Project'\s+│ 2 /);
    expect(result.stdout).toMatch(/'pulumi-nodejs:dynamic\/langfuse:ProjectApiKey'\s+│ 2 /);
    expect(result.stdout).toMatch(/'provisioned-pairs-stay-home'\s+│ 'passed'/);
    expect(result.stdout).toContain("0 violation(s)");
  });

  it("writes an organisation key, and a project and a key pair resource per provisioned project, into resources.json", () => {
    const resources: PlannedResource[] = JSON.parse(readFileSync(path.join(root, "plan/lic/resources.json"), "utf8"));
    expect(resources.filter((r) => r.type.startsWith(DYNAMIC)).map((r) => `${r.type.slice(DYNAMIC.length)} ${r.name}`)).toEqual([
      "OrganizationApiKey langfuse-project-organization-key",
      "Project langfuse-project-team-a",
      "ProjectApiKey langfuse-project-team-a-keys",
      "Project langfuse-project-team-c",
      "ProjectApiKey langfuse-project-team-c-keys",
    ]);
  });

  it("puts no key, no licence, no ciphertext and no provider code into anything printed or written", () => {
    const written = filesUnder(path.join(root, "plan")).map((f) => readFileSync(f, "utf8"));
    expect(written.length).toBeGreaterThan(3);
    for (const text of [result.stdout, result.stderr, ...written]) {
      expect(text).not.toContain("__provider");
      expect(text).not.toContain("exports.handler");
      expect(text).not.toMatch(/[ps]k-lf-[0-9a-f]/);
      expect(text).not.toMatch(/langfuse_ee_[0-9a-f]/);
      for (const c of CIPHERTEXTS) expect(text).not.toContain(c.slice(3));
    }
  });

  it("without licenseKey fails, naming the setting and the command that sets it, and leaves no plan behind", async () => {
    const failed = await npmPlan("--stack", "nolic", "--root", root);
    expect(failed).toEqual({
      code: 1,
      stdout: "",
      stderr:
        'plan for stack "nolic" stopped: invalid stack config:\n' +
        '  - ambient-langfuse:isolation is "provisioned", but ambient-langfuse:licenseKey is not set: creating Langfuse projects and keys through ' +
        "its API needs an Enterprise licence; set it with `pulumi config set --secret licenseKey <langfuse_ee_…>`, or use isolation " +
        '"shared" or "strict"\n',
    });
    expect(existsSync(path.join(root, "plan", "nolic"))).toBe(false);
  }, 180_000);
});
