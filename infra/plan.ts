import * as path from "node:path";

import { ConfigError } from "./config";
import { internalSecretOrigins, releaseRows } from "./render/planSummary";
import { writePlan } from "./render/planWriter";
import { REPO_ROOT, listStacks } from "./render/stackConfig";

// tsx turns source maps on, which makes each `new Error().stack` the Pulumi SDK captures per
// promise (for its leak report) several times slower and the plan grow faster than linearly with
// the number of resources; stack traces then point into the transpiled code instead.
process.setSourceMapsEnabled(false);

/**
 * `npm run plan -- --stack <name> [--root <dir>]`: evaluates the program offline under Pulumi's
 * mock monitor with that stack's settings, writes plan/<name>/ (secrets redacted) and checks
 * every policy. Exits 1 on invalid config or any violation, 2 on bad usage.
 */
async function main(argv: string[]): Promise<number> {
  const flag = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const stack = flag("--stack");
  // --root: a directory holding Pulumi.yaml and the stack files (default: this repository).
  const root = path.resolve(flag("--root") ?? REPO_ROOT);
  if (!stack) {
    console.error(`usage: npm run plan -- --stack <name> [--root <dir>]   (stacks here: ${listStacks(root).join(", ")})`);
    return 2;
  }

  let plan;
  try {
    plan = await writePlan(stack, root);
  } catch (e) {
    if (e instanceof ConfigError || (e instanceof Error && e.message.startsWith("no stack file"))) {
      console.error(`plan for stack "${stack}" stopped: ${e.message}`);
      return 1;
    }
    throw e;
  }

  const { rendering, runs, violations, dir } = plan;
  const counts = new Map<string, number>();
  for (const r of rendering.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  console.log(`plan for stack "${stack}": ${rendering.resources.length} resources -> ${path.relative(process.cwd(), dir) || "."}/`);
  console.table([...counts].map(([type, count]) => ({ type, count })));
  console.table(releaseRows(rendering.resources));
  const origins = internalSecretOrigins(rendering.resources);
  if (origins) console.log(`internal secrets adopted: ${origins.adopted.join(", ") || "none"}; generated: ${origins.generated.join(", ") || "none"}`);
  console.table(runs.map((r) => ({ policy: r.policy, status: r.status, ...(r.detail ? { detail: r.detail } : {}) })));
  for (const v of violations) console.error(`violation [${v.policy}] ${v.resource}: ${v.message}`);
  console.log(`${violations.length} violation(s)`);
  return violations.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  },
);
