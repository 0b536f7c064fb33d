import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { kubernetesObjects, type PolicyRun, referenceContext, runPolicies, type Violation } from "../policies";
import { type Rendering, renderStack } from "./mockHarness";
import { loadStackConfig } from "./stackConfig";

export interface PlanResult {
  rendering: Rendering;
  runs: PolicyRun[];
  violations: Violation[];
  /** plan/<stack>/ */
  dir: string;
  /** The `secure:` values the plan could not decrypt (see StackConfig). */
  undecrypted: string[];
}

/** Where a stack's plan is written. */
export function planDir(stack: string, root: string): string {
  return path.join(root, "plan", stack);
}

/** File name of one Kubernetes object under manifests/. */
export function manifestFileName(inputs: any, fallbackName: string): string {
  const { kind, metadata } = inputs;
  return `${String(kind).toLowerCase()}-${metadata?.namespace ?? "cluster"}-${metadata?.name ?? fallbackName}.yaml`;
}

/**
 * Renders one stack offline and writes plan/<stack>/: resources.json, one manifest per
 * Kubernetes object and policy-report.json, all with secrets redacted. The previous plan/<stack>/
 * is removed first, so a plan that stops (a broken stack file, invalid config) leaves none that
 * could pass for current; a plan with violations writes every file.
 */
export async function writePlan(stack: string, root: string): Promise<PlanResult> {
  const dir = planDir(stack, root);
  rmSync(dir, { recursive: true, force: true });
  const stackConfig = loadStackConfig(stack, root);
  const rendering = await renderStack(stack, stackConfig);
  mkdirSync(path.join(dir, "manifests"), { recursive: true });
  writeFileSync(path.join(dir, "resources.json"), JSON.stringify(rendering.resources, null, 2) + "\n");
  for (const r of kubernetesObjects(rendering.resources)) {
    writeFileSync(path.join(dir, "manifests", manifestFileName(r.inputs, r.name)), stringify(r.inputs));
  }
  const { runs, violations } = runPolicies(rendering.resources, referenceContext());
  writeFileSync(path.join(dir, "policy-report.json"), JSON.stringify(violations, null, 2) + "\n");
  return { rendering, runs, violations, dir, undecrypted: stackConfig.undecrypted };
}
