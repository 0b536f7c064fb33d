import type { Platform } from "./config";

/** What differs between the platforms this program deploys to. */
export interface PlatformProfile {
  /** Expose the web service through a Kubernetes Ingress of the configured class. */
  ingress: boolean;
  /**
   * Let chart 1.5.x's Bitnami store charts drop their fixed UIDs: OpenShift's restricted-v2 SCC
   * assigns a UID per namespace and refuses pods that ask for 1001. Chart 2.x's stores fix UIDs
   * of their own (PostgreSQL 999, Valkey 1000), which this profile does not override yet.
   */
  adaptBitnamiSecurityContext: boolean;
}

export function platformProfile(platform: Platform): PlatformProfile {
  switch (platform) {
    case "kind":
      return { ingress: true, adaptBitnamiSecurityContext: false };
    case "openshift":
      // The 1.x chart has no Route; exposing Langfuse on OpenShift is the ROSA stack's work.
      return { ingress: false, adaptBitnamiSecurityContext: true };
  }
}
