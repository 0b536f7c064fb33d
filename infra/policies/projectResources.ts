import { PROJECT_CONFIGMAP_NAME, PROJECT_SECRET_NAME } from "../projects/projectContract";
import { CONFIGMAP_TYPE, type PlannedResource, SECRET_TYPE } from "./types";

export const PROJECT_WIRING_TYPE = "ambient-langfuse:projects:ProjectWiring";

/** The listed projects, as the ProjectWiring components record them: namespace -> component. */
export function projectComponents(resources: PlannedResource[]): Map<string, PlannedResource> {
  return new Map(resources.filter((r) => r.type === PROJECT_WIRING_TYPE).map((r) => [r.inputs.namespace as string, r]));
}

export const isProjectSecret = (r: PlannedResource) => r.type === SECRET_TYPE && r.inputs.metadata?.name === PROJECT_SECRET_NAME;
export const isProjectConfigMap = (r: PlannedResource) =>
  r.type === CONFIGMAP_TYPE && r.inputs.metadata?.name === PROJECT_CONFIGMAP_NAME;
