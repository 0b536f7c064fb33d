import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseCommandLine, UsageError } from "../infra/render/commandLine";
import { runPlan } from "../infra/render/planCommand";
import { writePlan } from "../infra/render/planWriter";
import { REPO_ROOT } from "../infra/render/stackConfig";
import { filesUnder, projectDir } from "./planRuns";

const execFileAsync = promisify(execFile);
const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");

// Planted in the stack files below: neither may appear in anything the plan prints or writes.
const PASSWORD = "Hunter2Sup3rSecretPw";
const KEY = "sk-lf-7c1e3f0a-5b2d-4e8f-9a61-0d4c2b8e7f35";

/** The plan's usage as a user reads it, with the stacks of this repository. */
const USAGE = `usage: npm run plan -- --stack <name> [--root <dir>]

Evaluates the Pulumi program offline under the mock monitor with Pulumi.<name>.yaml, checks
every policy and writes plan/<name>/.
  --stack <name>   the stack (here: dev, rosa)
  --root <dir>     the project directory holding Pulumi.yaml (default: this repository)
Exits 0 when clean, 1 on a broken stack file, invalid config or a policy violation, 2 on bad usage.
`;
const usageWithStacks = (stacks: string) => USAGE.replace("(here: dev, rosa)", stacks === "" ? "" : `(here: ${stacks})`).replace("the stack \n", "the stack\n");

const VALID = `config:
  ambient-langfuse:adminEmail: admin@example.com
  ambient-langfuse:existingSecrets:
    postgresPassword: ${PASSWORD}
`;

const project = (stackFiles: Record<string, string>): string => projectDir(stackFiles, "plan-cli-");

/** An earlier plan left in place, as a user who fixes and re-plans would have. */
function stalePlan(root: string, stack: string): void {
  mkdirSync(path.join(root, "plan", stack, "manifests"), { recursive: true });
  writeFileSync(path.join(root, "plan", stack, "policy-report.json"), "[]\n");
}

