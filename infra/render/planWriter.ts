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
}

/** File name of one Kubernetes object under manifests/. */
export function manifestFileName(inputs: any, fallbackName: string): string {
  const { kind, metadata } = inputs;
  return `${String(kind).toLowerCase()}-${metadata?.namespace ?? "cluster"}-${metadata?.name ?? fallbackName}.yaml`;
}

/**
 * Renders one stack offline and writes plan/<stack>/: resources.json, one manifest per
 * Kubernetes object and policy-report.json, all with secrets redacted.
 */
export async function writePlan(stack: string, root: string): Promise<PlanResult> {
  const rendering = await renderStack(stack, loadStackConfig(stack, root));
  const dir = path.join(root, "plan", stack);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, "manifests"), { recursive: true });
  writeFileSync(path.join(dir, "resources.json"), JSON.stringify(rendering.resources, null, 2) + "\n");
  for (const r of kubernetesObjects(rendering.resources)) {
    writeFileSync(path.join(dir, "manifests", manifestFileName(r.inputs, r.name)), stringify(r.inputs));
  }
  const { runs, violations } = runPolicies(rendering.resources, referenceContext());
  writeFileSync(path.join(dir, "policy-report.json"), JSON.stringify(violations, null, 2) + "\n");
  return { rendering, runs, violations, dir };
}
