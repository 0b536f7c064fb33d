import { walkObjects } from "./secretLike";
import { type PlannedResource, type Policy, violations } from "./types";

export const operatorEnvRefsOptional: Policy = {
  name: "patched-env-refs-optional",
  description: "Every Secret reference a patch adds to an existing workload is optional, so the workload starts even when the Secret is gone.",
  check(resources) {
    const found: [PlannedResource, string][] = [];
    for (const patch of resources.filter((r) => r.type.startsWith("kubernetes:") && r.type.endsWith("Patch"))) {
      walkObjects(patch.inputs, (obj, path) => {
        const ref = obj.valueFrom?.secretKeyRef ?? obj.secretRef;
        if (ref && ref.optional !== true) {
          found.push([patch, `${path} references Secret "${ref.name}" without optional: true`]);
        }
      });
    }
    return violations(this.name, found);
  },
};