class Collected extends Writable {
  text = "";
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function plan(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Collected();
  const stderr = new Collected();
  const code = await runPlan(argv, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Neither planted secret in what was printed or in any file the plan wrote. */
function expectNoPlantedSecret(printed: { stdout: string; stderr: string }, root: string): void {
  const written = filesUnder(path.join(root, "plan")).map((f) => readFileSync(f, "utf8"));
  for (const text of [printed.stdout, printed.stderr, ...written]) {
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(KEY);
  }
}

describe("npm run plan: arguments", () => {
  it("refuses an unknown option with exit 2 and the usage, and touches nothing", async () => {
    const root = project({ dev: VALID });
    stalePlan(root, "dev");
    expect(await plan("--stack", "dev", "--root", root, "--frobnicate")).toEqual({
      code: 2,
      stdout: "",
      stderr: `npm run plan: unknown option --frobnicate\n\n${USAGE}`,
    });
    expect(existsSync(path.join(root, "plan", "dev", "policy-report.json"))).toBe(true);
    expectNoPlantedSecret({ stdout: "", stderr: "" }, root);
  });

  it.each([
    [["--stack"], "--stack needs a value"],
    [["--stack", "--root", "/tmp"], "--stack needs a value"],
    [["--stack="], "--stack needs a value"],
    [["--stack", "dev", "--root"], "--root needs a value"],
    [["--stack", "dev", "--stack", "rosa"], "--stack is given twice"],
    [["--help=yes"], "--help takes no value"],
    [["dev"], 'unexpected argument "dev"'],
    [[], "--stack is required"],
  ])("refuses %j with exit 2: %s", async (argv, problem) => {
    // Planned against a project whose stack files hold a password: bad usage reads nothing.
    const root = project({ dev: VALID, rosa: VALID });
    const result = await plan(...argv, "--root", root);
    expect(result).toEqual({ code: 2, stdout: "", stderr: `npm run plan: ${problem}\n\n${USAGE}` });
    expect(existsSync(path.join(root, "plan"))).toBe(false);
    expectNoPlantedSecret(result, root);
  });

  it("takes --stack=dev as --stack dev", async () => {
    const spaced = project({ dev: VALID });
    const joined = project({ dev: VALID });
    const a = await plan("--stack", "dev", "--root", spaced);
    const b = await plan(`--stack=dev`, `--root=${joined}`);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(readFileSync(path.join(joined, "plan/dev/resources.json"), "utf8")).toBe(readFileSync(path.join(spaced, "plan/dev/resources.json"), "utf8"));
    expect(b.stdout).toContain(`plan for stack "dev": 37 resources -> ${joined}/plan/dev/`);
    expectNoPlantedSecret(b, joined);
  });

  it("prints the usage on --help and exits 0", async () => {
    expect(await plan("--help")).toEqual({ code: 0, stdout: USAGE, stderr: "" });
  });

  it("names a --root that does not exist, is a file, or holds no Pulumi.yaml", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "plan-cli-"));
    const file = path.join(empty, "notes.txt");
    writeFileSync(file, "not a project\n");
    expect(await plan("--stack", "dev", "--root", "/nonexistent/project")).toEqual({
      code: 2,
      stdout: "",
      stderr: `npm run plan: --root /nonexistent/project does not exist\n\n${usageWithStacks("")}`,
    });
    expect(await plan("--stack", "dev", "--root", file)).toEqual({
      code: 2,
      stdout: "",
      stderr: `npm run plan: --root ${file} is not a directory\n\n${usageWithStacks("")}`,
    });
    expect(await plan("--stack", "dev", "--root", empty)).toEqual({
      code: 2,
      stdout: "",
      stderr: `npm run plan: --root ${empty} holds no Pulumi.yaml\n\n${usageWithStacks("")}`,
    });
  });

  it("names a stack without a stack file, and a stack name that is a path", async () => {
    const root = project({ dev: VALID, rosa: VALID });
    const missing = await plan("--stack", "prod", "--root", root);
    expect(missing).toEqual({
      code: 2,
      stdout: "",
      stderr: `npm run plan: stack "prod" has no stack file ${root}/Pulumi.prod.yaml\n\n${usageWithStacks("dev, rosa")}`,
    });
    const traversal = await plan("--stack", "../dev", "--root", root);
    expect(traversal).toEqual({
      code: 2,
      stdout: "",
      stderr: `npm run plan: --stack "../dev" is not a stack name (letters, digits, "_", "-" and ".")\n\n${usageWithStacks("dev, rosa")}`,
    });
    expectNoPlantedSecret(missing, root);
    expectNoPlantedSecret(traversal, root);
  });

  it("parses any command's options the same way (the module promotion reuses)", () => {
    const spec = { from: { type: "string" }, to: { type: "string" }, "dry-run": { type: "boolean" } } as const;
    expect(parseCommandLine(["--from", "dev", "--to=rosa", "--dry-run"], spec)).toEqual({ from: "dev", to: "rosa", "dry-run": true });
    expect(() => parseCommandLine(["--from", "dev", "-x"], spec)).toThrow(new UsageError("unknown option -x"));
  });
});

