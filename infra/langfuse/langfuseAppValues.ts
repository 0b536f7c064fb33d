import type { Settings } from "../config";
import { CHART_NAME, externalUrl, RELEASE_NAME } from "../names";
import type { PlatformProfile } from "../platform";
import { bootstrapEnv, type EnvVar } from "./bootstrap";
import { hasDisruptionBudgets } from "./chartLine";
import { ENTERPRISE_SECRET_KEYS, INTERNAL_SECRET_KEYS } from "./secretKeys";
import type { Sizing, Workload } from "./sizing";
import type { BundledStore } from "./storeSecrets";

/** Names of the Secrets the chart reads from; all live in the release's namespace. */
export interface SecretRefs {
  /** Secret holding every internal secret (keys: INTERNAL_SECRET_KEYS). */
  internalSecretName: string;
  /** Secret holding the bootstrap key pair and admin password (keys: BOOTSTRAP_SECRET_KEYS). */
  bootstrapSecretName: string;
  /** Secrets chart 2.x's bundled stores read in their own shape (storeSecrets.ts). */
  storeSecretNames: Record<BundledStore, string>;
  /** Secret holding the Enterprise licence and the admin API key (keys: ENTERPRISE_SECRET_KEYS), where the stack has them. */
  enterpriseSecretName: string;
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
  | "externalStores"
  | "storageClassName"
  | "licenseKey"
  | "isolation"
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

/** The labels every chart line puts on web pods (1.5.9 lacks `app.kubernetes.io/component`, so `app` it is). */
export const WEB_POD_LABELS = { "app.kubernetes.io/name": CHART_NAME, "app.kubernetes.io/instance": RELEASE_NAME, app: "web" };

/** Web pods spread over zones first, then nodes; preferred, so that a cluster with one zone still schedules them. */
export function webSpread(): Record<string, unknown>[] {
  return ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels: WEB_POD_LABELS },
  }));
}

/**
 * Web and worker, each: replicas and resources always; in production the chart's disruption
 * budget where the chart version has one (at most one pod down at a time), and for web the spread.
 */
function deploymentValues(ctx: ValuesContext, workload: Workload, spread: boolean): Record<string, any> {
  const values: Record<string, any> = { replicas: workload.replicas, resources: workload.resources };
  if (ctx.sizing.disruptionBudgets && hasDisruptionBudgets(ctx.settings.chartVersion)) {
    values.pdb = { create: true, maxUnavailable: 1 };
  }
  if (spread) values.pod = { topologySpreadConstraints: webSpread() };
  return values;
}

/**
 * ADMIN_API_KEY, which Langfuse's admin API takes as its Bearer token, where the program provisions
 * projects through it (isolation `provisioned`); no chart key exists for it.
 */
function enterpriseEnv({ settings, refs }: ValuesContext): EnvVar[] {
  if (settings.isolation !== "provisioned") return [];
  return [{ name: "ADMIN_API_KEY", valueFrom: { secretKeyRef: { name: refs.enterpriseSecretName, key: ENTERPRISE_SECRET_KEYS.adminApiKey } } }];
}

/**
 * The `langfuse:` block, the same on both chart lines: application secrets by reference, the
 * external URL, headless initialisation through `additionalEnv` (no chart keys exist for it), the
 * image tag when one is pinned, web and worker sizing and, where the platform exposes it, the
 * Ingress; on a platform that assigns UIDs, security contexts that fix none; with an S3 role, the
 * service account's role annotation.
 */
export function langfuseAppValues(ctx: ValuesContext, extraEnv: EnvVar[] = []): Record<string, any> {
  const { settings: s, profile, refs, sizing } = ctx;
  const K = INTERNAL_SECRET_KEYS;
  const values: Record<string, any> = {
    salt: internalRef(refs, K.salt),
    encryptionKey: internalRef(refs, K.encryptionKey),
    nextauth: { url: externalUrl(s.hostname, profile.scheme), secret: internalRef(refs, K.nextauthSecret) },
    // Users come from the headless bootstrap and invitations, not open sign-up.
    features: { signUpDisabled: true },
    additionalEnv: [...bootstrapEnv(s, refs.bootstrapSecretName), ...enterpriseEnv(ctx), ...extraEnv],
    web: deploymentValues(ctx, sizing.web, sizing.spreadWeb),
    worker: deploymentValues(ctx, sizing.worker, false),
  };
  // The licence, by reference like every application secret (the same value path on every chart line).
  if (s.licenseKey !== undefined) values.licenseKey = { secretKeyRef: { name: refs.enterpriseSecretName, key: ENTERPRISE_SECRET_KEYS.licenseKey } };
  // Web and worker both take `langfuse.image.tag` unless their own tag is set.
  if (s.langfuseVersion !== undefined) values.image = { tag: s.langfuseVersion };
  if (profile.assignsUids) {
    // The images name their user, so runAsNonRoot without a numeric UID would not start; the
    // platform assigns the UID. What is set here is what the restricted profile asks for.
    values.podSecurityContext = { seccompProfile: { type: "RuntimeDefault" } };
    values.securityContext = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
  }
  const roleArn = s.externalStores.s3?.serviceAccountRoleArn;
  if (roleArn !== undefined) {
    // STS: the AWS SDK's default chain assumes this role through the service account's token.
    values.serviceAccount = { annotations: { "eks.amazonaws.com/role-arn": roleArn } };
  }
  if (profile.exposure === "ingress") {
    values.ingress = {
      enabled: true,
      className: s.ingressClassName,
      hosts: [{ host: s.hostname, paths: [{ path: "/", pathType: "Prefix" }] }],
    };
  }
  return values;
}
