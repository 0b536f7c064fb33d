import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import { listStacks, stackFilePath } from "./stackConfig";
import { displayPath } from "./stackFile";

/** Pulumi's stack names; anything else could not be a `Pulumi.<name>.yaml` beside Pulumi.yaml. */
const STACK_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Why `--root <dir>` cannot be a project directory, or undefined. The commands that take a project
 * (`npm run plan`, `npm run promote`) word it the same way, as bad usage.
 */
export function rootProblem(root: string): string | undefined {
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
export function stacksIn(root: string): string[] {
  try {
    return listStacks(root);
  } catch {
    return [];
  }
}
