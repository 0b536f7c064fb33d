import { jsonPathSegment } from "../render/redact";
import { type PlannedResource, type Policy, SECRET_TYPE, violations } from "./types";

/** The JSONPath the redaction writes for a key under a field. */
const jsonPath = (field: string, key: string) => `$.${field}${jsonPathSegment(key)}`;

export const secretsAreSecret: Policy = {
  name: "generated-secrets-are-pulumi-secrets",
  description: "Every value of every Kubernetes Secret is a Pulumi secret, so it is encrypted in state and never printed.",
  check(resources) {
    const found: [PlannedResource, string][] = [];
    for (const r of resources.filter((x) => x.type === SECRET_TYPE)) {
      for (const field of ["stringData", "data"]) {
        for (const key of Object.keys(r.inputs[field] ?? {})) {
          if (!r.secretPaths.includes(jsonPath(field, key))) {
            found.push([r, `${field}.${key} is not a Pulumi secret: wrap it with pulumi.secret()`]);
          }
        }
      }
    }
    return violations(this.name, found);
  },
};
