import { Console } from "node:console";
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError, PROJECT } from "../config";
import { PROMOTABLE_SETTINGS } from "../promotableSettings";
import { uncommittedProblem } from "./committedFile";
import { type CheckedPlan, checkPlan } from "./planCheck";
import type { PlanIo } from "./planCommand";
import { planDir } from "./planWriter";
import { readProjectCommandLine, stackProblem } from "./projectArguments";
import { type Change, checkChartLine, planPromotion, promotedText, PromotionRefused } from "./promotion";
import { loadStackConfig, stackFilePath } from "./stackConfig";
import { displayPath, readStackFile, StackFileError } from "./stackFile";

const OPTIONS = {
  from: { type: "string" },
  to: { type: "string" },
  "dry-run": { type: "boolean" },
  root: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export function promoteUsage(stacks: string[]): string {
  return [
    "usage: npm run promote -- --from <stack> --to <stack> [--dry-run] [--root <dir>]",
    "",
    "Copies the versions Pulumi.<from>.yaml pins into Pulumi.<to>.yaml, in place, once both stacks",
    "plan cleanly with them, and prints each change as `setting: old -> new`. Writes no plan/ folder.",
    `Promoted: ${PROMOTABLE_SETTINGS.join(", ")}.`,
    "  --from <stack>   the stack the versions were proven on" + (stacks.length > 0 ? ` (here: ${stacks.join(", ")})` : ""),
    "  --to <stack>     the stack that receives them",
    "  --dry-run        check and print the change, write nothing",
    "  --root <dir>     the project directory holding Pulumi.yaml (default: this repository)",
    "Exits 0 when promoted or nothing is to promote, 1 when refused or a stack file is broken, 2 on bad usage.",
  ].join("\n");
}

/**
 * `npm run promote`: the whole command, its output written to `io`; resolves to the exit code.
 * Checks run cheapest first (files, pins, chart line, git, then both plans), and the target file
 * is written only after all of them pass. Its own lines quote no value of a stack file but the
 * versions; invalid settings and violations are worded as `npm run plan` words them (the settings'
 * messages never echo a secret, the violations come from the redacted rendering).
 */
export async function runPromote(argv: string[], io: PlanIo = process): Promise<number> {
  const out = new Console({ stdout: io.stdout, stderr: io.stderr });
  const line = readProjectCommandLine("promote", argv, OPTIONS, promoteUsage, out);
  if ("exit" in line) return line.exit;
  const { options, root, badUsage } = line;
  const stackIssue = stackProblem("--from", options.from, root) ?? stackProblem("--to", options.to, root);
  if (stackIssue) return badUsage(stackIssue);
  const [from, to] = [options.from!, options.to!];
  if (from === to) return badUsage(`--from and --to are both "${from}": a promotion moves versions from one stack to another`);
  const dryRun = options["dry-run"] === true;

  const label = `promotion from "${from}" to "${to}"`;
  const refuse = (reason: string): number => {
    out.error(`${label} refused: ${reason}`);
    return 1;
  };
  try {
    const source = readStackFile(stackFilePath(from, root));
    const target = readStackFile(stackFilePath(to, root));
    const { changes, unchanged } = planPromotion(source, from, target);
    if (changes.length === 0) {
      out.log(`nothing to promote: stack "${to}" already pins what "${from}" pins (${unchanged.map((u) => `${u.setting} ${u.value}`).join(", ")})`);
      return 0;
    }
    const running = loadStackConfig(to, root).config[`${PROJECT}:chartVersion`];
    checkChartLine(changes, to, running);
    // Made (and read back) before the plans, so a file that cannot take the change is refused first.
    const promoted = promotedText(target, changes);
    const uncommitted = uncommittedProblem(target.file);
    if (uncommitted) return refuse(uncommitted);

    const versions = changes.map((c) => `${c.setting} ${c.to}`).join(", ");
    const sourcePlan = await planOf(from, root, {}, `stack "${from}" does not plan, so its versions are not proven`);
    if ("refused" in sourcePlan) return refuse(sourcePlan.refused);
    if (sourcePlan.violations.length > 0) {
      return refuse(
        `the plan of stack "${from}" has ${sourcePlan.violations.length} violation(s): only versions a stack plans cleanly with are promoted\n` +
          violationLines(sourcePlan),
      );
    }
    const overrides = Object.fromEntries(changes.map((c) => [`${PROJECT}:${c.setting}`, c.to]));
    const targetPlan = await planOf(to, root, overrides, `stack "${to}" would not plan with the promoted versions (${versions})`);
    if ("refused" in targetPlan) return refuse(targetPlan.refused);
    if (targetPlan.violations.length > 0) {
      return refuse(
        `the plan of stack "${to}" with the promoted versions (${versions}) has ${targetPlan.violations.length} violation(s); ` +
          `${displayPath(target.file)} is unchanged\n` +
          violationLines(targetPlan),
      );
    }

    out.log(`${label}${dryRun ? ", dry run" : ""}: ${displayPath(target.file)}`);
    for (const line of changeLines(changes)) out.log(`  ${line}`);
    if (unchanged.length > 0) out.log(`unchanged: ${unchanged.map((u) => `${u.setting} ${u.value}`).join(", ")}`);
    out.log(
      `checked: stack "${from}" plans cleanly (${sourcePlan.rendering.resources.length} resources), ` +
        `stack "${to}" plans cleanly with the promoted versions (${targetPlan.rendering.resources.length} resources)`,
    );
    if (dryRun) {
      out.log("dry run: nothing written");
      return 0;
    }
    replaceFile(target.file, promoted);
    // plan/<to>/ showed the file before the promotion: none may pass for current.
    const stale = planDir(to, root);
    if (existsSync(stale)) {
      rmSync(stale, { recursive: true, force: true });
      out.log(`removed ${displayPath(stale)}/, which showed the versions before the promotion (\`npm run plan -- --stack ${to}\` writes it anew)`);
    }
    out.log(`wrote ${displayPath(target.file)}: review it with \`git diff ${displayPath(target.file)}\`, then \`pulumi preview --stack ${to}\``);
    return 0;
  } catch (e) {
    if (e instanceof PromotionRefused) return refuse(e.message);
    if (e instanceof StackFileError) {
      out.error(`${label} stopped: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/** `setting: old -> new`, one per change. */
function changeLines(changes: Change[]): string[] {
  return changes.map((c) => `${c.setting}: ${c.from ?? "(not set)"} -> ${c.to}`);
}

/** The stack checked in memory, or why it does not plan (invalid config, worded as the plan words it). */
async function planOf(stack: string, root: string, overrides: Record<string, unknown>, stops: string): Promise<CheckedPlan | { refused: string }> {
  try {
    return await checkPlan(stack, root, overrides);
  } catch (e) {
    if (e instanceof ConfigError) return { refused: `${stops}: ${e.message}` };
    throw e;
  }
}

/** Each violation as `npm run plan` prints it. */
function violationLines(plan: CheckedPlan): string {
  return plan.violations.map((v) => `violation [${v.policy}] ${v.resource}: ${v.message}`).join("\n");
}

/** Writes beside the file and renames over it, keeping its mode: never a half-written stack file. */
function replaceFile(file: string, text: string): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.promote-${process.pid}`);
  writeFileSync(temporary, text, { mode: statSync(file).mode & 0o777 });
  renameSync(temporary, file);
}
