import { Console } from "node:console";
import { ConfigError, PROJECT } from "../config";
import {
  encryptedKeyPairsNote,
  internalSecretOrigins,
  internalSecretsLine,
  projectKeyRows,
  projectKeysLine,
  releaseRows,
  unsetCredentialCommands,
} from "./planSummary";
import { type PlanResult, writePlan } from "./planWriter";
import { readProjectCommandLine, stackProblem } from "./projectArguments";
import { displayPath, StackFileError } from "./stackFile";

export interface PlanIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const OPTIONS = {
  stack: { type: "string" },
  root: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export function planUsage(stacks: string[]): string {
  return [
    "usage: npm run plan -- --stack <name> [--root <dir>]",
    "",
    "Evaluates the Pulumi program offline under the mock monitor with Pulumi.<name>.yaml, checks",
    "every policy and writes plan/<name>/.",
    "  --stack <name>   the stack" + (stacks.length > 0 ? ` (here: ${stacks.join(", ")})` : ""),
    "  --root <dir>     the project directory holding Pulumi.yaml (default: this repository)",
    "Exits 0 when clean, 1 on a broken stack file, invalid config or a policy violation, 2 on bad usage.",
  ].join("\n");
}

/**
 * `npm run plan`: the whole command, its output written to `io`; resolves to the exit code.
 * Every failure it expects is one line naming the file, setting or argument, never a stack
 * trace and never a value from a stack file.
 */
export async function runPlan(argv: string[], io: PlanIo = process): Promise<number> {
  const out = new Console({ stdout: io.stdout, stderr: io.stderr });
  const line = readProjectCommandLine("plan", argv, OPTIONS, planUsage, out);
  if ("exit" in line) return line.exit;
  const { options, root, badUsage } = line;
  const stackIssue = stackProblem("--stack", options.stack, root);
  if (stackIssue) return badUsage(stackIssue);
  const stack = options.stack!;

  let plan: PlanResult;
  try {
    plan = await writePlan(stack, root);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof StackFileError || e instanceof ConfigError) {
      out.error(`plan for stack "${stack}" stopped: ${message}`);
    } else {
      out.error(`plan for stack "${stack}" failed: ${message}`);
    }
    return 1;
  }

  const { rendering, runs, violations, dir } = plan;
  // Own key pairs are said once, as pairs (below); every other value the plan cannot decrypt here.
  const keyPaths = new Set(rendering.encryptedKeyPairs.flatMap((p) => [`${PROJECT}:${p.entry}.publicKey`, `${PROJECT}:${p.entry}.secretKey`]));
  const undecrypted = plan.undecrypted.filter((p) => !keyPaths.has(p));
  if (undecrypted.length > 0) {
    out.log(
      `note: ${undecrypted.join(", ")}: ${undecrypted.length === 1 ? "a secure value" : "secure values"} ` +
        "the plan cannot decrypt; it stands in a placeholder of the setting's shape and cannot check the value itself " +
        "(pulumi preview checks it decrypted)",
    );
  }
  if (rendering.encryptedKeyPairs.length > 0) out.log(encryptedKeyPairsNote(rendering.encryptedKeyPairs));
  for (const warning of rendering.warnings) out.log(`warning: ${warning}`);
  const counts = new Map<string, number>();
  for (const r of rendering.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  out.log(`plan for stack "${stack}": ${rendering.resources.length} resources -> ${displayPath(dir)}/`);
  out.table([...counts].map(([type, count]) => ({ type, count })));
  out.table(releaseRows(rendering.resources));
  const origins = internalSecretOrigins(rendering.resources);
  if (origins) out.log(internalSecretsLine(origins));
  const projectKeys = projectKeyRows(rendering.resources);
  if (projectKeys) {
    out.log(projectKeysLine(projectKeys.isolation, projectKeys.rows));
    out.table(projectKeys.rows);
  }
  if (rendering.unsetCredentials.length > 0) {
    out.log(
      "set before `pulumi up` (secret settings this stack leaves unset; the plan stood in a value of each one's shape, " +
        "`pulumi up` stops without them):\n" +
        unsetCredentialCommands(stack, rendering.unsetCredentials).map((c) => `  ${c}`).join("\n"),
    );
  }
  out.table(runs.map((r) => ({ policy: r.policy, status: r.status, ...(r.detail ? { detail: r.detail } : {}) })));
  for (const v of violations) out.error(`violation [${v.policy}] ${v.resource}: ${v.message}`);
  out.log(`${violations.length} violation(s)`);
  return violations.length === 0 ? 0 : 1;
}
