import * as pulumi from "@pulumi/pulumi";
import { isDns1123Label, isDns1123Subdomain, isExactVersion, isHostname } from "./kubernetesNames";
import { CHART_LINES, DEFAULT_LANGFUSE_VERSION, chartLine, langfuseVersionProblem } from "./langfuse/chartLine";
import { ISOLATIONS, type Isolation, parseProjectSettings, type ProjectSetting } from "./projectSettings";
import { holdsSecretSettings, secretSettingNames } from "./secretSettings";
import { type ExternalStores, parseStoreSettings, STORE_SETTING_NAMES, type UnsetCredentials } from "./storeSettings";

/** The Pulumi project name: every setting lives under `ambient-langfuse:`. */
export const PROJECT = "ambient-langfuse";

export const PLATFORMS = ["kind", "openshift"] as const;
export type Platform = (typeof PLATFORMS)[number];

/** Keys accepted under `existingSecrets`, each replacing one generated internal secret. */
export const EXISTING_SECRET_KEYS = [
  "salt",
  "encryptionKey",
  "nextauthSecret",
  "postgresPassword",
  "clickhousePassword",
  "redisPassword",
  "s3User",
  "s3Password",
] as const;
export type ExistingSecretKey = (typeof EXISTING_SECRET_KEYS)[number];

export const OPERATOR_INTEGRATIONS = ["admission-policy", "operator-env", "none"] as const;
export type OperatorIntegration = (typeof OPERATOR_INTEGRATIONS)[number];

export const ADMISSION_POLICY_API_VERSIONS = ["v1", "v1beta1"] as const;
export type AdmissionPolicyApiVersion = (typeof ADMISSION_POLICY_API_VERSIONS)[number];

/** How Langfuse v4 writes observations during its own v3-to-v4 migration (`legacy` is v3's way). */
export const V4_WRITE_MODES = ["dual", "events_only"] as const;
export type V4WriteMode = (typeof V4_WRITE_MODES)[number];

