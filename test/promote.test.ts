import { execFile, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { SETTING_NAMES } from "../infra/config";
import { PROMOTABLE_SETTINGS } from "../infra/promotableSettings";
import { checkPlan } from "../infra/render/planCheck";
import { runPromote } from "../infra/render/promoteCommand";
import { checkChartLine, planPromotion, promotedText, PromotionRefused, readPins } from "../infra/render/promotion";
import { REPO_ROOT } from "../infra/render/stackConfig";
import { filesUnder, projectDir } from "./planRuns";
import { readStackFile, StackFileError } from "../infra/render/stackFile";

const execFileAsync = promisify(execFile);
const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");

// The repository's own stack files: the promotion the README describes moves between these.
const DEV = readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8");
const ROSA = readFileSync(path.join(REPO_ROOT, "Pulumi.rosa.yaml"), "utf8");

// Planted in the stack files below: neither may appear in anything the promotion prints.
const PASSWORD = "Hunter2Sup3rSecretPw";
const KEY = "sk-lf-7c1e3f0a-5b2d-4e8f-9a61-0d4c2b8e7f35";

/** A stack file with one setting's line rewritten; the line must be there. */
function withSetting(text: string, setting: string, value: string): string {
  const line = new RegExp(`^(  ambient-langfuse:${setting}:) .*$`, "m");
  expect(text, `the stack file sets ${setting}`).toMatch(line);
  return text.replace(line, `$1 ${value}`);
}

/** A stack file with lines added at the end of config:. */
const withLines = (text: string, ...lines: string[]) => `${text}${lines.map((l) => `  ${l}\n`).join("")}`;

/** dev as it is, with a secret of its own in plain text; rosa with its admin email as a secure: value. */
const devWith = (text = DEV) => withLines(text, "ambient-langfuse:existingSecrets:", `  postgresPassword: ${PASSWORD}`);
const rosaWith = (text = ROSA) => withSetting(text, "adminEmail", `\n    secure: v1:${KEY}`);

/** dev after `pulumi up --stack dev` proved a new Langfuse. */
const NEW_LANGFUSE = "4.17.0";

const git = (root: string, ...args: string[]) =>
  execFileSync("git", ["-C", root, "-c", "user.name=Promotion Test", "-c", "user.email=promotion@example.com", "-c", "commit.gpgsign=false", ...args], {
    encoding: "utf8",
  });

/** A git repository holding this project's Pulumi.yaml and the given stack files, all committed. */
function repository(stackFiles: Record<string, string>): string {
  const root = projectDir(stackFiles, "promote-");
  git(root, "init", "-q");
  git(root, "add", ".");
  git(root, "commit", "-q", "-m", "stacks");
  return root;
}

/** Earlier plans left in place, as `npm run plan` for each stack wrote them. */
function earlierPlans(root: string, ...stacks: string[]): void {
  for (const stack of stacks) {
    mkdirSync(path.join(root, "plan", stack, "manifests"), { recursive: true });
    writeFileSync(path.join(root, "plan", stack, "policy-report.json"), `[] # ${stack}\n`);
  }
}

/** Every file of a project directory (git's own aside) with its bytes: to show that nothing changed. */
const snapshot = (root: string) =>
  Object.fromEntries(filesUnder(root).filter((f) => !f.includes(`${path.sep}.git${path.sep}`)).map((f) => [path.relative(root, f), readFileSync(f, "utf8")]));

class Collected extends Writable {
  text = "";
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function promote(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Collected();
  const stderr = new Collected();
  const code = await runPromote(argv, { stdout, stderr });
  const result = { code, stdout: stdout.text, stderr: stderr.text };
  for (const text of [result.stdout, result.stderr]) {
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(KEY);
  }
  return result;
}

/** The resource counts vary with the program; the promotion's words do not. */
const counted = (stdout: string) => stdout.replace(/\(\d+ resources\)/g, "(N resources)");

/** A stack file of a temporary directory, read as the command reads it. */
function stackFile(text: string) {
  const dir = mkdtempSync(path.join(tmpdir(), "promotion-"));
  writeFileSync(path.join(dir, "Pulumi.x.yaml"), text);
  return readStackFile(path.join(dir, "Pulumi.x.yaml"));
}

describe("promotable settings", () => {
  it("are the four version pins; the other settings named like versions describe the cluster or a rotation", () => {
    expect(PROMOTABLE_SETTINGS).toEqual(["chartVersion", "langfuseVersion", "certManagerVersion", "clickhouseOperatorVersion"]);
    // A new pin of a version must be added to the list, or to this line with the reason it stays.
    const stays = ["admissionPolicyApiVersion" /* the admission API this cluster has */, "nextauthSecretVersion" /* a rotation counter */];
    expect(SETTING_NAMES.filter((s) => /Version$/.test(s)).sort()).toEqual([...PROMOTABLE_SETTINGS, ...stays].sort());
  });
});

describe("the promotion of a stack file, in place", () => {
  /** A source that pins every version, Langfuse newer than the targets'. */
  const SOURCE = `config:
  ambient-langfuse:chartVersion: 2.0.0
  ambient-langfuse:langfuseVersion: 4.17.0
  ambient-langfuse:certManagerVersion: v1.20.2
  ambient-langfuse:clickhouseOperatorVersion: 0.0.5
`;

  it("replaces only the characters of each changed value, keeping its quotes and the comment on its line", () => {
    const target = stackFile(`# The target.
config:
  ambient-langfuse:platform: openshift   # stays
  # Versions, pinned.
  ambient-langfuse:chartVersion: '2.0.0'
  ambient-langfuse:langfuseVersion: "4.16.0" # v4
  ambient-langfuse:certManagerVersion: v1.19.1
  ambient-langfuse:clickhouseOperatorVersion: 0.0.4
  ambient-langfuse:projects: [team-a, {namespace: team-b, displayName: "Team B"}]
`);
    const source = stackFile(SOURCE);
    const { changes, unchanged } = planPromotion(source, "dev", target);
    expect(changes).toEqual([
      { setting: "langfuseVersion", from: "4.16.0", to: "4.17.0" },
      { setting: "certManagerVersion", from: "v1.19.1", to: "v1.20.2" },
      { setting: "clickhouseOperatorVersion", from: "0.0.4", to: "0.0.5" },
    ]);
    expect(unchanged).toEqual([{ setting: "chartVersion", value: "2.0.0" }]);
    expect(promotedText(target, changes)).toBe(`# The target.
config:
  ambient-langfuse:platform: openshift   # stays
  # Versions, pinned.
  ambient-langfuse:chartVersion: '2.0.0'
  ambient-langfuse:langfuseVersion: "4.17.0" # v4
  ambient-langfuse:certManagerVersion: v1.20.2
  ambient-langfuse:clickhouseOperatorVersion: 0.0.5
  ambient-langfuse:projects: [team-a, {namespace: team-b, displayName: "Team B"}]
`);
  });

  it("gives a pin the target lacks its own line beside the pins it has, keyed and indented like them, with its line endings", () => {
    const target = stackFile("config:\r\n    chartVersion: 2.0.0\r\n    # operators\r\n    clickhouseOperatorVersion: 0.0.4\r\n    hostname: langfuse.example.com\r\n");
    const source = stackFile(SOURCE);
    const { changes } = planPromotion(source, "dev", target);
    expect(changes).toEqual([
      { setting: "langfuseVersion", from: undefined, to: "4.17.0" },
      { setting: "certManagerVersion", from: undefined, to: "v1.20.2" },
      { setting: "clickhouseOperatorVersion", from: "0.0.4", to: "0.0.5" },
    ]);
    expect(promotedText(target, changes)).toBe(
      "config:\r\n    chartVersion: 2.0.0\r\n    langfuseVersion: 4.17.0\r\n    certManagerVersion: v1.20.2\r\n    # operators\r\n    clickhouseOperatorVersion: 0.0.5\r\n    hostname: langfuse.example.com\r\n",
    );
  });

  it("puts a lacking pin before the first pin when none comes before it, and fills a pin written empty", () => {
    const target = stackFile("config:\n  ambient-langfuse:langfuseVersion:\n  ambient-langfuse:certManagerVersion: v1.20.2\n  ambient-langfuse:clickhouseOperatorVersion: 0.0.5");
    const source = stackFile(SOURCE);
    const { changes } = planPromotion(source, "dev", target);
    expect(promotedText(target, changes)).toBe(
      "config:\n  ambient-langfuse:chartVersion: 2.0.0\n  ambient-langfuse:langfuseVersion: 4.17.0\n  ambient-langfuse:certManagerVersion: v1.20.2\n  ambient-langfuse:clickhouseOperatorVersion: 0.0.5",
    );
  });

  it("quotes a version that plain YAML would read as a number", () => {
    const target = stackFile("config:\n  ambient-langfuse:clickhouseOperatorVersion: 0.0.5\n");
    expect(promotedText(target, [{ setting: "clickhouseOperatorVersion", from: "0.0.5", to: "1.10" }])).toBe(
      'config:\n  ambient-langfuse:clickhouseOperatorVersion: "1.10"\n',
    );
  });

  it("refuses a target that pins no version at all, where a new line would have no place", () => {
    const target = stackFile("config:\n  ambient-langfuse:hostname: langfuse.example.com\n");
    expect(() => promotedText(target, [{ setting: "chartVersion", from: undefined, to: "2.0.0" }])).toThrow(
      new PromotionRefused(
        `${target.file} pins none of chartVersion, langfuseVersion, certManagerVersion, clickhouseOperatorVersion: ` +
          "pin the versions the stack runs now (`npm run plan` prints them) where they belong in the file, then promote",
      ),
    );
  });

  it("refuses a source that does not pin a setting to promote, naming each", () => {
    const source = stackFile("config:\n  ambient-langfuse:chartVersion: 2.0.0\n  ambient-langfuse:langfuseVersion:\n  ambient-langfuse:clickhouseOperatorVersion: 0.0.5\n");
    expect(() => planPromotion(source, "dev", stackFile(ROSA))).toThrow(
      new PromotionRefused(
        `${source.file} does not pin langfuseVersion, certManagerVersion: a promotion copies only versions the source stack pins ` +
          "(pin each once the stack runs it: `pulumi config set --stack dev langfuseVersion <version>`)",
      ),
    );
  });

  it.each([
    ["a secure: value", `config:\n  ambient-langfuse:chartVersion:\n    secure: v1:${KEY}\n`, "3:5", "ambient-langfuse:chartVersion is a secure: value: a version is pinned in plain text (`pulumi config set chartVersion <version>`)"],
    ["a list", "config:\n  ambient-langfuse:langfuseVersion: [4.16.0]\n", "2:37", 'ambient-langfuse:langfuseVersion is not a single value: a version is one exact string such as "2.0.0"'],
    ["a block scalar", "config:\n  ambient-langfuse:certManagerVersion: |\n    v1.20.2\n", "2:40", "ambient-langfuse:certManagerVersion is a block scalar (| or >): write the version on its key's line"],
    ["set twice", "config:\n  chartVersion: 2.0.0\n  ambient-langfuse:chartVersion: 1.5.41\n", "3:34", "ambient-langfuse:chartVersion is set twice, as chartVersion and as ambient-langfuse:chartVersion: keep one"],
  ])("names a pin written as %s by file, line and column, never by its value", (_, text, at, reason) => {
    const file = stackFile(text);
    expect(() => readPins(file)).toThrow(new StackFileError(file.file, reason, { line: Number(at.split(":")[0]), column: Number(at.split(":")[1]) }));
  });

  it.each([
    ["2.0.0", "1.5.41", "2.x", "1.5.x"],
    ["1.5.9", "2.0.0", "1.5.x", "2.x"],
  ])("refuses chartVersion %s -> %s as a migration from line %s to %s", (was, becomes, fromLine, toLine) => {
    expect(() => checkChartLine([{ setting: "chartVersion", from: was, to: becomes }], "rosa", was)).toThrow(
      new PromotionRefused(
        `chartVersion ${was} -> ${becomes} would move stack "rosa" from chart line ${fromLine} to ${toLine}: that is a migration, not a promotion: ` +
          `the stores change and their data moves to a sibling release (README, "Move the v3 POC to Langfuse v4")`,
      ),
    );
  });

  it("lets a chart version move within its line, and one the target only runs by default", () => {
    expect(() => checkChartLine([{ setting: "chartVersion", from: "1.5.9", to: "1.5.41" }], "rosa", "1.5.9")).not.toThrow();
    // Not pinned: the target runs Pulumi.yaml's default, 2.0.0, which is what is checked.
    expect(() => checkChartLine([{ setting: "chartVersion", from: undefined, to: "1.5.41" }], "rosa", "2.0.0")).toThrow(PromotionRefused);
  });
});

describe("npm run promote -- --from dev --to rosa", () => {
  it("promotes a new langfuseVersion: Pulumi.rosa.yaml changes by that value alone, every comment, setting and byte else kept", async () => {
    const dev = devWith(withSetting(DEV, "langfuseVersion", NEW_LANGFUSE));
    const rosa = rosaWith();
    const root = repository({ dev, rosa });
    earlierPlans(root, "dev", "rosa");
    const devPlan = readFileSync(path.join(root, "plan/dev/policy-report.json"), "utf8");

    const result = await promote("--from", "dev", "--to", "rosa", "--root", root);
    const file = path.join(root, "Pulumi.rosa.yaml");
    expect({ ...result, stdout: counted(result.stdout) }).toEqual({
      code: 0,
      stdout:
        `promotion from "dev" to "rosa": ${file}\n` +
        `  langfuseVersion: 4.16.0 -> ${NEW_LANGFUSE}\n` +
        "unchanged: chartVersion 2.0.0, certManagerVersion v1.20.2, clickhouseOperatorVersion 0.0.5\n" +
        'checked: stack "dev" plans cleanly (N resources), stack "rosa" plans cleanly with the promoted versions (N resources)\n' +
        `removed ${root}/plan/rosa/, which showed the versions before the promotion (\`npm run plan -- --stack rosa\` writes it anew)\n` +
        `wrote ${file}: review it with \`git diff ${file}\`, then \`pulumi preview --stack rosa\`\n`,
      stderr: "",
    });

    const promoted = readFileSync(file, "utf8");
    expect(promoted).toBe(rosa.replace("ambient-langfuse:langfuseVersion: 4.16.0\n", `ambient-langfuse:langfuseVersion: ${NEW_LANGFUSE}\n`));
    const comments = (text: string) => text.split("\n").filter((l) => l.trimStart().startsWith("#"));
    expect(comments(promoted)).toEqual(comments(rosa));
    expect(comments(promoted)).not.toEqual([]);
    // As the reviewer sees it: one line out, one line in.
    expect(git(root, "diff", "--numstat")).toBe("1\t1\tPulumi.rosa.yaml\n");
    expect(git(root, "diff", "-U0").split("\n").filter((l) => /^[-+] /.test(l))).toEqual([
      "-  ambient-langfuse:langfuseVersion: 4.16.0",
      `+  ambient-langfuse:langfuseVersion: ${NEW_LANGFUSE}`,
    ]);
    expect(readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8")).toBe(dev);
    expect(existsSync(path.join(root, "plan", "rosa"))).toBe(false);
    expect(readFileSync(path.join(root, "plan/dev/policy-report.json"), "utf8")).toBe(devPlan);
    expect(readdirSync(root).filter((f) => f.includes("promote"))).toEqual([]);
  });

  it("--dry-run prints the same change and writes nothing: no byte, no plan, no time stamp", async () => {
    const root = repository({ dev: devWith(withSetting(DEV, "langfuseVersion", NEW_LANGFUSE)), rosa: rosaWith() });
    earlierPlans(root, "dev", "rosa");
    const before = snapshot(root);
    const stamp = statSync(path.join(root, "Pulumi.rosa.yaml")).mtimeMs;

    const result = await promote("--from", "dev", "--to", "rosa", "--dry-run", "--root", root);
    expect({ ...result, stdout: counted(result.stdout) }).toEqual({
      code: 0,
      stdout:
        `promotion from "dev" to "rosa", dry run: ${root}/Pulumi.rosa.yaml\n` +
        `  langfuseVersion: 4.16.0 -> ${NEW_LANGFUSE}\n` +
        "unchanged: chartVersion 2.0.0, certManagerVersion v1.20.2, clickhouseOperatorVersion 0.0.5\n" +
        'checked: stack "dev" plans cleanly (N resources), stack "rosa" plans cleanly with the promoted versions (N resources)\n' +
        "dry run: nothing written\n",
      stderr: "",
    });
    expect(snapshot(root)).toEqual(before);
    expect(statSync(path.join(root, "Pulumi.rosa.yaml")).mtimeMs).toBe(stamp);
    expect(git(root, "status", "--porcelain", "--untracked-files=no")).toBe("");
  });

  it("moves every pin the source changed at once, within the chart line", async () => {
    // A 1.5.x pair: dev proved chart 1.5.41 (Langfuse 3.224.1) after 1.5.9; rosa still runs 1.5.9.
    const pins = (chart: string, langfuse: string) => (text: string) => withSetting(withSetting(text, "chartVersion", chart), "langfuseVersion", langfuse);
    const dev = devWith(pins("1.5.41", "3.224.1")(DEV));
    const rosa = rosaWith(pins("1.5.9", "3.124.1")(ROSA));
    const root = repository({ dev, rosa });
    const result = await promote("--from", "dev", "--to", "rosa", "--root", root);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n").filter((l) => l.includes(" -> "))).toEqual(["  chartVersion: 1.5.9 -> 1.5.41", "  langfuseVersion: 3.124.1 -> 3.224.1"]);
    expect(readFileSync(path.join(root, "Pulumi.rosa.yaml"), "utf8")).toBe(pins("1.5.41", "3.224.1")(rosa));
  });

  it("says so and exits 0 when the target already pins the source's versions", async () => {
    const root = repository({ dev: devWith(), rosa: rosaWith() });
    const before = snapshot(root);
    expect(await promote("--from", "dev", "--to", "rosa", "--root", root)).toEqual({
      code: 0,
      stdout:
        'nothing to promote: stack "rosa" already pins what "dev" pins ' +
        "(chartVersion 2.0.0, langfuseVersion 4.16.0, certManagerVersion v1.20.2, clickhouseOperatorVersion 0.0.5)\n",
      stderr: "",
    });
    expect(snapshot(root)).toEqual(before);
  });
});

describe("the target's plan with the promoted versions", () => {
  it("is the target's own settings with the promoted versions on top, rendered in memory", async () => {
    const root = repository({ rosa: rosaWith() });
    const before = snapshot(root);
    const { rendering, violations } = await checkPlan("rosa", root, { "ambient-langfuse:langfuseVersion": NEW_LANGFUSE, "ambient-langfuse:chartVersion": "2.0.0" });
    expect(violations).toEqual([]);
    const langfuse = rendering.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "langfuse")!;
    expect([langfuse.inputs.version, langfuse.inputs.values.langfuse.image]).toEqual(["2.0.0", { tag: NEW_LANGFUSE }]);
    // Still rosa: its Route, its managed PostgreSQL, its protection.
    expect(rendering.resources.some((r) => r.type === "kubernetes:route.openshift.io/v1:Route")).toBe(true);
    expect(langfuse.inputs.values.postgresql.deploy).toBe(false);
    expect(rendering.resources.find((r) => r.type === "kubernetes:core/v1:Namespace" && r.inputs.metadata.name === "langfuse")!.options.protect).toBe(true);
    expect(snapshot(root), "nothing written, no plan/").toEqual(before);
  });
});

describe("npm run promote refuses", () => {
  /** A promotion from dev (with a new Langfuse) to rosa that must be refused: nothing may change. */
  async function refused(dev: string, rosa: string, prepare: (root: string) => void = () => {}, ...options: string[]) {
    const root = repository({ dev, rosa });
    earlierPlans(root, "dev", "rosa");
    prepare(root);
    const before = snapshot(root);
    const result = await promote("--from", "dev", "--to", "rosa", "--root", root, ...options);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(snapshot(root), "the stack files and both earlier plans are as they were").toEqual(before);
    return { ...result, root, file: path.join(root, "Pulumi.rosa.yaml") };
  }
  const newDev = devWith(withSetting(DEV, "langfuseVersion", NEW_LANGFUSE));

  /** What production-ready says of a production stack whose protect is off. */
  const UNPROTECTED = [
    'violation [production-ready] kubernetes:core/v1:Namespace::langfuse: production stack: namespace "langfuse" is not protected: set protect to true (deleting it deletes every volume and Secret in it)',
    'violation [production-ready] kubernetes:core/v1:Secret::internal: production stack: Secret "langfuse-internal", which Langfuse reads its own secrets from, is not protected: set protect to true (a new salt or encryption key makes every API key and stored credential unusable)',
    'violation [production-ready] kubernetes:core/v1:Secret::bootstrap: production stack: Secret "langfuse-bootstrap", which Langfuse reads its own secrets from, is not protected: set protect to true (a new salt or encryption key makes every API key and stored credential unusable)',
  ];

  /** The refusal's first line, and each violation on a line of its own as `npm run plan` prints it. */
  function violationsOf(stderr: string): { first: string; violations: string[] } {
    const [first, ...violations] = stderr.trimEnd().split("\n");
    for (const v of violations) expect(v).toMatch(/^violation \[[a-z0-9-]+\] \S+::\S+: /);
    expect(first).toContain(` has ${violations.length} violation(s)`);
    return { first: first!, violations };
  }

  it("a source whose plan has a violation: its versions are not proven", async () => {
    // dev switched to production without protection: production-ready finds it.
    const { first, violations } = violationsOf((await refused(withLines(newDev, "ambient-langfuse:production: true"), rosaWith())).stderr);
    expect(first).toBe(
      `promotion from "dev" to "rosa" refused: the plan of stack "dev" has ${violations.length} violation(s): only versions a stack plans cleanly with are promoted`,
    );
    expect(violations).toEqual(expect.arrayContaining(UNPROTECTED));
  });

  it("a target whose plan with the promoted versions has a violation, checked in memory", async () => {
    const { stderr, file } = await refused(newDev, rosaWith(withSetting(ROSA, "protect", "false")));
    const { first, violations } = violationsOf(stderr);
    expect(first).toBe(
      `promotion from "dev" to "rosa" refused: the plan of stack "rosa" with the promoted versions (langfuseVersion ${NEW_LANGFUSE}) ` +
        `has ${violations.length} violation(s); ${file} is unchanged`,
    );
    expect(violations).toEqual(expect.arrayContaining(UNPROTECTED));
  });

  it.each([
    [
      "a source",
      withSetting(newDev, "hostname", "langfuse_local"),
      rosaWith(),
      'stack "dev" does not plan, so its versions are not proven: invalid stack config:\n' +
        '  - ambient-langfuse:hostname is "langfuse_local": use a bare host name such as "langfuse.example.com" (no scheme, port or path; labels of letters, digits and "-")',
    ],
    [
      "a target",
      newDev,
      rosaWith(withSetting(ROSA, "operatorIntegration", "operator")),
      `stack "rosa" would not plan with the promoted versions (langfuseVersion ${NEW_LANGFUSE}): invalid stack config:\n` +
        '  - ambient-langfuse:operatorIntegration is "operator": use one of "admission-policy", "operator-env", "none"',
    ],
  ])("%s whose settings do not plan, as the plan words it", async (_, dev, rosa, reason) => {
    expect((await refused(dev, rosa)).stderr).toBe(`promotion from "dev" to "rosa" refused: ${reason}\n`);
  });

  it.each([
    ["changed and not staged", (root: string) => writeFileSync(path.join(root, "Pulumi.rosa.yaml"), `${rosaWith()}  # a local note\n`), "has uncommitted changes: commit or stash them first"],
    ["staged", (root: string) => (writeFileSync(path.join(root, "Pulumi.rosa.yaml"), `# staged\n${rosaWith()}`), git(root, "add", "Pulumi.rosa.yaml")), "has uncommitted changes: commit or stash them first"],
    ["not tracked", (root: string) => (git(root, "rm", "-q", "--cached", "Pulumi.rosa.yaml"), git(root, "commit", "-q", "-m", "untrack")), "is not committed: commit it first"],
  ])("a target file %s, even for a dry run", async (_, prepare, reason) => {
    for (const options of [[], ["--dry-run"]]) {
      const { stderr, file } = await refused(newDev, rosaWith(), prepare, ...options);
      expect(stderr).toBe(`promotion from "dev" to "rosa" refused: ${file} ${reason}, so that git diff shows the promotion alone\n`);
    }
  });

  it("outside a git repository", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "promote-nogit-"));
    cpSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    writeFileSync(path.join(root, "Pulumi.dev.yaml"), newDev);
    writeFileSync(path.join(root, "Pulumi.rosa.yaml"), rosaWith());
    expect(await promote("--from", "dev", "--to", "rosa", "--root", root)).toEqual({
      code: 1,
      stdout: "",
      stderr: `promotion from "dev" to "rosa" refused: ${root} is not in a git repository: commit ${root}/Pulumi.rosa.yaml to one first, so that git diff shows the promotion alone\n`,
    });
    expect(readFileSync(path.join(root, "Pulumi.rosa.yaml"), "utf8")).toBe(rosaWith());
  });

  it("a setting to promote that the source does not pin", async () => {
    const dev = newDev.replace(/^ {2}ambient-langfuse:certManagerVersion: .*\n/m, "");
    const { stderr, root } = await refused(dev, rosaWith());
    expect(stderr).toBe(
      `promotion from "dev" to "rosa" refused: ${root}/Pulumi.dev.yaml does not pin certManagerVersion: a promotion copies only versions the source stack pins ` +
        "(pin it once the stack runs it: `pulumi config set --stack dev certManagerVersion <version>`)\n",
    );
  });

  const onV3 = (text: string) => withSetting(withSetting(text, "chartVersion", "1.5.41"), "langfuseVersion", "3.224.1");
  it.each([
    ["1.5.x to 2.x", newDev, onV3(ROSA), "1.5.41 -> 2.0.0", "1.5.x to 2.x"],
    ["2.x to 1.5.x", onV3(newDev), ROSA, "2.0.0 -> 1.5.41", "2.x to 1.5.x"],
  ])("a change of chart line, %s: a migration, not a promotion", async (_, dev, rosa, change, lines) => {
    const { stderr } = await refused(dev, rosaWith(rosa));
    expect(stderr).toBe(
      `promotion from "dev" to "rosa" refused: chartVersion ${change} would move stack "rosa" from chart line ${lines}: that is a migration, not a promotion: ` +
        'the stores change and their data moves to a sibling release (README, "Move the v3 POC to Langfuse v4")\n',
    );
  });

  it("a broken target file, named by file, line and column without its content", async () => {
    const rosa = `${rosaWith()}  ambient-langfuse:ingressClassName: [${PASSWORD}\n`;
    const { stderr, file } = await refused(newDev, rosa);
    // Reported where the unclosed list should have ended: the line after the last.
    expect(stderr).toBe(`promotion from "dev" to "rosa" stopped: ${file}:${rosa.split("\n").length}:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]\n`);
  });
});

