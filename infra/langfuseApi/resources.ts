import * as pulumi from "@pulumi/pulumi";
import type { RetryPolicy } from "./langfuseClient";
import { modelProvider, organizationKeyProvider, projectKeyProvider, projectProvider } from "./providers";

/**
 * The resources the program keeps in Langfuse, as Pulumi dynamic resources (their providers in
 * providers.ts). They run where `pulumi up` runs and reach Langfuse at `apiUrl`.
 */

/** The module of their type tokens: `pulumi-nodejs:dynamic/langfuse:<Type>`. */
const MODULE = "langfuse";

/**
 * How long each call keeps trying while Langfuse is not reachable yet (the release is ready, but
 * an ingress may still be catching up): 10 tries, 2 s doubling to 30 s between them, about three
 * minutes; 30 s per try.
 */
export const LANGFUSE_API_RETRY: RetryPolicy = { attempts: 10, initialDelayMs: 2_000, maxDelayMs: 30_000, timeoutMs: 30_000 };

/**
 * The outputs each type returns that are secrets (`additionalSecretOutputs`), by type token. The
 * mock monitor ignores that option, so the mock harness marks these itself, from this list.
 */
export const SECRET_OUTPUTS: Record<string, readonly string[]> = {
  [`pulumi-nodejs:dynamic/${MODULE}:OrganizationApiKey`]: ["adminApiKey", "publicKey", "secretKey", "displaySecretKey"],
  [`pulumi-nodejs:dynamic/${MODULE}:Project`]: ["organizationPublicKey", "organizationSecretKey"],
  [`pulumi-nodejs:dynamic/${MODULE}:ProjectApiKey`]: ["organizationPublicKey", "organizationSecretKey", "publicKey", "secretKey", "displaySecretKey"],
  [`pulumi-nodejs:dynamic/${MODULE}:Model`]: ["publicKey", "secretKey"],
};

const secretOutputs = (type: string) => ({ additionalSecretOutputs: [...SECRET_OUTPUTS[`pulumi-nodejs:dynamic/${MODULE}:${type}`]!] });

/**
 * The inputs with every one its type keeps secret made a Pulumi secret: an own pair read from the
 * stack's settings arrives as plain text, and would otherwise be recorded (and planned) as given.
 */
function withSecretInputs<T extends object>(type: string, inputs: T): T {
  const secret = SECRET_OUTPUTS[`pulumi-nodejs:dynamic/${MODULE}:${type}`]!;
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [k, secret.includes(k) && v !== undefined ? pulumi.secret(v) : v]),
  ) as T;
}

/** The outputs a created key brings, declared so that the engine records them. */
const CREATED_KEY_OUTPUTS = { publicKey: undefined, secretKey: undefined, displaySecretKey: undefined, createdAt: undefined };

/** Where and how a resource reaches Langfuse. */
export interface ConnectionArgs {
  /** Langfuse's URL from where `pulumi up` runs. */
  apiUrl: pulumi.Input<string>;
  retry: RetryPolicy;
}

export interface OrganizationApiKeyArgs extends ConnectionArgs {
  /** ADMIN_API_KEY (secret). */
  adminApiKey: pulumi.Input<string>;
  /** The organisation the key is for (the bootstrap organisation's id). */
  organizationId: string;
  /** Shown beside the key in Langfuse. */
  note: string;
}

/** An organisation-scoped API key, created through the admin API (needs the Enterprise licence). */
export class OrganizationApiKey extends pulumi.dynamic.Resource {
  declare public readonly publicKey: pulumi.Output<string>;
  declare public readonly secretKey: pulumi.Output<string>;

  constructor(name: string, args: OrganizationApiKeyArgs, opts?: pulumi.CustomResourceOptions) {
    super(organizationKeyProvider, name, { ...withSecretInputs("OrganizationApiKey", args), ...CREATED_KEY_OUTPUTS }, { ...opts, ...secretOutputs("OrganizationApiKey") }, MODULE, "OrganizationApiKey");
  }
}

/** The organisation key's pair: the Basic credentials of the projects API. */
export interface OrganizationCredentials {
  organizationPublicKey: pulumi.Input<string>;
  organizationSecretKey: pulumi.Input<string>;
}

export interface LangfuseProjectArgs extends ConnectionArgs, OrganizationCredentials {
  /** The Langfuse project's name; a project of that name in the organisation is adopted. */
  name: string;
  /** Kept in the project's metadata (other keys there are left alone). */
  metadata: Record<string, string>;
  /** Delete the Langfuse project, and its traces, when this resource is deleted. */
  deleteOnRemove: boolean;
}

/** A Langfuse project in the organisation of the organisation key, created or adopted by name. */
export class LangfuseProject extends pulumi.dynamic.Resource {
  declare public readonly adopted: pulumi.Output<boolean>;

  constructor(name: string, args: LangfuseProjectArgs, opts?: pulumi.CustomResourceOptions) {
    super(projectProvider, name, { ...withSecretInputs("Project", args), adopted: undefined }, { ...opts, ...secretOutputs("Project") }, MODULE, "Project");
  }
}

export interface ProjectApiKeyArgs extends ConnectionArgs, OrganizationCredentials {
  /** The Langfuse project's id. */
  projectId: pulumi.Input<string>;
  /** The platform project (namespace) the pair is for, and may be used in only. */
  project: string;
  note: string;
}

/** A key pair of one Langfuse project, created with the organisation key. */
export class ProjectApiKey extends pulumi.dynamic.Resource {
  declare public readonly publicKey: pulumi.Output<string>;
  declare public readonly secretKey: pulumi.Output<string>;

  constructor(name: string, args: ProjectApiKeyArgs, opts?: pulumi.CustomResourceOptions) {
    super(projectKeyProvider, name, { ...withSecretInputs("ProjectApiKey", args), ...CREATED_KEY_OUTPUTS }, { ...opts, ...secretOutputs("ProjectApiKey") }, MODULE, "ProjectApiKey");
  }
}

export interface ModelArgs extends ConnectionArgs {
  /** The key pair of the Langfuse project the definition goes into (secret). */
  publicKey: pulumi.Input<string>;
  secretKey: pulumi.Input<string>;
  /** Which project that is: a platform project's namespace, or the bootstrap project's name. */
  project: string;
  modelName: string;
  matchPattern: string;
  startDate: string;
  prices: Record<string, number>;
}

/**
 * A model definition (prices per usage key) in one Langfuse project. Langfuse changes none in
 * place and keeps one per name, so a change replaces it, deleting the old one first.
 */
export class LangfuseModel extends pulumi.dynamic.Resource {
  constructor(name: string, args: ModelArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      modelProvider,
      name,
      { ...withSecretInputs("Model", args), unit: "TOKENS", adopted: undefined },
      { ...opts, ...secretOutputs("Model"), deleteBeforeReplace: true },
      MODULE,
      "Model",
    );
  }
}