describe("npm run plan: stack files", () => {
  /** Runs the plan on one broken stack file with a stale plan in place: nothing may remain. */
  async function broken(text: string) {
    const root = project({ broken: text });
    stalePlan(root, "broken");
    const result = await plan("--stack", "broken", "--root", root);
    expect(existsSync(path.join(root, "plan", "broken")), "no plan folder is left behind").toBe(false);
    expectNoPlantedSecret(result, root);
    return { ...result, file: path.join(root, "Pulumi.broken.yaml") };
  }

  it("names the file, line and column of a YAML error and what was expected, never the line itself", async () => {
    const { code, stdout, stderr, file } = await broken(`config:
  ambient-langfuse:adminEmail: admin@example.com
  ambient-langfuse:existingSecrets:
    postgresPassword: ${PASSWORD}
    salt: [unclosed
`);
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr: `plan for stack "broken" stopped: ${file}:6:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]\n`,
    });
  });

  it.each([
    ["a block scalar header with text after it", `config:\n  ambient-langfuse:existingSecrets:\n    postgresPassword: |${PASSWORD}\n      x\n`, "3:24", "text where the YAML syntax allows none here (a stray character, or a value not indented under its key?)"],
    ["a stray bracket before a key", `config:\n  ambient-langfuse:adminEmail: ]${KEY}\n`, "2:32", "text where the YAML syntax allows none here (a stray character, or a value not indented under its key?)"],
    ["a bad escape in a double-quoted value", `config:\n  ambient-langfuse:adminEmail: "${PASSWORD}\\q${KEY}"\n`, "2:53", "an invalid escape sequence in a double-quoted string (use single quotes, or write a backslash as \\\\)"],
    ["a tab used for indentation", `config:\n\tambient-langfuse:adminEmail: ${KEY}\n`, "2:1", "Tabs are not allowed as indentation"],
    ["an unclosed quote", `config:\n  ambient-langfuse:adminEmail: "${KEY}\n`, "3:1", 'Missing closing "quote'],
    ["a key given twice", `config:\n  ambient-langfuse:adminEmail: a@b.io\n  ambient-langfuse:adminEmail: ${KEY}\n`, "3:3", "Map keys must be unique"],
  ])("words a YAML error whose own message would quote the file in fixed words: %s", async (_, text, at, reason) => {
    const { code, stdout, stderr, file } = await broken(text);
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: "", stderr: `plan for stack "broken" stopped: ${file}:${at}: not valid YAML: ${reason}\n` });
  });

  it.each([
    ["a single value", `${PASSWORD}\n`, ":1:1: is a single value, not a mapping: a stack file is a YAML mapping of keys to values"],
    ["a list", `- ${KEY}\n- ${PASSWORD}\n`, ":1:1: is a list, not a mapping: a stack file is a YAML mapping of keys to values"],
    ["empty", "# nothing yet\n", ": is empty: a stack file is a YAML mapping of keys to values"],
    ["configs: for config:", `configs:\n  ambient-langfuse:adminEmail: admin@example.com\n  ambient-langfuse:existingSecrets:\n    postgresPassword: ${PASSWORD}\n`, ':1:1: has an unknown top-level key "configs" (did you mean "config"?): its top level takes only config, encryptionsalt, secretsprovider, encryptedkey, environment'],
    ["a setting that lost its indentation", `config:\n  ambient-langfuse:adminEmail: admin@example.com\n${PASSWORD}: ${KEY}\n`, ":3:1: has an unknown top-level key: its top level takes only config, encryptionsalt, secretsprovider, encryptedkey, environment"],
    ["no config: at all", "encryptionsalt: v1:c2FsdA==:v1:AAAA:BBBB\n", ': has no "config:" key: a stack file holds its settings under "config:" (where `pulumi config set` writes them)'],
    ["config: as a list", `config:\n  - ambient-langfuse:adminEmail: admin@example.com\n  - ${PASSWORD}\n`, ':2:3: "config:" is a list, not a mapping of settings'],
  ])("names a stack file that is %s as such", async (_, text, where) => {
    const { code, stdout, stderr, file } = await broken(text);
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: "", stderr: `plan for stack "broken" stopped: ${file}${where}\n` });
  });

  it("names a broken Pulumi.yaml, and a stack file that is a directory, the same way", async () => {
    const root = project({ dev: VALID });
    writeFileSync(path.join(root, "Pulumi.yaml"), `name: ambient-langfuse\nconfig:\n  adminEmail:\n    default: "${PASSWORD}\n`);
    const result = await plan("--stack", "dev", "--root", root);
    expect(result).toEqual({ code: 1, stdout: "", stderr: `plan for stack "dev" stopped: ${root}/Pulumi.yaml:5:1: not valid YAML: Missing closing "quote\n` });
    expectNoPlantedSecret(result, root);
    const folder = project({});
    mkdirSync(path.join(folder, "Pulumi.dev.yaml"));
    expect(await plan("--stack", "dev", "--root", folder)).toEqual({
      code: 1,
      stdout: "",
      stderr: `plan for stack "dev" stopped: ${folder}/Pulumi.dev.yaml: cannot be read: it is a directory\n`,
    });
  });

  it("accepts every other top-level key Pulumi writes, and secure values of other packages' settings", async () => {
    const root = project({
      dev: `secretsprovider: awskms://alias/pulumi?region=eu-west-1
encryptedkey: AQICAHhQ
encryptionsalt: v1:c2FsdA==:v1:AAAA:BBBB
environment:
  - langfuse/dev
config:
  kubernetes:kubeconfig:
    secure: v1:${KEY}
  ambient-langfuse:adminEmail: admin@example.com
`,
    });
    const result = await plan("--stack", "dev", "--root", root);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expectNoPlantedSecret(result, root);
  });

  it.each([
    [
      "a setting that shapes what is deployed",
      `config:\n  ambient-langfuse:adminEmail: admin@example.com\n  ambient-langfuse:hostname:\n    secure: v1:${KEY}\n  ambient-langfuse:existingSecrets:\n    postgresPassword: ${PASSWORD}\n`,
      ":4:5: ambient-langfuse:hostname is a secure: value, but hostname shapes what is deployed and is read in plain text: " +
        "set it without --secret; only existingSecrets.<key>, adminEmail, externalPostgres.password, externalRedis.password, externalS3.accessKeyId, externalS3.secretAccessKey, projects[<i>].publicKey, projects[<i>].secretKey, licenseKey take secure: values",
    ],
    [
      "all of existingSecrets at once, which the plan could not check key by key",
      `config:\n  ambient-langfuse:adminEmail: admin@example.com\n  ambient-langfuse:existingSecrets:\n    secure: v1:${KEY}\n`,
      ":4:5: ambient-langfuse:existingSecrets is one secure: value as a whole: " +
        "give each of its keys its own (`pulumi config set --secret --path existingSecrets.<key> <value>`)",
    ],
  ])("refuses a secure: value for %s, naming the setting and where", async (_, text, where) => {
    const { code, stdout, stderr, file } = await broken(text);
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: "", stderr: `plan for stack "broken" stopped: ${file}${where}\n` });
  });

  it("stops on invalid config with the setting named, leaving no plan folder behind", async () => {
    const { code, stdout, stderr } = await broken(`config:
  ambient-langfuse:adminEmail: admin@example.com
  ambient-langfuse:chartVersion: "^1.5"
  ambient-langfuse:existingSecrets:
    postgresPassword: ${PASSWORD}
`);
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr:
        'plan for stack "broken" stopped: invalid stack config:\n' +
        '  - ambient-langfuse:chartVersion is "^1.5": use an exact chart version such as "2.0.0" (ranges would let `pulumi up` change Langfuse without a reviewed change)\n',
    });
  });
});

