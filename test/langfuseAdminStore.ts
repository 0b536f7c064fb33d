// A test helper: the part of a Langfuse server that the program's own calls reach (organisation keys
// through the admin API, projects and their key pairs, model definitions), as state behind the
// spec-checking server. Each answer is one the specs declare (the spec server refuses any other),
// and each request is scoped as Langfuse scopes it (its sources at v4.16.0): the admin API by the
// Bearer ADMIN_API_KEY and the Enterprise plan, the projects API by an organisation key and the
// plan, the models API by a project key.
import { randomUUID } from "node:crypto";
import { type LangfuseSpecVersion, type SpecRequest, type SpecResponse, type SpecServer, startLangfuseSpecServer } from "@ambient-code/spec-server";

export interface StoredKey {
  id: string;
  publicKey: string;
  secretKey: string;
  note: string | null;
  createdAt: string;
  /** An organisation's key, or a project's. */
  scope: { organizationId: string } | { projectId: string };
}

export interface StoredProject {
  id: string;
  name: string;
  organizationId: string;
  metadata: Record<string, unknown> | null;
  retentionDays: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface StoredModel {
  id: string;
  /** Null for Langfuse's own definitions, which every project sees. */
  projectId: string | null;
  modelName: string;
  matchPattern: string;
  startDate: string | null;
  unit: string | null;
  prices: Record<string, number>;
  createdAt: string;
}

export interface AdminStoreOptions {
  version: LangfuseSpecVersion;
  adminApiKey: string;
  /** The bootstrap organisation (headless initialisation). */
  organization: { id: string; name: string };
  /** The bootstrap project and its pair, if the test needs them. */
  bootstrap?: { project: { id: string; name: string }; publicKey: string; secretKey: string };
  /** How many of Langfuse's own definitions to list beside the project's (more than a page shows paging). */
  managedModels?: number;
  port?: number;
}

const NOT_ON_PLAN = "This feature is not available on your current plan.";
let counter = 0;
/** An id as Langfuse's database gives one (a cuid). */
const cuid = () => `cm${(counter++).toString(36).padStart(4, "0")}${randomUUID().replace(/-/g, "").slice(0, 19)}`;
const now = () => new Date().toISOString();

export class LangfuseAdminStore {
  readonly keys: StoredKey[] = [];
  readonly projects: StoredProject[] = [];
  readonly models: StoredModel[] = [];
  /** Whether the instance runs with the Enterprise licence (the admin-api entitlement). */
  licensed = true;
  server!: SpecServer;

  private constructor(readonly options: AdminStoreOptions) {}

  static async start(options: AdminStoreOptions): Promise<LangfuseAdminStore> {
    const store = new LangfuseAdminStore(options);
    if (options.bootstrap) {
      const { project, publicKey, secretKey } = options.bootstrap;
      store.projects.push({ ...project, organizationId: options.organization.id, metadata: null, retentionDays: null, createdAt: now(), updatedAt: now() });
      store.keys.push({ id: cuid(), publicKey, secretKey, note: null, createdAt: now(), scope: { projectId: project.id } });
    }
    for (let i = 0; i < (options.managedModels ?? 0); i++) {
      store.models.push({
        id: cuid(),
        projectId: null,
        modelName: `managed-model-${String(i).padStart(3, "0")}`,
        matchPattern: `(?i)^managed-model-${i}$`,
        startDate: null,
        unit: "TOKENS",
        prices: { input: 0.000001, output: 0.000002 },
        createdAt: now(),
      });
    }
    store.server = await startLangfuseSpecServer({
      version: options.version,
      adminApiKey: options.adminApiKey,
      projectKeys: (publicKey, secretKey) => store.keys.some((k) => k.publicKey === publicKey && k.secretKey === secretKey),
      operations: store.operations(),
      port: options.port,
    });
    return store;
  }

  get url(): string {
    return this.server.url;
  }

  /** Operation ids of the requests answered, in order, with their status. */
  get answered(): string[] {
    return this.server.requests.map((r) => `${r.operationId} ${r.status}`);
  }

  close(options?: { allowRefusals?: boolean }): Promise<void> {
    return this.server.close(options);
  }

  /** The key a request authenticated with. */
  private keyOf(request: SpecRequest): StoredKey {
    const key = this.keys.find((k) => request.auth?.scheme === "basic" && k.publicKey === request.auth.username);
    if (!key) throw new Error(`no stored key for ${JSON.stringify(request.auth)}`);
    return key;
  }

  private liveProjects(organizationId: string): StoredProject[] {
    return this.projects.filter((p) => p.organizationId === organizationId);
  }