/** The validated settings of one stack. */
export interface Settings {
  /** Where the stack runs: decides exposure and security contexts (see platform.ts). */
  platform: Platform;
  /** Namespace that holds Langfuse and its internal Secret. */
  namespace: string;
  /** Exact version of the `langfuse` chart: 1.5.x (Langfuse v3) or 2.x (Langfuse v4). */
  chartVersion: string;
  /**
   * Langfuse image tag for web and worker, exact. Defaults per chart line (chartLine.ts): 4.16.0
   * on 2.x; on 1.5.x undefined, which leaves the chart's own appVersion (pinned by the chart).
   */
  langfuseVersion: string | undefined;
  /** `LANGFUSE_MIGRATION_V4_WRITE_MODE` on chart 2.x: `dual` keeps a rollback to v3 possible. */
  v4WriteMode: V4WriteMode;
  /** Install cert-manager (chart 2.x's operator needs it); off where the cluster runs its own. */
  installCertManager: boolean;
  /** Exact cert-manager chart version, in the chart's own tag form (`v1.20.2`). */
  certManagerVersion: string;
  /** Install ClickHouse Inc's operator (chart 2.x renders its resources); off where the cluster runs it. */
  installClickhouseOperator: boolean;
  /** Exact version of the operator's chart. */
  clickhouseOperatorVersion: string;
  /** Host name users reach Langfuse at; NextAuth's URL is derived from it. */
  hostname: string;
  /** Ingress class for the web service on kind. */
  ingressClassName: string;
  /**
   * Namespace of the ingress controller on kind, the one namespace besides project namespaces
   * whose pods may reach Langfuse's web port; undefined on OpenShift, whose router namespaces are
   * matched by their policy-group label instead (network/networkPolicies.ts).
   */
  ingressControllerNamespace: string | undefined;
  /** Email of the admin user created by Langfuse's headless initialisation. */
  adminEmail: string;
  /** adminEmail was given as a secret: it is then a Pulumi secret everywhere, the stack output included. */
  adminEmailSecret: boolean;
  /** Name of the organisation created by headless initialisation. */
  organizationName: string;
  /** Name of the project created by headless initialisation. */
  projectName: string;
  /** Bumping it regenerates the NextAuth secret (and logs every user out); nothing else. */
  nextauthSecretVersion: number;
  /** Protect the namespace and the internal secrets against deletion. */
  protect: boolean;
  /**
   * Run as production: two or more web and worker replicas with disruption budgets, web spread
   * over zones, and ClickHouse replicated three times (sizing.ts). Separate from `protect`,
   * which is deletion protection only (a policy wants both on a production stack).
   */
  production: boolean;
  /** StorageClass of every volume the chart's stores claim; undefined: the cluster's default. */
  storageClassName: string | undefined;
  /** Managed stores replacing the chart's bundled ones, each on its own (storeSettings.ts). */
  externalStores: ExternalStores;
  /**
   * Managed-store credentials the stack leaves unset, stood in for by the offline plan so it can
   * render (setting paths, such as `externalPostgres.password`). Always empty under the real
   * engine, which stops on them instead.
   */
  unsetCredentials: string[];
  /**
   * Values adopted instead of generated ones. Plain strings read from a secret setting:
   * the only consumer (InternalSecrets) wraps each one with `pulumi.secret` before use.
   */
  existingSecrets: Partial<Record<ExistingSecretKey, string>>;
  /** Project namespaces that receive the Langfuse keys and endpoint, each with its key source. */
  projects: ProjectSetting[];
  /** Whether a project may keep the shared bootstrap pair (`shared`) or needs its own (`strict`). */
  isolation: Isolation;
  /** Create (and label as managed) each project namespace; otherwise never touch them. */
  createProjectNamespaces: boolean;
  /**
   * Tell runners to drop prompt and output text from traces (LANGFUSE_MASK_MESSAGES). On by
   * default, as the platform's runner masks when the variable is absent.
   */
  maskMessages: boolean;
  /** How runner pods receive the values: admission policy, the operator's own env, or not at all. */
  operatorIntegration: OperatorIntegration;
  /** admissionregistration.k8s.io version of the MutatingAdmissionPolicy. */
  admissionPolicyApiVersion: AdmissionPolicyApiVersion;
  /** Namespace, Deployment and container of the platform's operator. */
  operatorNamespace: string;
  operatorDeployment: string;
  operatorContainer: string;
  /** The runner container in session pods: the only container the admission policy patches. */
  runnerContainer: string;
  /**
   * What the stack leaves to the user, said before anything is deployed (`pulumi up` logs each as
   * a warning, the plan prints each); never a value of a secret setting.
   */
  warnings: string[];
}

export const DEFAULTS = {
  platform: "kind",
  namespace: "langfuse",
  chartVersion: "2.0.0",
  v4WriteMode: "events_only",
  installCertManager: true,
  certManagerVersion: "v1.20.2",
  installClickhouseOperator: true,
  clickhouseOperatorVersion: "0.0.5",
  hostname: "langfuse.local",
  ingressClassName: "nginx",
  organizationName: "ambient-code",
  projectName: "ambient-code-platform",
  nextauthSecretVersion: 1,
  protect: true,
  production: false,
  storageClassName: "",
  createProjectNamespaces: false,
  isolation: "shared",
  maskMessages: true,
  operatorIntegration: "admission-policy",
  admissionPolicyApiVersion: "v1",
  operatorNamespace: "ambient-code",
  operatorDeployment: "agentic-operator",
  operatorContainer: "agentic-operator",
  runnerContainer: "ambient-code-runner",
} as const;

/**
 * The ingress controller's namespace on kind when `ingressControllerNamespace` is unset (kind's
 * ingress-nginx manifest installs there). Not declared in Pulumi.yaml: a declared default would
 * reach OpenShift stacks as if set, and a declaration without one makes the Pulumi CLI require the
 * setting in every stack (pulumi/pulumi#21797), OpenShift's included.
 */
