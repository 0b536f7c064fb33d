import type { Settings } from "../config";
import { externalUrl } from "../names";
import type { PlatformProfile } from "../platform";
import { bootstrapEnv } from "./bootstrap";
import { INTERNAL_SECRET_KEYS } from "./secretKeys";

/** Names of the Secrets the chart reads from; both live in the release's namespace. */
export interface SecretRefs {
  /** Secret holding every internal secret (keys: INTERNAL_SECRET_KEYS). */
  internalSecretName: string;
  /** Secret holding the bootstrap key pair and admin password (keys: BOOTSTRAP_SECRET_KEYS). */
  bootstrapSecretName: string;
}

export type ChartSettings = Pick<Settings, "hostname" | "ingressClassName" | "organizationName" | "projectName">;

const resources = (cpu: string, memory: string, memoryLimit: string) => ({
  requests: { cpu, memory },
  limits: { memory: memoryLimit },
});

/**
 * The chart values. Every secret reaches the chart by reference to a Secret this program
 * creates; nothing secret is ever a literal here. Sizing fits a laptop kind cluster.
 */
export function chartValues(s: ChartSettings, profile: PlatformProfile, refs: SecretRefs): Record<string, any> {
  const ref = (key: string) => ({ secretKeyRef: { name: refs.internalSecretName, key } });
  const K = INTERNAL_SECRET_KEYS;

  const values: Record<string, any> = {
    langfuse: {
      salt: ref(K.salt),
      encryptionKey: ref(K.encryptionKey),
      nextauth: { url: externalUrl(s.hostname), secret: ref(K.nextauthSecret) },
      // Users come from the headless bootstrap and invitations, not open sign-up.
      features: { signUpDisabled: true },
      additionalEnv: bootstrapEnv(s, refs.bootstrapSecretName),
      web: { resources: resources("250m", "512Mi", "2Gi") },
      worker: { resources: resources("250m", "512Mi", "2Gi") },
    },
    postgresql: {
      auth: {
        existingSecret: refs.internalSecretName,
        // The chart's user is `postgres`: admin and user passwords must be the same key.
        secretKeys: { userPasswordKey: K.postgresPassword, adminPasswordKey: K.postgresPassword },
      },
      primary: { resources: resources("100m", "256Mi", "1Gi") },
    },
    clickhouse: {
      auth: { existingSecret: refs.internalSecretName, existingSecretKey: K.clickhousePassword },
      replicaCount: 1,
      resourcesPreset: "none",
      resources: resources("250m", "1Gi", "4Gi"),
      zookeeper: { replicaCount: 1, resources: resources("50m", "256Mi", "512Mi") },
    },
    redis: {
      auth: { existingSecret: refs.internalSecretName, existingSecretPasswordKey: K.redisPassword },
      primary: { resources: resources("50m", "64Mi", "256Mi") },
    },
    s3: {
      auth: {
        existingSecret: refs.internalSecretName,
        rootUserSecretKey: K.s3User,
        rootPasswordSecretKey: K.s3Password,
      },
      resources: resources("50m", "256Mi", "1Gi"),
    },
  };

  if (profile.ingress) {
    values.langfuse.ingress = {
      enabled: true,
      className: s.ingressClassName,
      hosts: [{ host: s.hostname, paths: [{ path: "/", pathType: "Prefix" }] }],
    };
  }
  if (profile.adaptBitnamiSecurityContext) {
    values.global = { compatibility: { openshift: { adaptSecurityContext: "force" } } };
  }
  return values;
}
