import { KEY_MATERIAL, SECRET_NAME, walkObjects } from "./secretLike";
import { CONFIGMAP_TYPE, type Policy, type PlannedResource, RELEASE_TYPE, violations } from "./types";

/**
 * Chart value objects `{ value, ... }` whose `value` must stay empty: the application secrets and
 * S3 keys (`{ value, secretKeyRef }`), and chart 2.x's PostgreSQL subchart passwords (`{ value, secretKey }`).
 */
const CHART_SECRET_FIELDS =
  /(^|\.)(salt|encryptionKey|secret|licenseKey|accessKeyId|secretAccessKey|credentials|superuserPassword|userDatabase\.password)$/;
/** Env vars whose value a stack may give as a secret setting (adminEmail): always by reference. */
const MAY_BE_SECRET_ENV = new Set(["LANGFUSE_INIT_USER_EMAIL"]);
/** Chart fields that carry a store password directly. */
const CHART_PASSWORD_FIELDS = /(^|\.)(password|rootPassword)$/;

export const noLiteralSecrets: Policy = {
  name: "no-literal-secrets",
  description: "No secret is passed as a literal: not in a ConfigMap, a literal env value or a chart value field.",
  check(resources) {
    const found: [PlannedResource, string][] = [];
    for (const r of resources) {
      if (r.type === CONFIGMAP_TYPE) {
        for (const p of r.secretPaths) found.push([r, `${p} is a secret value in a ConfigMap: put it in a Secret`]);
        for (const [k, v] of Object.entries({ ...(r.inputs.data ?? {}) })) {
          if (SECRET_NAME.test(k)) found.push([r, `data.${k} looks like a credential: put it in a Secret`]);
          if (typeof v === "string" && KEY_MATERIAL.test(v)) found.push([r, `data.${k} holds Langfuse key material: put it in a Secret`]);
        }
      }
      if (r.type === RELEASE_TYPE) {
        for (const p of r.secretPaths) {
          found.push([r, `${p} passes a secret to the chart as a literal value: reference a Secret instead`]);
        }
        walkObjects(r.inputs.values ?? {}, (obj, path) => {
          if (CHART_SECRET_FIELDS.test(path) && typeof obj.value === "string" && obj.value !== "") {
            const fix = /Password$|\.password$/.test(path) ? "name its key in the store's existingSecret" : `use values.${path}.secretKeyRef`;
            found.push([r, `values.${path}.value is a literal secret: ${fix}`]);
          }
          for (const [k, v] of Object.entries(obj)) {
            const at = path ? `${path}.${k}` : k;
            if (CHART_PASSWORD_FIELDS.test(at) && typeof v === "string" && v !== "") {
              found.push([r, `values.${at} is a literal password: use the store's existingSecret`]);
            }
          }
        });
      }
      // Env vars anywhere: chart additionalEnv, pod templates, patches.
      walkObjects(r.inputs, (obj, path) => {
        if (typeof obj.name === "string" && "value" in obj && !("valueFrom" in obj) && /env/i.test(path)) {
          const v = obj.value;
          if ((SECRET_NAME.test(obj.name) || MAY_BE_SECRET_ENV.has(obj.name)) && v !== undefined && v !== "") {
            found.push([r, `${path} sets ${obj.name} as a literal env value: use valueFrom.secretKeyRef`]);
          } else if (typeof v === "string" && (v === "[secret]" || KEY_MATERIAL.test(v))) {
            found.push([r, `${path} sets ${obj.name} to a secret as a literal env value: use valueFrom.secretKeyRef`]);
          }
        }
      });
    }
    return violations(this.name, found);
  },
};
