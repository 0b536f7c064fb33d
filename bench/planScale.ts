import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";

/**
 * Plan time against the number of projects: `npm run plan` run end to end (a fresh process, as a
 * user runs it) for a stack listing 1, 100 and 500 projects. Target: 500 projects within 15 s on
 * a 2-core machine, growing no faster than linearly.
 */
const REPO = path.resolve(__dirname, "..");
const SIZES = [1, 100, 500];

function planSeconds(projects: number): number {
  const root = mkdtempSync(path.join(tmpdir(), "plan-scale-"));
  copyFileSync(path.join(REPO, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
  const config = {
    "ambient-langfuse:adminEmail": "admin@ambient-code.local",
    "ambient-langfuse:protect": false,
    "ambient-langfuse:createProjectNamespaces": true,
    "ambient-langfuse:projects": Array.from({ length: projects }, (_, i) => `project-${String(i).padStart(3, "0")}`),
  };
  writeFileSync(path.join(root, "Pulumi.scale.yaml"), stringify({ config }));
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, [path.join(REPO, "node_modules/tsx/dist/cli.mjs"), path.join(REPO, "infra/plan.ts"), "--stack", "scale", "--root", root], {
    stdio: "ignore",
  });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const rows = SIZES.map((n) => ({ projects: n, seconds: planSeconds(n) }));
const [one, hundred, fiveHundred] = rows.map((r) => r.seconds);
const perProjectLow = (hundred - one) / 99;
const perProjectHigh = (fiveHundred - hundred) / 400;
for (const r of rows) console.log(`plan with ${String(r.projects).padStart(3)} projects: ${r.seconds.toFixed(2)} s`);
console.log(`marginal cost per project: ${(perProjectLow * 1000).toFixed(1)} ms (1 -> 100), ${(perProjectHigh * 1000).toFixed(1)} ms (100 -> 500)`);
console.log(`500 projects: ${fiveHundred.toFixed(2)} s against a target of 15 s: ${fiveHundred <= 15 ? "met" : "NOT met"}`);
console.log(`growth: ${perProjectHigh <= perProjectLow * 1.5 ? "linear or better" : "faster than linear"} (marginal cost ratio ${(perProjectHigh / perProjectLow).toFixed(2)})`);
