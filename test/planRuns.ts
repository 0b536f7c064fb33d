// A test helper: `npm run plan` as a user runs it, on a temporary project directory of stack files.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../infra/render/stackConfig";

const execFileAsync = promisify(execFile);

/** A project directory with this repository's Pulumi.yaml and the given stack files. */
export function projectDir(stackFiles: Record<string, string>, prefix = "plan-run-"): string {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  cpSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
  for (const [stack, text] of Object.entries(stackFiles)) writeFileSync(path.join(root, `Pulumi.${stack}.yaml`), text);
  return root;
}

/** Every file below a directory (none when it is absent). */
export const filesUnder = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? filesUnder(path.join(dir, f)) : [path.join(dir, f)])) : [];

/** `npm run plan -- <args>` from this repository, as a user runs it: its exit code and output. */
export const npmPlan = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  execFileAsync("npm", ["run", "--silent", "plan", "--", ...args], { cwd: REPO_ROOT }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