export const DEFAULT_INGRESS_CONTROLLER_NAMESPACE = "ingress-nginx";

/** Every setting this program reads; anything else under `ambient-langfuse:` is a typo. */
export const SETTING_NAMES = [
  ...Object.keys(DEFAULTS),
  "adminEmail",
  "langfuseVersion",
  "ingressControllerNamespace",
  "existingSecrets",
  "projects",
  ...STORE_SETTING_NAMES,
] as const;

/** Raised when stack config is invalid; the message lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;
const ALPHANUMERIC = /^[A-Za-z0-9]+$/;

/** How the caller runs the program: only the offline plan defers unset credentials. */
export interface ParseOptions {
  /** `refuse` (the default, and `pulumi up`'s) or `defer` (`npm run plan`): see UnsetCredentials. */
  unsetCredentials?: UnsetCredentials;
  /**
   * The offline plan's `secure:` values, by full path: each holds a placeholder of its setting's
   * shape, so its own shape cannot be checked. Unset under the real engine, which decrypts them all.
   */
  undecrypted?: readonly string[];
}

/**
 * Turns raw config strings (as Pulumi hands them to a program, keyed by setting name without the
 * project prefix) into validated settings. `secret` names the settings Pulumi marked secret
 * (given as `secure:` values). Pure: no Pulumi calls, so every rule is unit-tested. Secret values
 * are never echoed in a message.
 */
