import { type PolicyRun, referenceContext, runPolicies, type Violation } from "../policies";
import { type Rendering, renderStack } from "./mockHarness";
import { loadStackConfig } from "./stackConfig";

/** A stack rendered offline and checked by every policy, in memory. */
export interface CheckedPlan {
  rendering: Rendering;
  runs: PolicyRun[];
  violations: Violation[];
  /** The `secure:` values the plan could not decrypt (see StackConfig). */
  undecrypted: string[];
}

/**
 * Layers the stack's config (with `overrides` on top, as `loadStackConfig` takes them), evaluates
 * the program under the mock monitor and runs every policy. Writes nothing: `npm run plan` writes
 * the result (planWriter.ts); `npm run promote` checks a stack file with the promoted versions
 * before a byte of it changes. Rejects with a StackFileError or ConfigError on bad input.
 */
export async function checkPlan(stack: string, root: string, overrides: Record<string, unknown> = {}): Promise<CheckedPlan> {
  const stackConfig = loadStackConfig(stack, root, overrides);
  const rendering = await renderStack(stack, stackConfig);
  const { runs, violations } = runPolicies(rendering.resources, referenceContext());
  return { rendering, runs, violations, undecrypted: stackConfig.undecrypted };
}