describe("npm run promote: arguments", () => {
  const USAGE = `usage: npm run promote -- --from <stack> --to <stack> [--dry-run] [--root <dir>]

Copies the versions Pulumi.<from>.yaml pins into Pulumi.<to>.yaml, in place, once both stacks
plan cleanly with them, and prints each change as \`setting: old -> new\`. Writes no plan/ folder.
Promoted: chartVersion, langfuseVersion, certManagerVersion, clickhouseOperatorVersion.
  --from <stack>   the stack the versions were proven on (here: dev, rosa)
  --to <stack>     the stack that receives them
  --dry-run        check and print the change, write nothing
  --root <dir>     the project directory holding Pulumi.yaml (default: this repository)
Exits 0 when promoted or nothing is to promote, 1 when refused or a stack file is broken, 2 on bad usage.
`;

  it("prints the usage on --help and exits 0", async () => {
    expect(await promote("--help")).toEqual({ code: 0, stdout: USAGE, stderr: "" });
  });

  it.each([
    [["--from", "dev"], "--to is required"],
    [["--to", "rosa"], "--from is required"],
    [["--from", "dev", "--to", "dev"], '--from and --to are both "dev": a promotion moves versions from one stack to another'],
    [["--from", "dev", "--to", "prod"], "stack \"prod\" has no stack file <root>/Pulumi.prod.yaml"],
    [["--from", "../dev", "--to", "rosa"], '--from "../dev" is not a stack name (letters, digits, "_", "-" and ".")'],
    [["--from", "dev", "--to", "rosa", "--dry-run=yes"], "--dry-run takes no value"],
    [["--from", "dev", "--to", "rosa", "--force"], "unknown option --force"],
    [["--from", "dev", "rosa"], 'unexpected argument "rosa"'],
  ])("refuses %j with exit 2 and the usage, touching nothing", async (argv, problem) => {
    const root = repository({ dev: devWith(withSetting(DEV, "langfuseVersion", NEW_LANGFUSE)), rosa: rosaWith() });
    const before = snapshot(root);
    expect(await promote(...argv, "--root", root)).toEqual({ code: 2, stdout: "", stderr: `npm run promote: ${problem.replace("<root>", root)}\n\n${USAGE}` });
    expect(snapshot(root)).toEqual(before);
  });
});

