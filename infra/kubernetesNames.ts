/** The naming rules of Kubernetes and Helm, shared by config validation, manifests and policies. */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** Namespace and container names. */
export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

/** Names of most objects (Secrets, ConfigMaps, admission policies). */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

/** A host name (DNS-1123 labels joined by dots), as a Route, an Ingress or a store endpoint takes it. */
export function isHostname(value: string): boolean {
  return value.length <= 253 && value.split(".").every(isDns1123Label);
}

/** An exact (semver) chart version: no range, no tag such as `latest`. */
export function isExactVersion(value: string): boolean {
  return EXACT_VERSION.test(value);
}
