import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The bundle that ships in the runner image (`npm run bundle`), which the wrapper's tests run. It
 * is rebuilt before a test run whenever what goes into it changed (vitest's global setup), so no
 * test runs a stale build, and none pays for a build it does not need.
 */
const PACKAGE = path.resolve(__dirname, "..");
export const BUNDLE = path.join(PACKAGE, "dist/claude-langfuse.cjs");
/** Beside the bundle: the digest of the inputs it was built from. */
const STAMP = `${BUNDLE}.inputs`;

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Digest of the sources, the package's manifest and the lock file (the dependencies' versions). */
export function bundleInputs(): string {
  const hash = createHash("sha256");
  const files = [...filesUnder(path.join(PACKAGE, "src")), path.join(PACKAGE, "package.json"), path.join(PACKAGE, "../package-lock.json")].sort();
  for (const file of files) {
    hash.update(path.relative(PACKAGE, file));
    hash.update(fs.readFileSync(file));
  }
  return hash.digest("hex");
}

export function bundleIsCurrent(): boolean {
  try {
    return fs.existsSync(BUNDLE) && fs.readFileSync(STAMP, "utf8") === bundleInputs();
  } catch {
    return false;
  }
}

/** Builds the bundle with the README's command unless it is current. */
export function ensureBundle(): void {
  if (bundleIsCurrent()) return;
  const inputs = bundleInputs();
  fs.rmSync(STAMP, { force: true });
  const built = spawnSync("npm", ["run", "bundle"], { cwd: PACKAGE, encoding: "utf8", timeout: 180_000 });
  if (built.status !== 0) throw new Error(`npm run bundle failed (${built.status ?? built.signal}):\n${built.stdout}\n${built.stderr}`);
  fs.writeFileSync(STAMP, inputs);
}