describe("npm run promote, as a process", () => {
  it("runs the README's dry run on this repository: only version pins printed, Pulumi.rosa.yaml left as committed", async () => {
    const before = readFileSync(path.join(REPO_ROOT, "Pulumi.rosa.yaml"), "utf8");
    const diff = () => git(REPO_ROOT, "diff", "HEAD", "--", "Pulumi.rosa.yaml");
    const diffBefore = diff();
    const { stdout, stderr } = await execFileAsync("npm", ["run", "promote", "--", "--from", "dev", "--to", "rosa", "--dry-run"], { cwd: REPO_ROOT });
    expect(stderr).toBe("");
    // npm's own two header lines, then the promotion's.
    const lines = stdout.trim().split("\n").filter((l) => l !== "" && !l.startsWith("> "));
    const versions = PROMOTABLE_SETTINGS.join("|");
    for (const line of lines) {
      expect(line).toMatch(
        new RegExp(
          `^(nothing to promote: .*|promotion from "dev" to "rosa", dry run: .*|  (${versions}): \\S+ -> \\S+|unchanged: .*|checked: .*|dry run: nothing written)$`,
        ),
      );
      // Every setting a line names is a promotable one.
      for (const named of line.match(/\b[a-z][A-Za-z]+Version\b/g) ?? []) expect(PROMOTABLE_SETTINGS).toContain(named);
    }
    expect(readFileSync(path.join(REPO_ROOT, "Pulumi.rosa.yaml"), "utf8")).toBe(before);
    expect(diff()).toBe(diffBefore);
  });

  it("exits 1 on a refusal and 2 on bad usage, one message and no stack trace", async () => {
    const run = (args: string[]) =>
      execFileAsync(TSX, [path.join(REPO_ROOT, "infra/promote.ts"), ...args], { cwd: REPO_ROOT }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const root = repository({ dev: devWith(withSetting(DEV, "chartVersion", "1.5.41")), rosa: rosaWith() });
    const refusal = await run(["--from", "dev", "--to", "rosa", "--root", root]);
    expect(refusal.code).toBe(1);
    expect(refusal.stdout).toBe("");
    expect(refusal.stderr).toMatch(/^promotion from "dev" to "rosa" refused: chartVersion 2\.0\.0 -> 1\.5\.41 would move stack "rosa" from chart line 2\.x to 1\.5\.x: .*\n$/);
    const usage = await run(["--from", "dev", "--root", root]);
    expect([usage.code, usage.stdout, usage.stderr.split("\n")[0]]).toEqual([2, "", "npm run promote: --to is required"]);
  });
});
