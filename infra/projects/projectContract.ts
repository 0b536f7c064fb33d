import { internalWebUrl } from "../names";

/**
 * What every project namespace receives, whatever the key isolation: the runner reads both with
 * `envFrom`, so these names and keys are the contract with runner images.
 */
export const PROJECT_SECRET_NAME = "langfuse-keys";
export const PROJECT_CONFIGMAP_NAME = "langfuse-config";

export interface ProjectConfigInput {
  /** The project's namespace. */
  namespace: string;
  /** Namespace of the Langfuse release. */
  langfuseNamespace: string;
  maskMessages: boolean;
}

/** The ConfigMap's data: endpoint and flags only, never key material. */
export function projectConfigData(p: ProjectConfigInput): Record<string, string> {
  const url = internalWebUrl(p.langfuseNamespace);
  return {
    // Both names: the platform's runners read LANGFUSE_HOST, the Langfuse SDKs LANGFUSE_BASE_URL.
    LANGFUSE_HOST: url,
    LANGFUSE_BASE_URL: url,
    LANGFUSE_ENABLED: "true",
    LANGFUSE_PROJECT: p.namespace,
    LANGFUSE_MASK_MESSAGES: String(p.maskMessages),
  };
}

/** Key names of the project Secret. */
export const PROJECT_SECRET_KEYS = { publicKey: "LANGFUSE_PUBLIC_KEY", secretKey: "LANGFUSE_SECRET_KEY" } as const;
