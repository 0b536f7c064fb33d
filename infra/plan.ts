import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { ConfigError } from "./config";
import { kubernetesObjects, referenceContext, runPolicies } from "./policies";
import { renderStack } from "./render/mockHarness";
import { REPO_ROOT, listStacks, loadStackConfig } from "./render/stackConfig";

/**
 * `npm run plan -- --stack <name>`: evaluates the program offline under Pulumi's mock monitor
 * with that stack's settings, writes what it would register to plan/<name>/ (secrets redacted)
 * and checks every policy. Exits 1 on invalid config or any violation, 2 on bad usage.
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

  let rendering;
  try {
    rendering = await renderStack(stack, loadStackConfig(stack, root));
  } catch (e) {
    if (e instanceof ConfigError || (e instanceof Error && e.message.startsWith("no stack file"))) {
      console.error(`plan for stack "${stack}" stopped: ${e.message}`);
      return 1;
    }
    throw e;
  }

  const out = path.join(root, "plan", stack);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.join(out, "manifests"), { recursive: true });
  writeFileSync(path.join(out, "resources.json"), JSON.stringify(rendering.resources, null, 2) + "\n");
  for (const r of kubernetesObjects(rendering.resources)) {
    const { kind, metadata } = r.inputs;
    const file = `${kind.toLowerCase()}-${metadata?.namespace ?? "cluster"}-${metadata?.name ?? r.name}.yaml`;
    writeFileSync(path.join(out, "manifests", file), stringify(r.inputs));
  }
  const { runs, violations } = runPolicies(rendering.resources, referenceContext());
  writeFileSync(path.join(out, "policy-report.json"), JSON.stringify(violations, null, 2) + "\n");

  const counts = new Map<string, number>();
  for (const r of rendering.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  console.log(`plan for stack "${stack}": ${rendering.resources.length} resources -> ${path.relative(process.cwd(), out)}/`);
  console.table([...counts].map(([type, count]) => ({ type, count })));
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