  private summary = (k: StoredKey) => ({
    id: k.id,
    createdAt: k.createdAt,
    expiresAt: null,
    lastUsedAt: null,
    note: k.note,
    publicKey: k.publicKey,
    displaySecretKey: `sk-lf-...${k.secretKey.slice(-4)}`,
  });

  private created = (k: StoredKey) => ({ ...this.summary(k), secretKey: k.secretKey, expiresAt: undefined, lastUsedAt: undefined });

  private newKey(note: string | null, scope: StoredKey["scope"]): StoredKey {
    const key = { id: cuid(), publicKey: `pk-lf-${randomUUID()}`, secretKey: `sk-lf-${randomUUID()}`, note, createdAt: now(), scope };
    this.keys.push(key);
    return key;
  }

  private modelBody = (m: StoredModel) => ({
    id: m.id,
    modelName: m.modelName,
    matchPattern: m.matchPattern,
    startDate: m.startDate,
    unit: m.unit,
    inputPrice: m.prices.input ?? null,
    outputPrice: m.prices.output ?? null,
    totalPrice: m.prices.total ?? null,
    tokenizerId: null,
    tokenizerConfig: null,
    isLangfuseManaged: m.projectId === null,
    createdAt: m.createdAt,
    prices: Object.fromEntries(Object.entries(m.prices).map(([k, price]) => [k, { price }])),
    pricingTiers: [{ id: `${m.id}_tier_default`, name: "Standard", isDefault: true, priority: 0, conditions: [], prices: m.prices }],
  });

