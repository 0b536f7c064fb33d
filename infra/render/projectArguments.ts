import type { Console } from "node:console";
import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import { type OptionsSpec, type ParsedOptions, parseCommandLine, UsageError } from "./commandLine";
import { listStacks, REPO_ROOT, stackFilePath } from "./stackConfig";
import { displayPath } from "./stackFile";

/** The options every command on a project directory takes. */
type ProjectOptionsSpec = OptionsSpec & { root: { type: "string" }; help: { type: "boolean"; short?: string } };

/** A project command's line once read: its options, the project directory, and how to refuse more. */
export interface ProjectCommandLine<S extends ProjectOptionsSpec> {
  options: ParsedOptions<S>;
  /** `--root`, resolved, holding a Pulumi.yaml. */
  root: string;
  /** Prints `npm run <command>: <problem>` and the usage (with the project's stacks); returns 2. */
  badUsage(problem: string): number;
}

/**
 * The start of `npm run <command>` on a project directory (`plan`, `promote`): reads the command
 * line, answers `--help` (exit 0) and bad usage (exit 2, with the usage) itself, and checks
 * `--root`. Returns the exit code when the command is done, else what it runs on.
 */
export function readProjectCommandLine<S extends ProjectOptionsSpec>(
  command: string,
  argv: string[],
  spec: S,
  usage: (stacks: string[]) => string,
  out: Console,
): { exit: number } | ProjectCommandLine<S> {
  const badUsage = (problem: string, root?: string): number => {
    out.error(`npm run ${command}: ${problem}\n\n${usage(root === undefined ? [] : stacksIn(root))}`);
    return 2;
  };
  let options: ParsedOptions<S>;
  try {
    options = parseCommandLine(argv, spec);
  } catch (e) {
    if (e instanceof UsageError) return { exit: badUsage(e.message, REPO_ROOT) };
    throw e;
  }
  const { root: given, help } = options as { root?: string; help?: boolean };
  const root = path.resolve(given ?? REPO_ROOT);
  if (help) {
    out.log(usage(stacksIn(root)));
    return { exit: 0 };
  }
  const rootIssue = rootProblem(root);
  if (rootIssue) return { exit: badUsage(rootIssue) };
  return { options, root, badUsage: (problem) => badUsage(problem, root) };
}

/** Pulumi's stack names; anything else could not be a `Pulumi.<name>.yaml` beside Pulumi.yaml. */
const STACK_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Why `--root <dir>` cannot be a project directory, or undefined. */
function rootProblem(root: string): string | undefined {
  if (!existsSync(root)) return `--root ${displayPath(root)} does not exist`;
  if (!statSync(root).isDirectory()) return `--root ${displayPath(root)} is not a directory`;
  if (!existsSync(path.join(root, "Pulumi.yaml"))) return `--root ${displayPath(root)} holds no Pulumi.yaml`;
  return undefined;
}

/** Why the stack an option names (`--stack`, `--from`, `--to`) cannot be used, or undefined. */
export function stackProblem(option: string, stack: string | undefined, root: string): string | undefined {
  if (stack === undefined) return `${option} is required`;
  if (!STACK_NAME.test(stack)) return `${option} "${stack}" is not a stack name (letters, digits, "_", "-" and ".")`;
  const file = stackFilePath(stack, root);
  if (!existsSync(file)) return `stack "${stack}" has no stack file ${displayPath(file)}`;
  return undefined;
}

/** The stacks a usage message offers: none where the directory cannot be listed. */
function stacksIn(root: string): string[] {
  try {
    return listStacks(root);
  } catch {
    return [];
  }
}
