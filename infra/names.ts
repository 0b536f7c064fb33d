/** Helm release name: fixed, because every service name the chart creates derives from it. */
export const RELEASE_NAME = "langfuse";
export const CHART_NAME = "langfuse";
export const CHART_REPO = "https://langfuse.github.io/langfuse-k8s";

/** The Secret, in the Langfuse namespace, that holds every generated internal secret. */
export const INTERNAL_SECRET_NAME = "langfuse-internal";
/** The Secret, in the Langfuse namespace, that holds the headless-bootstrap credentials. */
export const BOOTSTRAP_SECRET_NAME = "langfuse-bootstrap";
/** The Secret, in the Langfuse namespace, that holds the Enterprise licence and the admin API key. */
export const ENTERPRISE_SECRET_NAME = "langfuse-enterprise";

/**
 * Secrets that chart 2.x's bundled stores read whole (Valkey and SeaweedFS mount theirs as files),
 * each holding only its own store's credentials, derived from the internal Secret's values.
 */
export const STORE_SECRET_NAMES = {
  postgresql: `${INTERNAL_SECRET_NAME}-postgresql`,
  redis: `${INTERNAL_SECRET_NAME}-redis`,
  s3: `${INTERNAL_SECRET_NAME}-s3`,
} as const;

/** Label put on every object this program creates. */
export const MANAGED_BY_LABELS = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "ambient-langfuse" };

/** The URL users reach Langfuse at: the platform's scheme (platform.ts) and the configured host, no port. */
export function externalUrl(hostname: string, scheme: "http" | "https"): string {
  return `${scheme}://${hostname}`;
}

/** The chart's web Service in the release's namespace: what an Ingress or a Route sends users to. */
export function webServiceName(releaseName: string = RELEASE_NAME): string {
  return `${releaseName}-web`;
}

/** The chart's web Service, as seen from any pod in the cluster. */
export function internalWebUrl(namespace: string, releaseName: string = RELEASE_NAME): string {
  return `http://${webServiceName(releaseName)}.${namespace}.svc.cluster.local:3000`;
}