  private operations(): Record<string, (request: SpecRequest) => SpecResponse> {
    /** The admin API: Bearer checked by the spec server; then the plan, as Langfuse checks it. */
    const admin = (handle: (request: SpecRequest) => SpecResponse) => (request: SpecRequest) =>
      this.licensed ? handle(request) : { status: 403, body: NOT_ON_PLAN };
    /** The projects API: an organisation key, then the plan. */
    const organizationScoped = (handle: (request: SpecRequest, organizationId: string) => SpecResponse) => (request: SpecRequest) => {
      const key = this.keyOf(request);
      if (!("organizationId" in key.scope)) return { status: 403, body: { message: "Invalid API key. Organization-scoped API key required for this operation." } };
      if (!this.licensed) return { status: 403, body: { error: NOT_ON_PLAN } };
      return handle(request, key.scope.organizationId);
    };
    /** The models API: a project key. */
    const projectScoped = (handle: (request: SpecRequest, projectId: string) => SpecResponse) => (request: SpecRequest) => {
      const key = this.keyOf(request);
      if (!("projectId" in key.scope)) return { status: 403, body: { message: "Invalid API key. Are you using an organization key?" } };
      return handle(request, key.scope.projectId);
    };
    const organizationOf = (request: SpecRequest) => request.params.organizationId;
    const ownProject = (organizationId: string, projectId: string) => this.liveProjects(organizationId).find((p) => p.id === projectId);
    const body = (request: SpecRequest) => request.body as Record<string, any>;

    return {
      organizations_getApiKeys: admin((request) => ({
        status: 200,
        body: { apiKeys: this.keys.filter((k) => "organizationId" in k.scope && k.scope.organizationId === organizationOf(request)).map(this.summary) },
      })),
      organizations_createApiKey: admin((request) => ({
        status: 200,
        body: this.created(this.newKey(body(request).note ?? null, { organizationId: organizationOf(request) })),
      })),
      organizations_deleteApiKey: admin((request) => {
        const at = this.keys.findIndex((k) => k.id === request.params.apiKeyId && "organizationId" in k.scope);
        // Langfuse answers 404 here, which this spec does not declare: the store answers what the spec allows.
        if (at >= 0) this.keys.splice(at, 1);
        return { status: 200, body: { success: true } };
      }),
      organizations_getOrganizationProjects: organizationScoped((_request, organizationId) => ({
        status: 200,
        body: { projects: this.liveProjects(organizationId).map(({ id, name, metadata, createdAt, updatedAt }) => ({ id, name, metadata, createdAt, updatedAt })) },
      })),
      projects_create: organizationScoped((request, organizationId) => {
        const { name, retention, metadata } = body(request);
        if (typeof name !== "string" || name.length < 3 || name.length > 60) {
          return { status: 400, body: { message: "Invalid project name. Should be between 3 and 60 characters." } };
        }
        const project = { id: cuid(), name, organizationId, metadata: metadata ?? null, retentionDays: retention || null, createdAt: now(), updatedAt: now() };
        this.projects.push(project);
        return { status: 200, body: this.projectBody(project) };
      }),
      projects_update: organizationScoped((request, organizationId) => {
        const project = ownProject(organizationId, request.params.projectId!);
        if (!project) return { status: 404, body: { message: "Project not found or you don't have access to it" } };
        const { name, metadata } = body(request);
        Object.assign(project, { name, updatedAt: now() }, metadata !== undefined ? { metadata } : {});
        return { status: 200, body: this.projectBody(project) };
      }),
      projects_delete: organizationScoped((request, organizationId) => {
        const project = ownProject(organizationId, request.params.projectId!);
        if (!project) return { status: 404, body: { message: "Project not found or you don't have access to it" } };
        // Langfuse deletes the project's keys with it.
        this.projects.splice(this.projects.indexOf(project), 1);
        for (const k of this.keys.filter((x) => "projectId" in x.scope && x.scope.projectId === project.id)) this.keys.splice(this.keys.indexOf(k), 1);
        return { status: 202, body: { success: true, message: "Project deletion has been initiated and is being processed asynchronously" } };
      }),
      projects_getApiKeys: organizationScoped((request, organizationId) => {
        if (!ownProject(organizationId, request.params.projectId!)) return { status: 404, body: { message: "Project not found" } };
        return { status: 200, body: { apiKeys: this.keys.filter((k) => "projectId" in k.scope && k.scope.projectId === request.params.projectId).map(this.summary) } };
      }),
      projects_createApiKey: organizationScoped((request, organizationId) => {
        if (!ownProject(organizationId, request.params.projectId!)) return { status: 404, body: { message: "Project not found" } };
        return { status: 200, body: this.created(this.newKey(body(request).note ?? null, { projectId: request.params.projectId! })) };
      }),
      projects_deleteApiKey: organizationScoped((request) => {
        const at = this.keys.findIndex((k) => k.id === request.params.apiKeyId && "projectId" in k.scope && k.scope.projectId === request.params.projectId);
        if (at < 0) return { status: 404, body: { message: "API key not found" } };
        this.keys.splice(at, 1);
        return { status: 200, body: { success: true } };
      }),
      models_list: projectScoped((request, projectId) => {
        const visible = this.models.filter((m) => m.projectId === null || m.projectId === projectId);
        const page = Number(request.query.page ?? 1);
        const limit = Number(request.query.limit ?? 50);
        return {
          status: 200,
          body: {
            data: visible.slice((page - 1) * limit, page * limit).map(this.modelBody),
            meta: { page, limit, totalItems: visible.length, totalPages: Math.ceil(visible.length / limit) },
          },
        };
      }),
      models_create: projectScoped((request, projectId) => {
        const { modelName, matchPattern, startDate, unit, pricingTiers } = body(request);
        if (this.models.some((m) => m.projectId === projectId && m.modelName === modelName)) {
          return { status: 400, body: { message: `Model name '${modelName}' already exists in project` } };
        }
        const tier = (pricingTiers ?? []).find((t: { isDefault: boolean }) => t.isDefault);
        const model = { id: cuid(), projectId, modelName, matchPattern, startDate: startDate ?? null, unit: unit ?? null, prices: tier?.prices ?? {}, createdAt: now() };
        this.models.push(model);
        return { status: 200, body: this.modelBody(model) };
      }),
      models_get: projectScoped((request, projectId) => {
        const model = this.models.find((m) => m.id === request.params.id && (m.projectId === null || m.projectId === projectId));
        return model ? { status: 200, body: this.modelBody(model) } : { status: 404, body: { message: "No model with this id found." } };
      }),
      models_delete: projectScoped((request, projectId) => {
        const model = this.models.find((m) => m.id === request.params.id && m.projectId === projectId);
        if (!model) return { status: 404, body: { message: "No model with this id found." } };
        this.models.splice(this.models.indexOf(model), 1);
        return { status: 204 };
      }),
    };
  }

  private projectBody(p: StoredProject) {
    const organization = { id: p.organizationId, name: this.options.organization.name };
    return { id: p.id, name: p.name, organization, metadata: p.metadata ?? {}, ...(p.retentionDays ? { retentionDays: p.retentionDays } : {}) };
  }

  /** A project's own key pair, as the UI would create one (for adoption and model tests). */
  addProjectKey(projectId: string): { publicKey: string; secretKey: string } {
    const key = this.newKey(null, { projectId });
    return { publicKey: key.publicKey, secretKey: key.secretKey };
  }

  /** A project made in the UI, before the stack. */
  addProject(name: string, metadata: Record<string, unknown> | null = null): StoredProject {
    const project = { id: cuid(), name, organizationId: this.options.organization.id, metadata, retentionDays: null, createdAt: now(), updatedAt: now() };
    this.projects.push(project);
    return project;
  }
}