export function parseSettings(
  raw: Record<string, string | undefined>,
  secret: ReadonlySet<string> = new Set(),
  options: ParseOptions = {},
): Settings {
  const problems: string[] = [];
  const key = (name: string) => `${PROJECT}:${name}`;
  raw = { ...raw };
  for (const name of secret) {
    if (!(name in raw) || holdsSecretSettings(name) || !(SETTING_NAMES as readonly string[]).includes(name)) continue;
    problems.push(
      `${key(name)} is a secret, but ${name} shapes what is deployed and is read in plain text: ` +
        `set it without --secret; only ${secretSettingNames()} take secrets`,
    );
    // Checked no further: every other rule would quote the value.
    delete raw[name];
  }
  const str = (name: keyof typeof DEFAULTS | "adminEmail" | "langfuseVersion" | "ingressControllerNamespace"): string | undefined => {
    const v = raw[name];
    return v === undefined || v === "" ? undefined : v;
  };

  for (const name of Object.keys(raw)) {
    if (!(SETTING_NAMES as readonly string[]).includes(name)) {
      const hint = SETTING_NAMES.find((s) => s.toLowerCase() === name.toLowerCase());
      problems.push(
        `${key(name)} is not a setting of this program` +
          (hint ? `; did you mean ${key(hint)}?` : `; known settings: ${SETTING_NAMES.join(", ")}`),
      );
    }
  }

  const platformRaw = str("platform") ?? DEFAULTS.platform;
  if (!(PLATFORMS as readonly string[]).includes(platformRaw)) {
    problems.push(`${key("platform")} is "${platformRaw}": use one of ${PLATFORMS.map((p) => `"${p}"`).join(", ")}`);
  }

  const namespace = str("namespace") ?? DEFAULTS.namespace;
  if (!isDns1123Label(namespace)) {
    problems.push(
      `${key("namespace")} is "${namespace}": a namespace must be a DNS-1123 label ` +
        `(lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters), e.g. "langfuse"`,
    );
  }

  const chartVersion = str("chartVersion") ?? DEFAULTS.chartVersion;
  const line = chartLine(chartVersion);
  if (!isExactVersion(chartVersion)) {
    problems.push(
      `${key("chartVersion")} is "${chartVersion}": use an exact chart version such as "${DEFAULTS.chartVersion}" ` +
        `(ranges would let \`pulumi up\` change Langfuse without a reviewed change)`,
    );
  } else if (line === undefined) {
    problems.push(
      `${key("chartVersion")} is "${chartVersion}": this program decides values for chart lines ${CHART_LINES.join(" and ")} ` +
        `only, e.g. "${DEFAULTS.chartVersion}" (Langfuse v4) or "1.5.41" (the last v3)`,
    );
  }

  const langfuseVersion = str("langfuseVersion") ?? (line ? DEFAULT_LANGFUSE_VERSION[line] : undefined);
  if (langfuseVersion !== undefined && !isExactVersion(langfuseVersion)) {
    problems.push(`${key("langfuseVersion")} is "${langfuseVersion}": use an exact image tag such as "${DEFAULT_LANGFUSE_VERSION["2.x"]}"`);
  } else if (langfuseVersion !== undefined && line !== undefined) {
    const problem = langfuseVersionProblem(line, langfuseVersion);
    if (problem) problems.push(`${key("langfuseVersion")} is "${langfuseVersion}" on chart ${chartVersion}: ${problem}`);
  }

  const certManagerVersion = str("certManagerVersion") ?? DEFAULTS.certManagerVersion;
  if (!/^v\d+\.\d+\.\d+$/.test(certManagerVersion)) {
    problems.push(
      `${key("certManagerVersion")} is "${certManagerVersion}": use an exact cert-manager release in its own tag form, ` +
        `such as "${DEFAULTS.certManagerVersion}"`,
    );
  }
  const clickhouseOperatorVersion = str("clickhouseOperatorVersion") ?? DEFAULTS.clickhouseOperatorVersion;
  if (!isExactVersion(clickhouseOperatorVersion)) {
    problems.push(
      `${key("clickhouseOperatorVersion")} is "${clickhouseOperatorVersion}": use an exact chart version such as ` +
        `"${DEFAULTS.clickhouseOperatorVersion}"`,
    );
  }

  const hostname = (str("hostname") ?? DEFAULTS.hostname).toLowerCase();
  if (!isHostname(hostname)) {
    problems.push(
      `${key("hostname")} is "${raw.hostname}": use a bare host name such as "langfuse.example.com" ` +
        `(no scheme, port or path; labels of letters, digits and "-")`,
    );
  }

  const ingressClassName = str("ingressClassName") ?? DEFAULTS.ingressClassName;
  if (!isDns1123Label(ingressClassName)) {
    problems.push(`${key("ingressClassName")} is "${ingressClassName}": an IngressClass name such as "nginx"`);
  }

  const ingressNamespaceRaw = str("ingressControllerNamespace");
  let ingressControllerNamespace: string | undefined;
  if (platformRaw === "openshift") {
    if (ingressNamespaceRaw !== undefined) {
      problems.push(
        `${key("ingressControllerNamespace")} is "${ingressNamespaceRaw}", but platform is "openshift": the router's namespaces are ` +
          `matched by their policy-group.network.openshift.io/ingress label, not by name; remove the setting ` +
          `(\`pulumi config rm ingressControllerNamespace\`)`,
      );
    }
  } else {
    ingressControllerNamespace = ingressNamespaceRaw ?? DEFAULT_INGRESS_CONTROLLER_NAMESPACE;
    if (!isDns1123Label(ingressControllerNamespace)) {
      problems.push(
        `${key("ingressControllerNamespace")} is "${ingressControllerNamespace}": use the ingress controller's namespace, ` +
          `a DNS-1123 label such as "${DEFAULT_INGRESS_CONTROLLER_NAMESPACE}"`,
      );
    }
  }

  const adminEmail = str("adminEmail");
  const adminEmailSecret = secret.has("adminEmail");
  if (adminEmail === undefined) {
    problems.push(
      `${key("adminEmail")} is not set: it is required, e.g. \`pulumi config set adminEmail admin@example.com\``,
    );
  } else if (!EMAIL.test(adminEmail)) {
    problems.push(
      adminEmailSecret
        ? `${key("adminEmail")} is a secret that is not an email address (its value is not shown): use one such as "admin@example.com"`
        : `${key("adminEmail")} is "${adminEmail}": use an email address such as "admin@example.com"`,
    );
  }

  const organizationName = str("organizationName") ?? DEFAULTS.organizationName;
  const projectName = str("projectName") ?? DEFAULTS.projectName;
  for (const [name, value] of [["organizationName", organizationName], ["projectName", projectName]] as const) {
    if (slug(value) === "") {
      problems.push(`${key(name)} is "${value}": a name needs at least one letter or digit`);
    }
  }

  const versionRaw = str("nextauthSecretVersion");
  const nextauthSecretVersion = versionRaw === undefined ? DEFAULTS.nextauthSecretVersion : Number(versionRaw);
  if (!Number.isInteger(nextauthSecretVersion) || nextauthSecretVersion < 1) {
    problems.push(`${key("nextauthSecretVersion")} is "${versionRaw}": use a positive integer (bump it by one to rotate)`);
  }

  const storageClassName = str("storageClassName");
  if (storageClassName !== undefined && !isDns1123Subdomain(storageClassName)) {
    problems.push(`${key("storageClassName")} is "${storageClassName}": use a StorageClass name such as "gp3-csi"`);
  }

  const bool = (
    name: "protect" | "production" | "createProjectNamespaces" | "maskMessages" | "installCertManager" | "installClickhouseOperator",
  ): boolean => {
    const v = str(name);
    if (v !== undefined && v !== "true" && v !== "false") {
      problems.push(`${key(name)} is "${v}": use true or false`);
    }
    return v === undefined ? DEFAULTS[name] : v === "true";
  };
  const oneOf = <T extends string>(name: keyof typeof DEFAULTS, allowed: readonly T[]): T => {
    const v = str(name) ?? String(DEFAULTS[name]);
    if (!allowed.includes(v as T)) {
      problems.push(`${key(name)} is "${v}": use one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
    }
    return v as T;
  };
  const label = (name: "operatorNamespace" | "operatorDeployment" | "operatorContainer" | "runnerContainer"): string => {
    const v = str(name) ?? DEFAULTS[name];
    if (!isDns1123Label(v)) {
      problems.push(`${key(name)} is "${v}": use a DNS-1123 label (lower-case letters, digits and "-"), e.g. "${DEFAULTS[name]}"`);
    }
    return v;
  };

  const protect = bool("protect");
  const production = bool("production");
  const v4WriteMode = oneOf("v4WriteMode", V4_WRITE_MODES);
  const installCertManager = bool("installCertManager");
  const installClickhouseOperator = bool("installClickhouseOperator");
  const existingSecrets = parseExistingSecrets(raw.existingSecrets, problems);
  const { stores: externalStores, unset: unsetCredentials } = parseStoreSettings(
    raw,
    secret,
    existingSecrets,
    options.unsetCredentials ?? "refuse",
    problems,
  );
  const createProjectNamespaces = bool("createProjectNamespaces");
  const maskMessages = bool("maskMessages");
  const operatorIntegration = oneOf("operatorIntegration", OPERATOR_INTEGRATIONS);
  const isolation = oneOf("isolation", ISOLATIONS);
  const warnings: string[] = [];
  const projects = parseProjectSettings(
    raw.projects,
    { langfuseNamespace: namespace, isolation, operatorIntegration, secret: secret.has("projects"), undecrypted: options.undecrypted },
    problems,
    warnings,
  );
  const admissionPolicyApiVersion = oneOf("admissionPolicyApiVersion", ADMISSION_POLICY_API_VERSIONS);
  const operatorNamespace = label("operatorNamespace");
  const operatorDeployment = label("operatorDeployment");
  const operatorContainer = label("operatorContainer");
  const runnerContainer = label("runnerContainer");
  if (operatorIntegration === "operator-env" && !maskMessages) {
    // The operator hands runners four variables of its Secret and no other: a runner in this mode
    // never sees LANGFUSE_MASK_MESSAGES and masks, whatever the stack says.
    problems.push(
      `${key("maskMessages")} is false, but ${key("operatorIntegration")} is "operator-env": the operator passes runners only ` +
        `LANGFUSE_ENABLED, LANGFUSE_HOST, LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY, so runners would never learn it and keep masking; ` +
        `leave maskMessages at true, or use operatorIntegration "admission-policy", which hands runners the project's langfuse-config`,
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    platform: platformRaw as Platform,
    namespace,
    chartVersion,
    langfuseVersion,
    v4WriteMode,
    installCertManager,
    certManagerVersion,
    installClickhouseOperator,
    clickhouseOperatorVersion,
    hostname,
    ingressClassName,
    ingressControllerNamespace,
    adminEmail: adminEmail as string,
    adminEmailSecret,
    organizationName,
    projectName,
    nextauthSecretVersion,
    protect,
    production,
    storageClassName,
    externalStores,
    unsetCredentials,
    existingSecrets,
    projects,
    isolation,
    createProjectNamespaces,
    maskMessages,
    operatorIntegration,
    admissionPolicyApiVersion,
    operatorNamespace,
    operatorDeployment,
    operatorContainer,
    runnerContainer,
    warnings,
  };
}

function parseExistingSecrets(
  raw: string | undefined,
  problems: string[],
): Partial<Record<ExistingSecretKey, string>> {
  const name = `${PROJECT}:existingSecrets`;
  if (raw === undefined || raw === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push(`${name} is not an object: set its keys with \`pulumi config set --secret --path existingSecrets.<key> <value>\``);
    return {};
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    problems.push(`${name} must be an object with any of ${EXISTING_SECRET_KEYS.join(", ")}`);
    return {};
  }
  const result: Partial<Record<ExistingSecretKey, string>> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (!(EXISTING_SECRET_KEYS as readonly string[]).includes(k)) {
      problems.push(`${name}.${k} is not a known secret: use any of ${EXISTING_SECRET_KEYS.join(", ")}`);
      continue;
    }
    if (typeof v !== "string" || v === "") {
      problems.push(`${name}.${k} must be a non-empty string`);
      continue;
    }
    if (k === "encryptionKey" && !HEX64.test(v)) {
      problems.push(
        `${name}.encryptionKey is not 64 hex characters (it has ${v.length} characters): ` +
          `Langfuse needs 256 bits as hex, e.g. the output of \`openssl rand -hex 32\``,
      );
      continue;
    }
    if (/Password$|^s3User$/.test(k) && !ALPHANUMERIC.test(v)) {
      problems.push(
        `${name}.${k} has characters other than letters and digits: Langfuse splices store ` +
          `credentials into connection URLs without escaping; rotate it to an alphanumeric value first`,
      );
      continue;
    }
    result[k as ExistingSecretKey] = v;
  }
  return result;
}

/** Lower-case identifier made of letters, digits and "-", used for bootstrap ids. */
export function slug(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/**
 * Pulumi's record of which keys hold secrets (filled by the CLI from `secure:` values, and by the
 * plan's `setAllConfig`). The SDK marks the function internal in its types, hence this view.
 */
const { isConfigSecret } = pulumi.runtime as unknown as { isConfigSecret(fullKey: string): boolean };

/**
 * Reads this stack's settings from Pulumi config and validates them. The only place that
 * reads config. `existingSecrets` and the managed stores' credentials are read raw (not through
 * `getSecretObject`) because they must be validated before any resource is registered; their
 * values leave here only to be wrapped as secrets, as does a secret adminEmail. The entry point
 * (`pulumi up`) passes no options; the offline plan says so itself by deferring unset credentials.
 */
export function readSettings(options: ParseOptions = {}): Settings {
  const raw: Record<string, string | undefined> = {};
  const secret = new Set<string>();
  const prefix = `${PROJECT}:`;
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(prefix)) continue;
    raw[fullKey.slice(prefix.length)] = value;
    if (isConfigSecret(fullKey)) secret.add(fullKey.slice(prefix.length));
  }
  return parseSettings(raw, secret, options);
}
