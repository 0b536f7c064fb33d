/** Helm release name: fixed, because every service name the chart creates derives from it. */
export const RELEASE_NAME = "langfuse";
export const CHART_NAME = "langfuse";
export const CHART_REPO = "https://langfuse.github.io/langfuse-k8s";

/** The Secret, in the Langfuse namespace, that holds every generated internal secret. */
export const INTERNAL_SECRET_NAME = "langfuse-internal";
/** The Secret, in the Langfuse namespace, that holds the headless-bootstrap credentials. */
export const BOOTSTRAP_SECRET_NAME = "langfuse-bootstrap";

/** Label put on every object this program creates. */
export const MANAGED_BY_LABELS = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "ambient-langfuse" };

export function externalUrl(hostname: string): string {
  return `http://${hostname}`;
}

/** The chart's web Service, as seen from any pod in the cluster. */
export function internalWebUrl(namespace: string, releaseName: string = RELEASE_NAME): string {
  return `http://${releaseName}-web.${namespace}.svc.cluster.local:3000`;
}
