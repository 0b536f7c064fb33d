import type { Credential, LangfuseClient, RetryPolicy } from "./langfuseClient";

/**
 * What each resource the program keeps in Langfuse does on create, read (refresh), diff, update
 * and delete, in the requests Langfuse's OpenAPI specs allow (the same on 3.224.1 and 4.16.0):
 * an organisation API key (admin API, Bearer ADMIN_API_KEY), a project per platform project and a
 * key pair per project (public API, Basic with the organisation key), and model definitions (public
 * API, Basic with a project's key). Plain functions of a client and plain values, tested against the
 * spec-checking server; the dynamic providers (providers.ts) only call them.
 *
 * SELF-CONTAINED, like langfuseClient.ts: serialized with the providers, so no run-time import.
 *
 * Where the server differs from its specs (read from Langfuse's sources at v4.16.0): creations
 * answer 201 where the specs say 200 (any 2xx is taken), the admin API's errors are objects where
 * the specs say strings (both are read), a project name taken answers 409 (the project is then
 * adopted), and deleting a key that is gone answers 404 (taken as done).
 */

/** Where and how every resource reaches Langfuse: recorded in its state, since delete sees only that. */
export interface Connection {
  apiUrl: string;
  retry: RetryPolicy;
}

/** The outcome of diff, as Pulumi's dynamic providers report it. */
export interface Difference {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/** One kind of resource: the five operations Pulumi calls, on plain values. */
export interface ResourceLogic<I extends Connection, O extends I> {
  create(client: LangfuseClient, inputs: I): Promise<{ id: string; outs: O }>;
  /** The resource as Langfuse has it now, or undefined when it is gone. */
  read(client: LangfuseClient, id: string, state: O): Promise<O | undefined>;
  diff(state: O, news: I): Difference;
  update(client: LangfuseClient, id: string, state: O, news: I): Promise<O>;
  delete(client: LangfuseClient, id: string, state: O): Promise<void>;
}

/** Diff of the recorded fields; `retry` is how to call, not what exists, and never a change. */
function difference(fields: readonly string[], replacing: readonly string[], state: object, news: object, deleteBeforeReplace = false): Difference {
  const olds = state as Record<string, unknown>;
  const next = news as Record<string, unknown>;
  const changed = fields.filter((f) => stable(olds[f]) !== stable(next[f]));
  return { changes: changed.length > 0, replaces: changed.filter((f) => replacing.includes(f)), deleteBeforeReplace };
}

/** JSON with object keys sorted: equal values, equal text. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

/** Only the fields of a kind: what the engine hands over also carries `__provider`. */
function pick<T>(value: T, fields: readonly string[]): T {
  const source = value as Record<string, unknown>;
  return Object.fromEntries(fields.filter((f) => source[f] !== undefined).map((f) => [f, source[f]])) as T;
}

const record = (body: unknown): Record<string, any> => (typeof body === "object" && body !== null ? (body as Record<string, any>) : {});

/** What a created key (an organisation's or a project's) adds to what was given. */
export interface CreatedKey {
  publicKey: string;
  secretKey: string;
  displaySecretKey: string;
  createdAt: string;
}

/** Creates a key (POST with its note, as both key APIs take it) and returns it as the engine records it. */
async function createKey<G extends { note: string }>(
  client: LangfuseClient,
  given: G,
  request: { path: string; credential: Credential; purpose: string },
): Promise<{ id: string; outs: G & CreatedKey }> {
  const { body } = await client.request({ method: "POST", body: { note: given.note }, ...request });
  const key = record(body);
  return {
    id: String(key.id),
    outs: { ...given, publicKey: key.publicKey, secretKey: key.secretKey, displaySecretKey: key.displaySecretKey, createdAt: key.createdAt },
  };
}

/** A key as a list shows it, over its recorded state: the list shows no secret key, so the one created stays. */
function listedKey<S>(state: S, listed: Record<string, any>): S {
  return { ...state, publicKey: listed.publicKey, displaySecretKey: listed.displaySecretKey, note: listed.note ?? "", createdAt: listed.createdAt };
}

// ---------------------------------------------------------------------------------------------
// An organisation API key, through the admin API.

export interface OrganizationKeyInputs extends Connection {
  /** ADMIN_API_KEY, secret. */
  adminApiKey: string;
  organizationId: string;
  note: string;
}

/** Its key pair (secret, additionalSecretOutputs) is the organisation's Basic credentials. */
export interface OrganizationKeyOutputs extends OrganizationKeyInputs, CreatedKey {}

const ORGANIZATION_KEY_FIELDS = ["apiUrl", "retry", "adminApiKey", "organizationId", "note"] as const;
const adminCredential = (s: OrganizationKeyInputs): Credential => ({ kind: "admin", adminApiKey: s.adminApiKey });
const organizationKeys = (s: OrganizationKeyInputs) => `/api/admin/organizations/${encodeURIComponent(s.organizationId)}/apiKeys`;

export const organizationKeyLogic: ResourceLogic<OrganizationKeyInputs, OrganizationKeyOutputs> = {
  create(client, inputs) {
    const given = pick(inputs, ORGANIZATION_KEY_FIELDS);
    return createKey(client, given, {
      path: organizationKeys(given),
      credential: adminCredential(given),
      purpose: `creating an API key of the Langfuse organisation "${given.organizationId}"`,
    });
  },
  async read(client, id, state) {
    const { body } = await client.request({
      method: "GET",
      path: organizationKeys(state),
      credential: adminCredential(state),
      purpose: `reading the API keys of the Langfuse organisation "${state.organizationId}"`,
    });
    const key = (record(body).apiKeys ?? []).find((k: { id?: string }) => k.id === id);
    return key === undefined ? undefined : listedKey(state, key);
  },
  diff: (state, news) => difference(["apiUrl", "adminApiKey", "organizationId", "note"], ["organizationId", "note"], state, news),
  // The admin API changes no key: what can change in place is how it is reached.
  update: async (_client, _id, state, news) => ({ ...state, ...pick(news, ORGANIZATION_KEY_FIELDS) }),
  async delete(client, id, state) {
    await client.request({
      method: "DELETE",
      path: `${organizationKeys(state)}/${encodeURIComponent(id)}`,
      credential: adminCredential(state),
      purpose: `deleting an API key of the Langfuse organisation "${state.organizationId}"`,
      accept: [404],
    });
  },
};

// ---------------------------------------------------------------------------------------------
// A Langfuse project per platform project, through the public API with the organisation key.

export interface ProjectInputs extends Connection {
  /** The organisation key's pair (secret). */
  organizationPublicKey: string;
  organizationSecretKey: string;
  /** The Langfuse project's name: the platform project's namespace. */
  name: string;
  /** Keys this program keeps in the project's metadata; others are left as they are. */
  metadata: Record<string, string>;
  /** Delete the Langfuse project (and its traces) when the resource is deleted. */
  deleteOnRemove: boolean;
}

export interface ProjectOutputs extends ProjectInputs {
  /** It existed (by name) before this stack created it. */
  adopted: boolean;
}

const PROJECT_FIELDS = ["apiUrl", "retry", "organizationPublicKey", "organizationSecretKey", "name", "metadata", "deleteOnRemove"] as const;
const organizationCredential = (s: { organizationPublicKey: string; organizationSecretKey: string }): Credential => ({
  kind: "organization",
  publicKey: s.organizationPublicKey,
  secretKey: s.organizationSecretKey,
});

interface ListedProject {
  id: string;
  name: string;
  metadata?: Record<string, unknown> | null;
}

async function organizationProjects(client: LangfuseClient, s: ProjectInputs): Promise<ListedProject[]> {
  const { body } = await client.request({
    method: "GET",
    path: "/api/public/organizations/projects",
    credential: organizationCredential(s),
    purpose: `looking for the Langfuse project "${s.name}"`,
  });
  return record(body).projects ?? [];
}

/** The project's metadata with this program's keys set, or undefined when they are already. */
function withOurMetadata(current: Record<string, unknown> | null | undefined, ours: Record<string, string>): Record<string, unknown> | undefined {
  const now = current ?? {};
  return Object.entries(ours).every(([k, v]) => now[k] === v) ? undefined : { ...now, ...ours };
}

async function putProject(client: LangfuseClient, id: string, s: ProjectInputs, metadata: Record<string, unknown>): Promise<void> {
  await client.request({
    method: "PUT",
    path: `/api/public/projects/${encodeURIComponent(id)}`,
    body: { name: s.name, metadata },
    credential: organizationCredential(s),
    purpose: `updating the Langfuse project "${s.name}"`,
  });
}

export const projectLogic: ResourceLogic<ProjectInputs, ProjectOutputs> = {
  async create(client, inputs) {
    const given = pick(inputs, PROJECT_FIELDS);
    const adopt = async (project: ListedProject) => {
      const metadata = withOurMetadata(project.metadata, given.metadata);
      if (metadata !== undefined) await putProject(client, project.id, given, metadata);
      return { id: project.id, outs: { ...given, adopted: true } };
    };
    const existing = (await organizationProjects(client, given)).find((p) => p.name === given.name);
    if (existing) return adopt(existing);
    const { status, body } = await client.request({
      method: "POST",
      path: "/api/public/projects",
      // Retention 0: Langfuse keeps the project's data (a retention needs its own entitlement).
      body: { name: given.name, retention: 0, metadata: given.metadata },
      credential: organizationCredential(given),
      purpose: `creating the Langfuse project "${given.name}"`,
      accept: [409],
    });
    if (status === 409) {
      // Created meanwhile under that name (another `pulumi up`, a person in the UI): adopt it.
      const created = (await organizationProjects(client, given)).find((p) => p.name === given.name);
      if (created) return adopt(created);
      throw new Error(`Langfuse at ${given.apiUrl} says a project named "${given.name}" exists, but does not list it to this organisation's key`);
    }
    return { id: String(record(body).id), outs: { ...given, adopted: false } };
  },
  async read(client, id, state) {
    const project = (await organizationProjects(client, state)).find((p) => p.id === id);
    if (project === undefined) return undefined;
    const metadata = Object.fromEntries(Object.keys(state.metadata).map((k) => [k, String(project.metadata?.[k] ?? "")]));
    return { ...state, name: project.name, metadata };
  },
  diff: (state, news) =>
    difference(["apiUrl", "organizationPublicKey", "organizationSecretKey", "name", "metadata", "deleteOnRemove"], [], state, news),
  async update(client, id, state, news) {
    const next = { ...state, ...pick(news, PROJECT_FIELDS) };
    if (state.name !== next.name || stable(state.metadata) !== stable(next.metadata)) {
      const listed = (await organizationProjects(client, next)).find((p) => p.id === id);
      await putProject(client, id, next, { ...(listed?.metadata ?? {}), ...next.metadata });
    }
    return next;
  },
  async delete(client, id, state) {
    // Traces are data: the project stays unless the stack says to delete it (deleteLangfuseProjects).
    if (!state.deleteOnRemove) return;
    await client.request({
      method: "DELETE",
      path: `/api/public/projects/${encodeURIComponent(id)}`,
      credential: organizationCredential(state),
      purpose: `deleting the Langfuse project "${state.name}" (deleteLangfuseProjects is true)`,
      accept: [404],
    });
  },
};

// ---------------------------------------------------------------------------------------------
// A key pair per provisioned project, through the public API with the organisation key.

export interface ProjectKeyInputs extends Connection {
  organizationPublicKey: string;
  organizationSecretKey: string;
  projectId: string;
  /** The platform project (namespace) the pair is for: recorded, so that reviews and policies see it. */
  project: string;
  note: string;
}

/** Its key pair is secret (additionalSecretOutputs). */
export interface ProjectKeyOutputs extends ProjectKeyInputs, CreatedKey {}

const PROJECT_KEY_FIELDS = ["apiUrl", "retry", "organizationPublicKey", "organizationSecretKey", "projectId", "project", "note"] as const;
const projectKeys = (s: ProjectKeyInputs) => `/api/public/projects/${encodeURIComponent(s.projectId)}/apiKeys`;

export const projectKeyLogic: ResourceLogic<ProjectKeyInputs, ProjectKeyOutputs> = {
  create(client, inputs) {
    const given = pick(inputs, PROJECT_KEY_FIELDS);
    return createKey(client, given, {
      path: projectKeys(given),
      credential: organizationCredential(given),
      purpose: `creating a key pair of the Langfuse project "${given.project}"`,
    });
  },
  async read(client, id, state) {
    const { status, body } = await client.request({
      method: "GET",
      path: projectKeys(state),
      credential: organizationCredential(state),
      purpose: `reading the key pairs of the Langfuse project "${state.project}"`,
      accept: [404],
    });
    const key = status === 404 ? undefined : (record(body).apiKeys ?? []).find((k: { id?: string }) => k.id === id);
    return key === undefined ? undefined : listedKey(state, key);
  },
  diff: (state, news) =>
    difference(["apiUrl", "organizationPublicKey", "organizationSecretKey", "projectId", "project", "note"], ["projectId", "note"], state, news),
  update: async (_client, _id, state, news) => ({ ...state, ...pick(news, PROJECT_KEY_FIELDS) }),
  async delete(client, id, state) {
    await client.request({
      method: "DELETE",
      path: `${projectKeys(state)}/${encodeURIComponent(id)}`,
      credential: organizationCredential(state),
      purpose: `deleting a key pair of the Langfuse project "${state.project}"`,
      accept: [404],
    });
  },
};

// ---------------------------------------------------------------------------------------------
// A model definition (prices) in one Langfuse project, through the public API with its key pair.

export interface ModelInputs extends Connection {
  /** The project's key pair (secret): it decides the Langfuse project. */
  publicKey: string;
  secretKey: string;
  /** Which project it is, for messages and reviews: a namespace, or the bootstrap project's name. */
  project: string;
  modelName: string;
  matchPattern: string;
  /** ISO date-time. */
  startDate: string;
  unit: "TOKENS";
  /** USD per unit, per usage key: the definition's one, default, pricing tier. */
  prices: Record<string, number>;
}

export interface ModelOutputs extends ModelInputs {
  /** An identical definition of that name was there before this stack created it. */
  adopted: boolean;
}

const MODEL_FIELDS = ["apiUrl", "retry", "publicKey", "secretKey", "project", "modelName", "matchPattern", "startDate", "unit", "prices"] as const;
/** What a definition is: a change to any of them is a new definition (the API updates none in place). */
const DEFINITION = ["modelName", "matchPattern", "startDate", "unit", "prices"];
const projectCredential = (s: ModelInputs): Credential => ({ kind: "project", project: s.project, publicKey: s.publicKey, secretKey: s.secretKey });

interface ListedModel {
  id: string;
  modelName: string;
  matchPattern: string;
  startDate: string | null;
  unit?: string | null;
  isLangfuseManaged: boolean;
  pricingTiers: { isDefault: boolean; prices: Record<string, number> }[];
}

/** A definition as Langfuse returns it, in the fields the stack gives. */
function definitionOf(model: ListedModel): Pick<ModelInputs, "modelName" | "matchPattern" | "startDate" | "unit" | "prices"> {
  const tier = model.pricingTiers.find((t) => t.isDefault) ?? model.pricingTiers[0];
  return {
    modelName: model.modelName,
    matchPattern: model.matchPattern,
    startDate: model.startDate === null ? "" : new Date(model.startDate).toISOString(),
    unit: (model.unit ?? "TOKENS") as "TOKENS",
    prices: { ...(tier?.prices ?? {}) },
  };
}

const sameDefinition = (a: object, b: object) => !difference(DEFINITION, [], a, b).changes;

/** The project's own (not Langfuse-managed) definition of that name, if there is one. */
async function ownDefinition(client: LangfuseClient, s: ModelInputs): Promise<ListedModel | undefined> {
  const limit = 100;
  for (let page = 1; ; page++) {
    const { body } = await client.request({
      method: "GET",
      path: "/api/public/models",
      query: { page, limit },
      credential: projectCredential(s),
      purpose: `looking for the model definition "${s.modelName}" in the Langfuse project "${s.project}"`,
    });
    const { data = [], meta = {} } = record(body);
    const found = (data as ListedModel[]).find((m) => !m.isLangfuseManaged && m.modelName === s.modelName);
    if (found || page >= Number(meta.totalPages ?? 0) || data.length === 0) return found;
  }
}

export const modelLogic: ResourceLogic<ModelInputs, ModelOutputs> = {
  async create(client, inputs) {
    const given = pick(inputs, MODEL_FIELDS);
    const existing = await ownDefinition(client, given);
    if (existing) {
      if (sameDefinition(definitionOf(existing), given)) return { id: existing.id, outs: { ...given, adopted: true } };
      throw new Error(
        `The Langfuse project "${given.project}" already has a model definition "${given.modelName}" (id ${existing.id}) that differs from ` +
          "the stack's: Langfuse keeps one definition per name in a project. Delete it in Langfuse (Project settings, Models), or give " +
          "ambient-langfuse:modelPrices the definition it has, then run `pulumi up` again",
      );
    }
    const { body } = await client.request({
      method: "POST",
      path: "/api/public/models",
      body: {
        modelName: given.modelName,
        matchPattern: given.matchPattern,
        startDate: given.startDate,
        unit: given.unit,
        pricingTiers: [{ name: "Standard", isDefault: true, priority: 0, conditions: [], prices: given.prices }],
      },
      credential: projectCredential(given),
      purpose: `registering the model definition "${given.modelName}" in the Langfuse project "${given.project}"`,
    });
    return { id: String(record(body).id), outs: { ...given, adopted: false } };
  },
  async read(client, id, state) {
    const { status, body } = await client.request({
      method: "GET",
      path: `/api/public/models/${encodeURIComponent(id)}`,
      credential: projectCredential(state),
      purpose: `reading the model definition "${state.modelName}" of the Langfuse project "${state.project}"`,
      accept: [404],
    });
    if (status === 404) return undefined;
    return { ...state, ...definitionOf(body as ListedModel) };
  },
  // Langfuse updates no definition in place, and refuses a second of one name: replaced, the old one deleted first.
  diff: (state, news) => difference(["apiUrl", "publicKey", "secretKey", "project", ...DEFINITION], ["publicKey", "project", ...DEFINITION], state, news, true),
  update: async (_client, _id, state, news) => ({ ...state, ...pick(news, MODEL_FIELDS) }),
  async delete(client, id, state) {
    await client.request({
      method: "DELETE",
      path: `/api/public/models/${encodeURIComponent(id)}`,
      credential: projectCredential(state),
      purpose: `deleting the model definition "${state.modelName}" of the Langfuse project "${state.project}"`,
      accept: [404],
    });
  },
};
