// Licensed provisioning (`isolation: provisioned`): the licence and what it needs, the licence and
// the admin API key handed to the chart by reference on every chart line, the program's organisation
// key, Langfuse project and key pair per platform project as dynamic resources (own pairs kept), the
// plan that shows them without any key, and the policy that keeps a provisioned pair in its own
// namespace. The requests those resources make are held to Langfuse's specs in langfuseApi.test.ts.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError, parseSettings, type Settings } from "../infra/config";
import { chartValues } from "../infra/langfuse/chartValues";
import { platformProfile } from "../infra/platform";
import { chartHasPath, leafPaths } from "../infra/policies/chartValuePathsExist";
import { REPO_ROOT, loadStackConfig } from "../infra/render/stackConfig";
import { StackFileError } from "../infra/render/stackFile";

const execFileAsync = promisify(execFile);
const LICENSE = "langfuse_ee_7d1f0c9b2a4e48d6b3c5a1e9f0d2b4c6";
const TEAM_A = { publicKey: "pk-lf-5f0c2b7e-91d4-4a63-b8e1-2c7d9a04f6b3", secretKey: "sk-lf-a83e6d10-4c2f-4b95-9e7a-61f0d3c8b2e4" };
const minimal = { adminEmail: "admin@example.com" };

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

/** A project directory with this repository's Pulumi.yaml and the given stack files. */
function projectDir(stackFiles: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), "provisioned-"));
  cpSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
  for (const [stack, text] of Object.entries(stackFiles)) writeFileSync(path.join(root, `Pulumi.${stack}.yaml`), text);
  return root;
}

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

// Used by the program and plan sections below.
void [beforeAll, execFileAsync, existsSync, readdirSync, statSync];
