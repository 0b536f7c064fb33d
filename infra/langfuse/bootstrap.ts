import { slug } from "../config";
import { BOOTSTRAP_SECRET_KEYS } from "./secretKeys";

/** What Langfuse's headless initialisation creates on the first start of a web pod. */
export interface BootstrapSettings {
  organizationName: string;
  projectName: string;
}

/** Kubernetes EnvVar, as the chart's `langfuse.additionalEnv` takes it. */
export type EnvVar =
  | { name: string; value: string }
  | { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } };

/**
 * Ids are derived from the names so that they are readable in URLs and stable across runs;
 * Langfuse creates what is missing on every start and never updates, so renaming the
 * organisation later creates a second one rather than renaming the first.
 */
export function bootstrapIds(s: BootstrapSettings): { organizationId: string; projectId: string } {
  return { organizationId: slug(s.organizationName), projectId: slug(s.projectName) };
}

/**
 * The `LANGFUSE_INIT_*` variables: names and ids literal; keys, password and the admin's email by
 * reference (the email may be a secret setting).
 */
export function bootstrapEnv(s: BootstrapSettings, bootstrapSecretName: string): EnvVar[] {
  const ids = bootstrapIds(s);
  const ref = (key: string) => ({ valueFrom: { secretKeyRef: { name: bootstrapSecretName, key } } });
  return [
    { name: "LANGFUSE_INIT_ORG_ID", value: ids.organizationId },
    { name: "LANGFUSE_INIT_ORG_NAME", value: s.organizationName },
    { name: "LANGFUSE_INIT_PROJECT_ID", value: ids.projectId },
    { name: "LANGFUSE_INIT_PROJECT_NAME", value: s.projectName },
    { name: "LANGFUSE_INIT_PROJECT_PUBLIC_KEY", ...ref(BOOTSTRAP_SECRET_KEYS.publicKey) },
    { name: "LANGFUSE_INIT_PROJECT_SECRET_KEY", ...ref(BOOTSTRAP_SECRET_KEYS.secretKey) },
    { name: "LANGFUSE_INIT_USER_EMAIL", ...ref(BOOTSTRAP_SECRET_KEYS.adminEmail) },
    { name: "LANGFUSE_INIT_USER_NAME", value: "Langfuse admin" },
    { name: "LANGFUSE_INIT_USER_PASSWORD", ...ref(BOOTSTRAP_SECRET_KEYS.adminPassword) },
  ];
}
