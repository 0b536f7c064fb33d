import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { kubernetesObjects } from "../policies";
import { type CheckedPlan, checkPlan } from "./planCheck";

export interface PlanResult extends CheckedPlan {
  /** plan/<stack>/ */
  dir: string;
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
  const checked = await checkPlan(stack, root);
  const { rendering, violations } = checked;
  mkdirSync(path.join(dir, "manifests"), { recursive: true });
  writeFileSync(path.join(dir, "resources.json"), JSON.stringify(rendering.resources, null, 2) + "\n");
  for (const r of kubernetesObjects(rendering.resources)) {
    writeFileSync(path.join(dir, "manifests", manifestFileName(r.inputs, r.name)), stringify(r.inputs));
  }
  writeFileSync(path.join(dir, "policy-report.json"), JSON.stringify(violations, null, 2) + "\n");
  return { ...checked, dir };
}