describe("npm run plan: unmasked traces in operator-env mode", () => {
  it("fails, naming maskMessages and operatorIntegration, and leaves no plan folder", async () => {
    const root = project({
      rosa: `config:\n  ambient-langfuse:adminEmail: admin@example.com\n  ambient-langfuse:operatorIntegration: operator-env\n  ambient-langfuse:maskMessages: false\n`,
    });
    const result = await plan("--stack", "rosa", "--root", root);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr:
        'plan for stack "rosa" stopped: invalid stack config:\n' +
        '  - ambient-langfuse:maskMessages is false, but ambient-langfuse:operatorIntegration is "operator-env": the operator passes runners only ' +
        "LANGFUSE_ENABLED, LANGFUSE_HOST, LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY, so runners would never learn it and keep masking; " +
        'leave maskMessages at true, or use operatorIntegration "admission-policy", which hands runners the project\'s langfuse-config\n',
    });
    expect(existsSync(path.join(root, "plan", "rosa"))).toBe(false);
  });

  it("plans cleanly with the default (masked), the operator's Secret holding exactly the four keys it forwards", async () => {
    const root = project({ rosa: `config:\n  ambient-langfuse:adminEmail: admin@example.com\n  ambient-langfuse:operatorIntegration: operator-env\n` });
    const result = await plan("--stack", "rosa", "--root", root);
    expect(result.code, result.stderr).toBe(0);
    const secret = readFileSync(path.join(root, "plan", "rosa", "manifests", "secret-ambient-code-ambient-admin-langfuse-secret.yaml"), "utf8");
    expect(secret).not.toContain("LANGFUSE_MASK_MESSAGES");
    for (const key of ["LANGFUSE_ENABLED", "LANGFUSE_HOST", "LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY"]) expect(secret).toContain(key);
  });
});

describe("npm run plan: a secure adminEmail", () => {
  const secureEmail = `config:
  ambient-langfuse:adminEmail:
    secure: v1:${KEY}
  ambient-langfuse:existingSecrets:
    postgresPassword: ${PASSWORD}
`;

  it("passes, saying once that its shape is left to the real engine", async () => {
    const root = project({ dev: secureEmail });
    const result = await plan("--stack", "dev", "--root", root);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const notes = result.stdout.split("\n").filter((l) => l.startsWith("note:"));
    expect(notes).toEqual([
      "note: ambient-langfuse:adminEmail: a secure value the plan cannot decrypt; it stands in a placeholder of the setting's shape and cannot check the value itself (pulumi preview checks it decrypted)",
    ]);
    expectNoPlantedSecret(result, root);
  });

  it("keeps it secret end to end: in the bootstrap Secret, read by reference, and a secret output", async () => {
    const root = project({ dev: secureEmail });
    const { rendering, violations } = await writePlan("dev", root);
    expect(violations).toEqual([]);
    const bootstrap = rendering.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "bootstrap")!;
    expect(bootstrap.inputs.stringData["admin-email"]).toBe("[secret]");
    const release = rendering.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "langfuse")!;
    expect(release.inputs.values.langfuse.additionalEnv).toContainEqual({
      name: "LANGFUSE_INIT_USER_EMAIL",
      valueFrom: { secretKeyRef: { name: "langfuse-bootstrap", key: "admin-email" } },
    });
    expect(release.secretPaths).toEqual([]);
    expect(rendering.outputs.adminEmail.secret).toBe(true);
    const placeholder = rendering.outputs.adminEmail.value as string;
    expect(placeholder).toMatch(/^secure-[0-9a-f]{12}@placeholder\.invalid$/);
    for (const file of filesUnder(path.join(root, "plan"))) expect(readFileSync(file, "utf8")).not.toContain(placeholder);
  });
});

