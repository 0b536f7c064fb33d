import { CONFIGMAP_TYPE, type PlannedResource, SECRET_TYPE } from "./types";

export const PROJECT_WIRING_TYPE = "ambient-langfuse:projects:ProjectWiring";

/**
 * The namespace contract, in this policy set's own words (README, "Wiring runner pods"): every
 * project namespace holds the Secret and the ConfigMap that runner pods read with `envFrom`, under
 * these names whatever integration hands them to the runner.
 */
export const CONTRACT_SECRET = "langfuse-keys";
export const CONTRACT_CONFIGMAP = "langfuse-config";

/** The listed projects, as the ProjectWiring components record them: namespace -> component. */
export function projectComponents(resources: PlannedResource[]): Map<string, PlannedResource> {
  return new Map(resources.filter((r) => r.type === PROJECT_WIRING_TYPE).map((r) => [r.inputs.namespace as string, r]));
}

export const isProjectSecret = (r: PlannedResource) => r.type === SECRET_TYPE && r.inputs.metadata?.name === CONTRACT_SECRET;
export const isProjectConfigMap = (r: PlannedResource) =>
  r.type === CONFIGMAP_TYPE && r.inputs.metadata?.name === CONTRACT_CONFIGMAP;
