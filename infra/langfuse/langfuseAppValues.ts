import type { Settings } from "../config";
import { externalUrl } from "../names";
import type { PlatformProfile } from "../platform";
import { bootstrapEnv, type EnvVar } from "./bootstrap";
import { INTERNAL_SECRET_KEYS } from "./secretKeys";
import type { Sizing } from "./sizing";
import type { BundledStore } from "./storeSecrets";

/** Names of the Secrets the chart reads from; all live in the release's namespace. */
export interface SecretRefs {
  /** Secret holding every internal secret (keys: INTERNAL_SECRET_KEYS). */
  internalSecretName: string;
  /** Secret holding the bootstrap key pair and admin password (keys: BOOTSTRAP_SECRET_KEYS). */
  bootstrapSecretName: string;
  /** Secrets chart 2.x's bundled stores read in their own shape (storeSecrets.ts). */
  storeSecretNames: Record<BundledStore, string>;
}

export type ChartSettings = Pick<
  Settings,
  | "chartVersion"
  | "langfuseVersion"
  | "v4WriteMode"
  | "installClickhouseOperator"
  | "hostname"
  | "ingressClassName"
  | "organizationName"
  | "projectName"
>;

/** Everything a chart line's value builders decide from. */
export interface ValuesContext {
  settings: ChartSettings;
  profile: PlatformProfile;
  refs: SecretRefs;
  sizing: Sizing;
}

/** `{ secretKeyRef }` to a key of the internal Secret: how the chart takes every application secret. */
export function internalRef(refs: SecretRefs, key: string): { secretKeyRef: { name: string; key: string } } {
  return { secretKeyRef: { name: refs.internalSecretName, key } };
}

/**
 * The `langfuse:` block, the same on both chart lines: application secrets by reference, the
 * external URL, headless initialisation through `additionalEnv` (no chart keys exist for it), the
 * image tag when one is pinned, web and worker sizing and, where the platform exposes it, the Ingress.
 */
export function langfuseAppValues(ctx: ValuesContext, extraEnv: EnvVar[] = []): Record<string, any> {
  const { settings: s, profile, refs, sizing } = ctx;
  const K = INTERNAL_SECRET_KEYS;
  const values: Record<string, any> = {
    salt: internalRef(refs, K.salt),
    encryptionKey: internalRef(refs, K.encryptionKey),
    nextauth: { url: externalUrl(s.hostname), secret: internalRef(refs, K.nextauthSecret) },
    // Users come from the headless bootstrap and invitations, not open sign-up.
    features: { signUpDisabled: true },
    additionalEnv: [...bootstrapEnv(s, refs.bootstrapSecretName), ...extraEnv],
    web: { resources: sizing.web },
    worker: { resources: sizing.worker },
  };
  // Web and worker both take `langfuse.image.tag` unless their own tag is set.
  if (s.langfuseVersion !== undefined) values.image = { tag: s.langfuseVersion };
  if (profile.ingress) {
    values.ingress = {
      enabled: true,
      className: s.ingressClassName,
      hosts: [{ host: s.hostname, paths: [{ path: "/", pathType: "Prefix" }] }],
    };
  }
  return values;
}