describe("npm run plan, as a process", () => {
  /** `npm run plan -- <args>` in a project directory (this repository unless given). */
  const run = (args: string[], projectDir = REPO_ROOT) =>
    execFileAsync(TSX, [path.join(projectDir, "infra/plan.ts"), ...args], { cwd: projectDir }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it("exits 2 on an unknown option", async () => {
    const root = project({ dev: VALID });
    const result = await run(["--stack", "dev", "--root", root, "--frobnicate"]);
    expect(result).toEqual({ code: 2, stdout: "", stderr: `npm run plan: unknown option --frobnicate\n\n${USAGE}` });
    expectNoPlantedSecret(result, root);
  });

  it("exits 1 on a YAML error with one line: no stack trace, no secret", async () => {
    const root = project({ broken: `config:\n  ambient-langfuse:existingSecrets:\n    postgresPassword: ${PASSWORD}\n  salt: [${KEY}\n` });
    const result = await run(["--stack", "broken", "--root", root]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `plan for stack "broken" stopped: ${root}/Pulumi.broken.yaml:5:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]\n`,
    });
    expectNoPlantedSecret(result, root);
  });

  it("exits 2 naming a --root that does not exist, without a stack trace", async () => {
    expect(await run(["--stack", "dev", "--root", "/nonexistent"])).toEqual({
      code: 2,
      stdout: "",
      stderr: `npm run plan: --root /nonexistent does not exist\n\n${usageWithStacks("")}`,
    });
  });

  it("with a policy violation writes every file, the report included, exits 1, and prints no secret", async () => {
    // A copy of this program whose stack also puts the adopted PostgreSQL password into a
    // ConfigMap: a program bug the policies exist to catch. The plan must report it, write its
    // files, and still show the password nowhere.
    const copy = mkdtempSync(path.join(tmpdir(), "plan-violation-"));
    cpSync(path.join(REPO_ROOT, "infra"), path.join(copy, "infra"), { recursive: true });
    symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(copy, "node_modules"));
    writeFileSync(path.join(copy, "Pulumi.yaml"), readFileSync(path.join(REPO_ROOT, "Pulumi.yaml")));
    writeFileSync(path.join(copy, "Pulumi.dev.yaml"), VALID);
    const programFile = path.join(copy, "infra", "program.ts");
    const program = readFileSync(programFile, "utf8");
    expect(program).toContain("export function langfuseStack(");
    writeFileSync(
      programFile,
      program.replace("export function langfuseStack(", "function correctLangfuseStack(") +
        `
export function langfuseStack(settings: Settings): StackOutputs {
  const outputs = correctLangfuseStack(settings);
  new k8s.core.v1.ConfigMap("leak", {
    metadata: { name: "leak", namespace: settings.namespace },
    data: { DATABASE_PASSWORD: pulumi.secret(settings.existingSecrets.postgresPassword ?? "") },
  });
  return outputs;
}
`,
    );
    stalePlan(copy, "dev");
    const result = await run(["--stack", "dev"], copy);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "violation [no-literal-secrets] kubernetes:core/v1:ConfigMap::leak: $.data.DATABASE_PASSWORD is a secret value in a ConfigMap: put it in a Secret\n" +
        "violation [no-literal-secrets] kubernetes:core/v1:ConfigMap::leak: data.DATABASE_PASSWORD looks like a credential: put it in a Secret\n",
    );
    expect(result.stdout).toContain("2 violation(s)");
    const dir = path.join(copy, "plan", "dev");
    expect(readdirSync(dir).sort()).toEqual(["manifests", "policy-report.json", "resources.json"]);
    expect(readdirSync(path.join(dir, "manifests"))).toContain("configmap-langfuse-leak.yaml");
    expect(JSON.parse(readFileSync(path.join(dir, "policy-report.json"), "utf8"))).toHaveLength(2);
    expectNoPlantedSecret(result, copy);
  });
});
