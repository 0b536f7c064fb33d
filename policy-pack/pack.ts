import type { PolicyPackArgs, StackValidationPolicy } from "@pulumi/policy";
import { POLICIES } from "../infra/policies";
import type { Policy, PolicyContext } from "../infra/policies/types";
import { plannedFromEngine, urnOf } from "./engineResources";

export const PACK_NAME = "ambient-langfuse";

/** The plan policies this pack leaves out, and why (the README lists them). */
export const LEFT_OUT: Record<string, string> = {
  "generated-secrets-are-pulumi-secrets":
    "secretness is hidden at preview: the engine unwraps every secret before a policy sees it, so a Secret value that is not a Pulumi secret looks the same as one that is",
  "chart-value-paths-exist": "it reads each chart version's values.yaml, a reference file the pack does not ship",
  "no-fixed-uids":
    "the UIDs a chart fixes by default are read from its values.yaml, which the pack does not ship; without them it would pass a store that keeps PostgreSQL's 999",
};

/**
 * Every plan policy that can judge what the engine shows at preview, in the plan's order: each
 * new plan policy joins the pack unless it is listed above with its reason.
 */
export const PACK_POLICIES: Policy[] = POLICIES.filter((p) => !(p.name in LEFT_OUT));

/** No chart reference file travels with the pack: policies fall back to their own reading of the charts. */
const PACK_CONTEXT: PolicyContext = { chartDefaults: () => undefined };

/** A plan policy as a stack policy: the engine's resources in the plan's shape, each violation reported on its resource. */
export function stackPolicy(policy: Policy): StackValidationPolicy {
  return {
    name: policy.name,
    description: policy.description,
    validateStack: (args, reportViolation) => {
      const result = policy.check(plannedFromEngine(args.resources), PACK_CONTEXT);
      if ("skipped" in result) return;
      for (const v of result.violations) reportViolation(v.message, urnOf(args.resources, v.resource));
    },
  };
}

export const packArgs: PolicyPackArgs = {
  enforcementLevel: "mandatory",
  policies: PACK_POLICIES.map(stackPolicy),
};
