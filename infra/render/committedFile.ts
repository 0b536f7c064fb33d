import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { displayPath } from "./stackFile";

/**
 * Why a file cannot take a reviewed change, or undefined when it is committed as it is on disk:
 * the change then shows alone in `git diff`. Asks git itself (`git status` sees staged and
 * unstaged changes alike); prints file names only, never content.
 */
export function uncommittedProblem(file: string): string | undefined {
  const dir = path.dirname(file);
  const name = displayPath(file);
  const git = (...args: string[]): { ok: true; out: string } | { ok: false; missing: boolean } => {
    try {
      return { ok: true, out: execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }) };
    } catch (e) {
      return { ok: false, missing: (e as NodeJS.ErrnoException).code === "ENOENT" };
    }
  };
  const inside = git("rev-parse", "--is-inside-work-tree");
  if (!inside.ok && inside.missing) return `git is not installed: ${name} must be committed before a promotion, so that git diff shows it alone`;
  if (!inside.ok || inside.out.trim() !== "true") {
    return `${displayPath(dir)} is not in a git repository: commit ${name} to one first, so that git diff shows the promotion alone`;
  }
  if (!git("ls-files", "--error-unmatch", "--", path.basename(file)).ok) {
    return `${name} is not committed: commit it first, so that git diff shows the promotion alone`;
  }
  const status = git("status", "--porcelain", "--", path.basename(file));
  if (!status.ok) return `git status failed for ${name}`;
  if (status.out.trim() !== "") {
    return `${name} has uncommitted changes: commit or stash them first, so that git diff shows the promotion alone`;
  }
  return undefined;
}
