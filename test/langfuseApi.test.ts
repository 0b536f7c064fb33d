// Contract tests of the program's own calls to Langfuse: every request the dynamic resources make
// (organisation key, project, key pair, model definition) goes to the spec-checking server holding
// Langfuse 3.224.1's and 4.16.0's OpenAPI specs, with a store behind it that answers as Langfuse
// does within them. Create, adopt, update, refresh (read), delete, the retries while Langfuse is not
// reachable, and each refusal; a request the spec does not allow fails the test (the store's close).
// Then the providers as the engine runs them: serialized by Pulumi (under the mock monitor, and as the
// Pulumi CLI compiles the program) and called with engine-shaped values.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { LANGFUSE_SPEC_VERSIONS } from "@ambient-code/spec-server";
import type * as pulumi from "@pulumi/pulumi";
import ts from "typescript";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { langfuseClient, type LangfuseClient, type RetryPolicy } from "../infra/langfuseApi/langfuseClient";
import {
  modelLogic,
  type ModelInputs,
  organizationKeyLogic,
  type OrganizationKeyInputs,
  projectKeyLogic,
  type ProjectKeyInputs,
  projectLogic,
  type ProjectInputs,
} from "../infra/langfuseApi/provisioning";
import { SECRET_OUTPUTS } from "../infra/langfuseApi/resources";
import { type Rendering, renderStack } from "../infra/render/mockHarness";
import { REPO_ROOT, loadStackConfig } from "../infra/render/stackConfig";
import { LangfuseAdminStore } from "./langfuseAdminStore";

const execFileAsync = promisify(execFile);
const requireFromString = require("require-from-string") as (code: string) => { handler(): pulumi.dynamic.ResourceProvider };

const ADMIN_API_KEY = "Xk3p9Qw7Lm2Zr8Tv4Bn6Hy1Jd5Fs0Gc3Va7Ue2Oi9Pl4Kq8Wm";
const ORGANIZATION = { id: "ambient-code", name: "ambient-code" };
const BOOTSTRAP = {
  project: { id: "ambient-code-platform", name: "ambient-code-platform" },
  publicKey: "pk-lf-3b8f2c1d-6e4a-4f0b-9c7d-2a5e8f1b4c60",
  secretKey: "sk-lf-7e1a9d3c-5b2f-4c8e-a6d4-0f9b3e7c2a15",
};
/**
 * Waits are injected (recorded, never slept), so no test sleeps; a try may take long on a busy
 * machine, so only the hanging-gateway test times a try out.
 */
const RETRY: RetryPolicy = { attempts: 4, initialDelayMs: 5, maxDelayMs: 20, timeoutMs: 30_000 };

const OPUS = {
  modelName: "claude-opus-4-8",
  matchPattern: "(?i)^(anthropic/)?claude-opus-4-8$",
  startDate: "2026-09-01T00:00:00.000Z",
  unit: "TOKENS" as const,
  prices: { input: 0.000005, output: 0.000025, cache_read_input_tokens: 0.0000005, cache_creation_input_tokens: 0.00000625 },
};

/** Every secret a message could leak. */
function expectNoSecret(text: string, store: LangfuseAdminStore): void {
  expect(text).not.toContain(ADMIN_API_KEY);
  for (const k of store.keys) expect(text).not.toContain(k.secretKey);
}

describe.each(LANGFUSE_SPEC_VERSIONS)("against Langfuse %s's specs", (version) => {
  let store: LangfuseAdminStore;
  let sleeps: number[];
  let client: LangfuseClient;
  beforeEach(async () => {
    store = await LangfuseAdminStore.start({ version, adminApiKey: ADMIN_API_KEY, organization: ORGANIZATION, bootstrap: BOOTSTRAP, managedModels: 120 });
    sleeps = [];
    client = langfuseClient({ baseUrl: store.url, retry: RETRY, sleep: async (ms) => void sleeps.push(ms) });
  });
  // Closing throws if the spec server refused any request: the test then fails.
  afterEach(() => store.close());

  const organizationKeyInputs = (): OrganizationKeyInputs => ({
    apiUrl: store.url,
    retry: RETRY,
    adminApiKey: ADMIN_API_KEY,
    organizationId: ORGANIZATION.id,
    note: "Pulumi stack ambient-langfuse/dev: projects and key pairs",
  });
  const organizationKey = async () => (await organizationKeyLogic.create(client, organizationKeyInputs())).outs;
  const projectInputs = async (name = "team-a", more: Partial<ProjectInputs> = {}): Promise<ProjectInputs> => {
    const key = await organizationKey();
    return {
      apiUrl: store.url,
      retry: RETRY,
      organizationPublicKey: key.publicKey,
      organizationSecretKey: key.secretKey,
      name,
      metadata: { "ambient-code.io/namespace": name, "ambient-code.io/display-name": "Team A" },
      deleteOnRemove: false,
      ...more,
    };
  };

  describe("the organisation key (admin API, Bearer ADMIN_API_KEY)", () => {
    it("creates a key of the bootstrap organisation and returns its pair", async () => {
      const { id, outs } = await organizationKeyLogic.create(client, { ...organizationKeyInputs(), __provider: "exports.handler = …" } as OrganizationKeyInputs);
      const stored = store.keys.find((k) => k.id === id)!;
      expect(stored).toMatchObject({ note: "Pulumi stack ambient-langfuse/dev: projects and key pairs", scope: { organizationId: "ambient-code" } });
      expect(outs).toEqual({
        ...organizationKeyInputs(),
        publicKey: stored.publicKey,
        secretKey: stored.secretKey,
        displaySecretKey: `sk-lf-...${stored.secretKey.slice(-4)}`,
        createdAt: stored.createdAt,
      });
      expect(store.answered).toEqual(["organizations_createApiKey 200"]);
    });

    it("reads it back as Langfuse lists it, keeping the secret key the list does not show, and finds it gone once deleted in Langfuse", async () => {
      const { id, outs } = await organizationKeyLogic.create(client, organizationKeyInputs());
      store.keys.find((k) => k.id === id)!.note = "renamed in Langfuse";
      expect(await organizationKeyLogic.read(client, id, outs)).toEqual({ ...outs, note: "renamed in Langfuse" });
      store.keys.splice(store.keys.findIndex((k) => k.id === id), 1);
      expect(await organizationKeyLogic.read(client, id, outs)).toBeUndefined();
      expect(store.answered).toEqual(["organizations_createApiKey 200", "organizations_getApiKeys 200", "organizations_getApiKeys 200"]);
    });

    it("is replaced for another organisation or note, updated in place for another URL or admin key, and unchanged by the retry policy", async () => {
      const { id, outs } = await organizationKeyLogic.create(client, organizationKeyInputs());
      expect(organizationKeyLogic.diff(outs, organizationKeyInputs())).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
      expect(organizationKeyLogic.diff(outs, { ...organizationKeyInputs(), retry: { ...RETRY, attempts: 9 } }).changes).toBe(false);
      expect(organizationKeyLogic.diff(outs, { ...organizationKeyInputs(), note: "another" }).replaces).toEqual(["note"]);
      expect(organizationKeyLogic.diff(outs, { ...organizationKeyInputs(), organizationId: "team-org" }).replaces).toEqual(["organizationId"]);
      const moved = { ...organizationKeyInputs(), apiUrl: "http://localhost:3000", adminApiKey: "another-admin-key" };
      expect(organizationKeyLogic.diff(outs, moved)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
      expect(await organizationKeyLogic.update(client, id, outs, moved)).toEqual({ ...outs, ...moved });
      // The admin API changes no key: an update makes no request.
      expect(store.answered).toEqual(["organizations_createApiKey 200"]);
    });

    it("deletes it", async () => {
      const { id, outs } = await organizationKeyLogic.create(client, organizationKeyInputs());
      await organizationKeyLogic.delete(client, id, outs);
      expect(store.keys.filter((k) => "organizationId" in k.scope)).toEqual([]);
      expect(store.answered).toEqual(["organizations_createApiKey 200", "organizations_deleteApiKey 200"]);
    });
  });

  describe("a Langfuse project per platform project (organisation key, Basic)", () => {
    it("creates it named after the namespace, with retention 0 and the program's metadata, when no project has that name", async () => {
      const inputs = await projectInputs();
      const { id, outs } = await projectLogic.create(client, inputs);
      expect(store.projects.find((p) => p.id === id)).toMatchObject({
        name: "team-a",
        organizationId: "ambient-code",
        metadata: { "ambient-code.io/namespace": "team-a", "ambient-code.io/display-name": "Team A" },
        retentionDays: null,
      });
      expect(outs).toEqual({ ...inputs, adopted: false });
      expect(store.answered.slice(1)).toEqual(["organizations_getOrganizationProjects 200", "projects_create 200"]);
    });

    it("adopts a project of that name (made in the UI for an own pair), adding the program's metadata to its own", async () => {
      const existing = store.addProject("team-a", { owner: "team-a-leads" });
      const inputs = await projectInputs();
      const { id, outs } = await projectLogic.create(client, inputs);
      expect([id, outs.adopted]).toEqual([existing.id, true]);
      expect(existing.metadata).toEqual({ owner: "team-a-leads", "ambient-code.io/namespace": "team-a", "ambient-code.io/display-name": "Team A" });
      expect(store.projects.filter((p) => p.name === "team-a")).toHaveLength(1);
      expect(store.answered.slice(1)).toEqual(["organizations_getOrganizationProjects 200", "projects_update 200"]);
    });

    it("adopts a project that already carries the program's metadata without changing it", async () => {
      const inputs = await projectInputs();
      store.addProject("team-a", { ...inputs.metadata });
      expect((await projectLogic.create(client, inputs)).outs.adopted).toBe(true);
      expect(store.answered.slice(1)).toEqual(["organizations_getOrganizationProjects 200"]);
    });

    it("reads what Langfuse has, so that a change made there is put back by an update; the delete flag and keys change nothing there", async () => {
      const inputs = await projectInputs();
      const { id, outs } = await projectLogic.create(client, inputs);
      store.projects.find((p) => p.id === id)!.metadata = { "ambient-code.io/namespace": "team-a", "ambient-code.io/display-name": "Edited in the UI" };
      const read = (await projectLogic.read(client, id, outs))!;
      expect(read.metadata).toEqual({ "ambient-code.io/namespace": "team-a", "ambient-code.io/display-name": "Edited in the UI" });
      expect(projectLogic.diff(read, inputs)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
      expect(await projectLogic.update(client, id, read, inputs)).toEqual({ ...outs });
      expect(store.projects.find((p) => p.id === id)!.metadata).toEqual(inputs.metadata);
      const before = store.answered.length;
      const flagged = { ...inputs, deleteOnRemove: true };
      expect(projectLogic.diff(outs, flagged)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
      expect(await projectLogic.update(client, id, outs, flagged)).toEqual({ ...outs, deleteOnRemove: true });
      expect(store.answered.length).toBe(before);
      expect(store.answered.slice(3)).toEqual(["organizations_getOrganizationProjects 200", "organizations_getOrganizationProjects 200", "projects_update 200"]);
    });

    it("keeps the Langfuse project (traces are data) when the resource is deleted, unless deleteOnRemove", async () => {
      const kept = await projectLogic.create(client, await projectInputs("team-a"));
      await projectLogic.delete(client, kept.id, kept.outs);
      expect(store.projects.map((p) => p.name)).toContain("team-a");
      const gone = await projectLogic.create(client, await projectInputs("team-b", { deleteOnRemove: true }));
      const pair = await projectKeyLogic.create(client, { ...keyInputsFor(gone.outs, gone.id) });
      await projectLogic.delete(client, gone.id, gone.outs);
      expect(store.projects.map((p) => p.name)).not.toContain("team-b");
      // Langfuse deletes a project's keys with it.
      expect(store.keys.find((k) => k.id === pair.id)).toBeUndefined();
      expect(await projectLogic.read(client, gone.id, gone.outs)).toBeUndefined();
      expect(store.answered.filter((a) => a.startsWith("projects_delete"))).toEqual(["projects_delete 202"]);
    });

    it("refuses an update of a project deleted in Langfuse (404), saying so; a refresh first finds it gone", async () => {
      const inputs = await projectInputs();
      const { id, outs } = await projectLogic.create(client, inputs);
      store.projects.splice(store.projects.findIndex((p) => p.id === id), 1);
      const renamed = { ...inputs, metadata: { ...inputs.metadata, "ambient-code.io/display-name": "Team A, renamed" } };
      const error = (await projectLogic.update(client, id, outs, renamed).catch((e: Error) => e)) as Error;
      expect(error.message).toBe(
        `Langfuse at ${store.url} refused PUT /api/public/projects/${id} while updating the Langfuse project "team-a" (404: "Project not found or you don't have access to it").`,
      );
      expectNoSecret(error.message, store);
      expect(await projectLogic.read(client, id, outs)).toBeUndefined();
      expect(store.answered.slice(-3)).toEqual(["organizations_getOrganizationProjects 200", "projects_update 404", "organizations_getOrganizationProjects 200"]);
    });

    it("refuses a name Langfuse does not take, saying what Langfuse said", async () => {
      const inputs = await projectInputs("ab");
      await expect(projectLogic.create(client, inputs)).rejects.toThrow(
        `Langfuse at ${store.url} refused POST /api/public/projects while creating the Langfuse project "ab" (400: "Invalid project name. Should be between 3 and 60 characters.").`,
      );
    });
  });

  const keyInputsFor = (project: ProjectInputs, projectId: string): ProjectKeyInputs => ({
    apiUrl: store.url,
    retry: RETRY,
    organizationPublicKey: project.organizationPublicKey,
    organizationSecretKey: project.organizationSecretKey,
    projectId,
    project: project.name,
    note: `Pulumi stack ambient-langfuse/dev: runners of namespace ${project.name}`,
  });

  describe("a key pair per project (organisation key, Basic)", () => {
    it("creates a pair of the project, which then authenticates as that project", async () => {
      const project = await projectLogic.create(client, await projectInputs());
      const inputs = keyInputsFor(project.outs, project.id);
      const { id, outs } = await projectKeyLogic.create(client, inputs);
      const stored = store.keys.find((k) => k.id === id)!;
      expect(stored.scope).toEqual({ projectId: project.id });
      expect(outs).toEqual({ ...inputs, publicKey: stored.publicKey, secretKey: stored.secretKey, displaySecretKey: `sk-lf-...${stored.secretKey.slice(-4)}`, createdAt: stored.createdAt });
      // The pair reaches its own project's models, as runners' traces reach its traces.
      await client.request({ method: "GET", path: "/api/public/models", query: { page: 1, limit: 1 }, credential: { kind: "project", project: "team-a", ...stored }, purpose: "a probe" });
      expect(store.answered.slice(-2)).toEqual(["projects_createApiKey 200", "models_list 200"]);
    });

    it("reads it, and finds it gone when deleted in Langfuse or with its project", async () => {
      const project = await projectLogic.create(client, await projectInputs("team-a", { deleteOnRemove: true }));
      const first = await projectKeyLogic.create(client, keyInputsFor(project.outs, project.id));
      const second = await projectKeyLogic.create(client, keyInputsFor(project.outs, project.id));
      expect(await projectKeyLogic.read(client, first.id, first.outs)).toEqual(first.outs);
      store.keys.splice(store.keys.findIndex((k) => k.id === first.id), 1);
      expect(await projectKeyLogic.read(client, first.id, first.outs)).toBeUndefined();
      await projectLogic.delete(client, project.id, project.outs);
      expect(await projectKeyLogic.read(client, second.id, second.outs)).toBeUndefined();
      expect(store.answered.slice(-4)).toEqual(["projects_getApiKeys 200", "projects_getApiKeys 200", "projects_delete 202", "projects_getApiKeys 404"]);
    });

    it("is replaced for another project or note, and updated in place when the organisation key or URL changes", async () => {
      const project = await projectLogic.create(client, await projectInputs());
      const inputs = keyInputsFor(project.outs, project.id);
      const { id, outs } = await projectKeyLogic.create(client, inputs);
      expect(projectKeyLogic.diff(outs, { ...inputs, projectId: "another" }).replaces).toEqual(["projectId"]);
      const rotated = { ...inputs, organizationPublicKey: "pk-lf-new", organizationSecretKey: "sk-lf-new" };
      expect(projectKeyLogic.diff(outs, rotated)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
      expect(await projectKeyLogic.update(client, id, outs, rotated)).toEqual({ ...outs, ...rotated });
    });

    it("deletes it, and takes a pair already gone as deleted", async () => {
      const project = await projectLogic.create(client, await projectInputs());
      const { id, outs } = await projectKeyLogic.create(client, keyInputsFor(project.outs, project.id));
      await projectKeyLogic.delete(client, id, outs);
      await projectKeyLogic.delete(client, id, outs);
      expect(store.keys.find((k) => k.id === id)).toBeUndefined();
      expect(store.answered.slice(-2)).toEqual(["projects_deleteApiKey 200", "projects_deleteApiKey 404"]);
    });
  });

  describe("a model definition (a project's key, Basic)", () => {
    const modelInputs = (keys: { publicKey: string; secretKey: string } = BOOTSTRAP, project = "ambient-code-platform"): ModelInputs => ({
      apiUrl: store.url,
      retry: RETRY,
      publicKey: keys.publicKey,
      secretKey: keys.secretKey,
      project,
      ...OPUS,
    });

    it("registers one default pricing tier with a price per usage key and the start date, after looking through every page of definitions", async () => {
      const { id, outs } = await modelLogic.create(client, modelInputs());
      expect(store.models.find((m) => m.id === id)).toMatchObject({
        projectId: "ambient-code-platform",
        modelName: "claude-opus-4-8",
        matchPattern: "(?i)^(anthropic/)?claude-opus-4-8$",
        startDate: "2026-09-01T00:00:00.000Z",
        unit: "TOKENS",
        prices: OPUS.prices,
      });
      expect(outs).toEqual({ ...modelInputs(), adopted: false });
      // 120 of Langfuse's own definitions: two pages of 100.
      expect(store.answered).toEqual(["models_list 200", "models_list 200", "models_create 200"]);
    });

    it("adopts an identical definition of that name, and refuses one that differs, naming it and what to do", async () => {
      const first = await modelLogic.create(client, modelInputs());
      const again = await modelLogic.create(client, modelInputs());
      expect([again.id, again.outs.adopted]).toEqual([first.id, true]);
      const differing = { ...modelInputs(), prices: { ...OPUS.prices, output: 0.00003 } };
      await expect(modelLogic.create(client, differing)).rejects.toThrow(
        `The Langfuse project "ambient-code-platform" already has a model definition "claude-opus-4-8" (id ${first.id}) that differs from ` +
          "the stack's: Langfuse keeps one definition per name in a project. Delete it in Langfuse (Project settings, Models), or give " +
          "ambient-langfuse:modelPrices the definition it has, then run `pulumi up` again",
      );
      expect(store.models.filter((m) => m.projectId !== null)).toHaveLength(1);
    });

    it("reads it back, so that a definition changed in Langfuse is replaced (the old one deleted first), and finds it gone once deleted", async () => {
      const { id, outs } = await modelLogic.create(client, modelInputs());
      expect(await modelLogic.read(client, id, outs)).toEqual(outs);
      store.models.find((m) => m.id === id)!.matchPattern = "(?i)^claude-opus-4-8$";
      const read = (await modelLogic.read(client, id, outs))!;
      expect(modelLogic.diff(read, modelInputs())).toEqual({ changes: true, replaces: ["matchPattern"], deleteBeforeReplace: true });
      store.models.splice(store.models.findIndex((m) => m.id === id), 1);
      expect(await modelLogic.read(client, id, outs)).toBeUndefined();
      expect(store.answered.slice(-3)).toEqual(["models_get 200", "models_get 200", "models_get 404"]);
    });

    it("is replaced for any change of its definition or project, and updated in place for another URL", async () => {
      const { id, outs } = await modelLogic.create(client, modelInputs());
      expect(modelLogic.diff(outs, { ...modelInputs(), startDate: "2026-10-01T00:00:00.000Z" }).replaces).toEqual(["startDate"]);
      expect(modelLogic.diff(outs, { ...modelInputs(), prices: { ...OPUS.prices, input: 0.000004 } }).replaces).toEqual(["prices"]);
      // The same prices in another order are the same definition.
      const reordered = Object.fromEntries(Object.entries(OPUS.prices).reverse());
      expect(modelLogic.diff(outs, { ...modelInputs(), prices: reordered }).changes).toBe(false);
      const moved = { ...modelInputs(), apiUrl: "http://localhost:3000" };
      expect(modelLogic.diff(outs, moved)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: true });
      expect(await modelLogic.update(client, id, outs, moved)).toEqual({ ...outs, apiUrl: "http://localhost:3000" });
    });

    it("registers with a provisioned project's own pair into that project only", async () => {
      const project = await projectLogic.create(client, await projectInputs());
      const pair = await projectKeyLogic.create(client, keyInputsFor(project.outs, project.id));
      const { id } = await modelLogic.create(client, modelInputs(pair.outs, "team-a"));
      expect(store.models.find((m) => m.id === id)!.projectId).toBe(project.id);
    });

    it("deletes it, and takes a definition already gone as deleted", async () => {
      const { id, outs } = await modelLogic.create(client, modelInputs());
      await modelLogic.delete(client, id, outs);
      await modelLogic.delete(client, id, outs);
      expect(store.models.filter((m) => m.projectId !== null)).toEqual([]);
      expect(store.answered.slice(-2)).toEqual(["models_delete 204", "models_delete 404"]);
    });
  });

  const modelInputsAt = (apiUrl: string): ModelInputs => ({ apiUrl, retry: RETRY, publicKey: BOOTSTRAP.publicKey, secretKey: BOOTSTRAP.secretKey, project: "ambient-code-platform", ...OPUS });

  describe("a 401 or 403 says what is wrong with the licence or the key, never the key", () => {
    it("the admin API key Langfuse does not run with (401)", async () => {
      const error = await organizationKeyLogic.create(client, { ...organizationKeyInputs(), adminApiKey: "not-the-admin-key" }).catch((e: Error) => e);
      expect((error as Error).message).toBe(
        `Langfuse at ${store.url} refused POST /api/admin/organizations/ambient-code/apiKeys while creating an API key of the Langfuse ` +
          'organisation "ambient-code" (401: "Invalid credentials"): the admin API key is not the one Langfuse runs with. Its web pods read ' +
          "ADMIN_API_KEY from Secret langfuse-enterprise when they start: restart them (kubectl -n <namespace> rollout restart deployment " +
          "langfuse-web) and run `pulumi up` again",
      );
      expect((error as Error).message).not.toContain("not-the-admin-key");
    });

    it("no Enterprise licence on the admin API (403)", async () => {
      store.licensed = false;
      const error = (await organizationKeyLogic.create(client, organizationKeyInputs()).catch((e: Error) => e)) as Error;
      expect(error.message).toBe(
        `Langfuse at ${store.url} refused POST /api/admin/organizations/ambient-code/apiKeys while creating an API key of the Langfuse ` +
          'organisation "ambient-code" (403: "This feature is not available on your current plan."): Langfuse\'s admin API needs an ' +
          "Enterprise licence and ADMIN_API_KEY on its web pods. Check ambient-langfuse:licenseKey (an Enterprise key, langfuse_ee_…, still " +
          "valid); the web pods read both when they start, so restart them if the licence was set later",
      );
      expectNoSecret(error.message, store);
    });

    it("an organisation key deleted in Langfuse (401), and the licence gone from the projects API (403)", async () => {
      const inputs = await projectInputs();
      store.keys.splice(store.keys.findIndex((k) => k.publicKey === inputs.organizationPublicKey), 1);
      const deleted = (await projectLogic.create(client, inputs).catch((e: Error) => e)) as Error;
      expect(deleted.message).toBe(
        `Langfuse at ${store.url} refused GET /api/public/organizations/projects while looking for the Langfuse project "team-a" (401: ` +
          '"Invalid credentials"): the organisation API key this stack created is not one Langfuse knows any more (deleted in Langfuse?): ' +
          "run `pulumi refresh` so that the stack sees it gone, then `pulumi up` creates a new one",
      );
      const fresh = await projectInputs();
      store.licensed = false;
      const unlicensed = (await projectLogic.create(client, fresh).catch((e: Error) => e)) as Error;
      expect(unlicensed.message).toBe(
        `Langfuse at ${store.url} refused GET /api/public/organizations/projects while looking for the Langfuse project "team-a" (403: ` +
          '"This feature is not available on your current plan."): creating projects and keys with an organisation key needs the Enterprise ' +
          "licence's admin API; check ambient-langfuse:licenseKey (an Enterprise key, langfuse_ee_…) and restart Langfuse's web pods if it " +
          "was set after they started",
      );
      expectNoSecret(`${deleted.message}${unlicensed.message}`, store);
    });

    it("a project's pair Langfuse does not know (401)", async () => {
      const unknown = { publicKey: "pk-lf-00000000-0000-4000-8000-000000000000", secretKey: "sk-lf-00000000-0000-4000-8000-000000000001" };
      const error = (await modelLogic.create(client, { apiUrl: store.url, retry: RETRY, ...unknown, project: "team-c", ...OPUS }).catch((e: Error) => e)) as Error;
      expect(error.message).toBe(
        `Langfuse at ${store.url} refused GET /api/public/models while looking for the model definition "claude-opus-4-8" in the Langfuse ` +
          'project "team-c" (401: "Invalid credentials"): Langfuse does not take the key pair of project "team-c" for this (deleted in ' +
          "Langfuse, or an own pair mistyped): give the project a valid pair (its own in the stack's settings, or a provisioned one after " +
          "`pulumi refresh`) and run `pulumi up` again",
      );
      expect(error.message).not.toContain(unknown.secretKey);
    });
  });

  describe("while Langfuse is not reachable yet: bounded retries with backoff", () => {
    it("retries while nothing listens yet, POST included (it never arrived), and goes on once Langfuse is up", async () => {
      const port = await freePort();
      let lateStore: LangfuseAdminStore | undefined;
      const late = langfuseClient({
        baseUrl: `http://127.0.0.1:${port}`,
        retry: RETRY,
        sleep: async (ms) => {
          sleeps.push(ms);
          // Langfuse comes up during the second wait.
          if (sleeps.length === 2) lateStore = await LangfuseAdminStore.start({ version, adminApiKey: ADMIN_API_KEY, organization: ORGANIZATION, port });
        },
      });
      try {
        const { outs } = await organizationKeyLogic.create(late, { ...organizationKeyInputs(), apiUrl: `http://127.0.0.1:${port}` });
        expect(outs.secretKey).toMatch(/^sk-lf-/);
        expect(sleeps).toEqual([5, 10]);
        expect(lateStore!.answered).toEqual(["organizations_createApiKey 200"]);
      } finally {
        await lateStore?.close();
      }
    });

    it("retries what the ingress turns away (503) until Langfuse answers, and only then creates", async () => {
      const proxy = await startProxy(store.url, (_req, n) => (n <= 2 ? { status: 503, body: "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>" } : "forward"));
      try {
        const through = langfuseClient({ baseUrl: proxy.url, retry: RETRY, sleep: async (ms) => void sleeps.push(ms) });
        const { outs } = await projectLogic.create(through, { ...(await projectInputs()), apiUrl: proxy.url });
        expect(outs.adopted).toBe(false);
        expect(sleeps).toEqual([5, 10]);
        expect(store.answered.slice(1)).toEqual(["organizations_getOrganizationProjects 200", "projects_create 200"]);
      } finally {
        await proxy.close();
      }
    });

    it("repeats a read after a bad gateway or a timeout, but never a creation Langfuse may have done; the next create adopts it", async () => {
      const inputs = await projectInputs();
      // The gateway loses the answer of the read, then of the creation, which Langfuse made.
      const proxy = await startProxy(store.url, (req, n) => (n === 1 || req.method === "POST" ? { status: 502, body: "Bad Gateway", afterForwarding: true } : "forward"));
      try {
        const through = langfuseClient({ baseUrl: proxy.url, retry: RETRY, sleep: async (ms) => void sleeps.push(ms) });
        const error = (await projectLogic.create(through, inputs).catch((e: Error) => e)) as Error;
        expect(error.message).toBe(
          `Langfuse at ${proxy.url}: POST /api/public/projects while creating the Langfuse project "team-a": it answered 502: "Bad Gateway" ` +
            "after the request was sent, so Langfuse may have acted on it; it is not repeated (it creates something): run `pulumi refresh`, then `pulumi up` again",
        );
      } finally {
        await proxy.close();
      }
      expect(sleeps).toEqual([5]);
      expect(store.projects.filter((p) => p.name === "team-a")).toHaveLength(1);
      expect((await projectLogic.create(client, inputs)).outs.adopted).toBe(true);
      const hanging = await startProxy(store.url, (_req, n) => (n === 1 ? "hang" : "forward"));
      try {
        const slow = langfuseClient({ baseUrl: hanging.url, retry: { ...RETRY, timeoutMs: 1_500 }, sleep: async (ms) => void sleeps.push(ms) });
        const key = await organizationKeyLogic.create(client, organizationKeyInputs());
        expect(await organizationKeyLogic.read(slow, key.id, key.outs)).toEqual(key.outs);
      } finally {
        await hanging.close();
      }
    });

    it("gives up on a connection refused at every try, naming the code and where to point langfuseApiUrl", async () => {
      const port = await freePort();
      const nowhere = langfuseClient({ baseUrl: `http://127.0.0.1:${port}`, retry: RETRY, sleep: async (ms) => void sleeps.push(ms) });
      const error = (await modelLogic.delete(nowhere, "cm-none", { ...modelInputsAt(`http://127.0.0.1:${port}`), adopted: false }).catch((e: Error) => e)) as Error;
      expect(error.message).toMatch(
        new RegExp(
          `^Langfuse at http://127\\.0\\.0\\.1:${port} did not answer DELETE /api/public/models/cm-none while deleting the model definition ` +
            `"claude-opus-4-8" of the Langfuse project "ambient-code-platform" after 4 tries over \\d+ s: the connection failed \\(ECONNREFUSED\\)\\. `,
        ),
      );
      expect(sleeps).toEqual([5, 10, 20]);
      expectNoSecret(error.message, store);
    });

    it("gives up after the last try, saying how long it tried, from where, and what to check", async () => {
      const proxy = await startProxy(store.url, () => ({ status: 503, body: "" }));
      try {
        const through = langfuseClient({ baseUrl: proxy.url, retry: RETRY, sleep: async (ms) => void sleeps.push(ms) });
        const error = (await organizationKeyLogic.read(through, "cm-none", { ...(await organizationKey()), apiUrl: proxy.url }).catch((e: Error) => e)) as Error;
        expect(error.message).toMatch(
          new RegExp(
            `^Langfuse at ${proxy.url.replace(/\./g, "\\.")} did not answer GET /api/admin/organizations/ambient-code/apiKeys while reading the API ` +
              `keys of the Langfuse organisation "ambient-code" after 4 tries over \\d+ s: it answered 503\\. These calls run where \`pulumi up\` ` +
              "runs: check that this URL reaches Langfuse's web service from here \\(ambient-langfuse:langfuseApiUrl replaces the external URL, " +
              "e\\.g\\. with `kubectl port-forward`\\), then run `pulumi up` again$",
          ),
        );
        // Doubling, capped at maxDelayMs.
        expect(sleeps).toEqual([5, 10, 20]);
      } finally {
        await proxy.close();
      }
    });
  });
});

/** A loopback port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

type ProxyDecision = "forward" | "hang" | { status: number; body: string; afterForwarding?: boolean };

/**
 * What stands between `pulumi up` and Langfuse (an ingress controller, a gateway): each request is
 * forwarded to the spec server, or answered in its place (before or after forwarding), or held.
 */
async function startProxy(target: string, decide: (req: http.IncomingMessage, n: number) => ProxyDecision): Promise<{ url: string; close(): Promise<void> }> {
  let n = 0;
  const held: http.ServerResponse[] = [];
  const forward = (req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const out = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      out.on("error", reject);
      out.end(body);
    });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const decision = decide(req, ++n);
      if (decision === "hang") return void held.push(res);
      if (decision === "forward" || decision.afterForwarding) {
        const answer = await forward(req, Buffer.concat(chunks));
        if (decision === "forward") {
          res.writeHead(answer.status, { "content-type": answer.headers["content-type"] ?? "application/json" });
          return void res.end(answer.body);
        }
      }
      res.writeHead(decision.status, { "content-type": "text/html" });
      res.end(decision.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The providers as the engine runs them.

const TYPE = "pulumi-nodejs:dynamic/langfuse:";
const LICENSED_DEV = {
  isolation: "provisioned",
  licenseKey: { secure: "v1:bGljZW5jZQ==" },
  projects: ["team-a", { namespace: "team-b", displayName: "Team B" }],
  modelPrices: [{ modelName: "claude-opus-4-8", matchPattern: OPUS.matchPattern, startDate: "2026-09-01", prices: OPUS.prices, examples: ["claude-opus-4-8"] }],
};

/** What a provider does with engine-shaped values: secrets unwrapped, `__provider` among the props. */
async function runAsEngine(providers: Record<string, pulumi.dynamic.ResourceProvider>, store: LangfuseAdminStore, code: Record<string, string>): Promise<void> {
  const connection = { apiUrl: store.url, retry: RETRY };
  const org = providers.OrganizationApiKey!;
  const created = await org.create({ __provider: code.OrganizationApiKey, ...connection, adminApiKey: ADMIN_API_KEY, organizationId: "ambient-code", note: "engine" });
  expect(created.outs).not.toHaveProperty("__provider");
  const orgKeys = { organizationPublicKey: created.outs.publicKey, organizationSecretKey: created.outs.secretKey };

  const projectProps = { __provider: code.Project, ...connection, ...orgKeys, name: "team-a", metadata: { "ambient-code.io/namespace": "team-a" }, deleteOnRemove: true };
  const project = await providers.Project!.create(projectProps);
  expect(await providers.Project!.diff!(project.id, project.outs, projectProps)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  const renamed = { ...projectProps, metadata: { "ambient-code.io/namespace": "team-a", "ambient-code.io/display-name": "Team A" } };
  const updated = await providers.Project!.update!(project.id, project.outs, renamed);
  expect(store.projects.find((p) => p.id === project.id)!.metadata).toEqual(renamed.metadata);

  const pair = await providers.ProjectApiKey!.create({ __provider: code.ProjectApiKey, ...connection, ...orgKeys, projectId: project.id, project: "team-a", note: "engine" });
  const model = await providers.Model!.create({ __provider: code.Model, ...connection, publicKey: pair.outs.publicKey, secretKey: pair.outs.secretKey, project: "team-a", ...OPUS });
  expect(await providers.Model!.read!(model.id, model.outs)).toEqual({ id: model.id, props: model.outs });

  // Deleted in the engine's order: dependents first.
  await providers.Model!.delete!(model.id, model.outs);
  await providers.ProjectApiKey!.delete!(pair.id, pair.outs);
  await providers.Project!.delete!(project.id, updated.outs);
  // Gone: an empty id tells the engine so.
  expect(await providers.Project!.read!(project.id, updated.outs)).toEqual({ id: "", props: {} });
  await org.delete!(created.id, created.outs);
  expect([store.projects.map((p) => p.name), store.models.filter((m) => m.projectId !== null), store.keys]).toEqual([[], [], []]);
}

describe("the providers as Pulumi serializes them and the engine calls them", () => {
  let rendering: Rendering;
  let store: LangfuseAdminStore;
  beforeAll(async () => {
    rendering = await renderStack("dev", loadStackConfig("dev", REPO_ROOT, LICENSED_DEV));
  }, 60_000);
  beforeEach(async () => {
    store = await LangfuseAdminStore.start({ version: "4.16.0", adminApiKey: ADMIN_API_KEY, organization: ORGANIZATION });
  });
  afterEach(() => store.close());

  /** Each type's `__provider` as the mock monitor received it. */
  const serialized = () =>
    Object.fromEntries(
      Object.keys(SECRET_OUTPUTS).map((type) => {
        const key = [...rendering.rawInputs.keys()].find((k) => k.startsWith(`${type}::`))!;
        return [type.slice(TYPE.length), rendering.rawInputs.get(key).__provider as string];
      }),
    );

  it("under the mock monitor: one text per provider, which loads on its own and drives Langfuse through every operation", async () => {
    const code = serialized();
    expect(Object.keys(code)).toEqual(["OrganizationApiKey", "Project", "ProjectApiKey", "Model"]);
    for (const text of Object.values(code)) expect(text).toMatch(/^exports\.handler = __f0;/);
    // The same provider object, serialized once and cached, for every resource of its type.
    const projects = [...rendering.rawInputs].filter(([k]) => k.startsWith(`${TYPE}Project::`)).map(([, v]) => v.__provider);
    expect(new Set(projects).size).toBe(1);
    // It captured nothing of Pulumi's or of the program's but the three self-contained files.
    expect(code.Project).not.toMatch(/@pulumi|require\("\.\.?\//);
    const providers = Object.fromEntries(Object.entries(code).map(([type, text]) => [type, requireFromString(text).handler()]));
    await runAsEngine(providers, store, code);
  });

  it("never reaches the plan's record", () => {
    const recorded = JSON.stringify(rendering.resources);
    expect(recorded).not.toContain("__provider");
    expect(recorded).not.toContain("exports.handler");
  });

  it("as the Pulumi CLI compiles the program (the project's TypeScript and tsconfig, CommonJS): serialized by Pulumi, it drives Langfuse alike", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "providers-"));
    const { options: compilerOptions } = ts.convertCompilerOptionsFromJson(JSON.parse(readFileSync(path.join(REPO_ROOT, "tsconfig.json"), "utf8")).compilerOptions, REPO_ROOT);
    for (const file of ["langfuseClient", "provisioning", "providers"]) {
      const source = readFileSync(path.join(REPO_ROOT, "infra", "langfuseApi", `${file}.ts`), "utf8");
      mkdirSync(out, { recursive: true });
      writeFileSync(path.join(out, `${file}.js`), ts.transpileModule(source, { compilerOptions, fileName: `${file}.ts` }).outputText);
    }
    writeFileSync(
      path.join(out, "serialize.js"),
      [
        'const { runtime } = require("@pulumi/pulumi");',
        'const providers = require("./providers");',
        "const names = { OrganizationApiKey: providers.organizationKeyProvider, Project: providers.projectProvider, ProjectApiKey: providers.projectKeyProvider, Model: providers.modelProvider };",
        "Promise.all(Object.entries(names).map(async ([type, p]) => [type, (await runtime.serializeFunction(() => p, { allowSecrets: true })).text]))",
        "  .then((entries) => process.stdout.write(JSON.stringify(Object.fromEntries(entries))));",
      ].join("\n"),
    );
    const { stdout } = await execFileAsync(process.execPath, [path.join(out, "serialize.js")], { env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, "node_modules") } });
    const code = JSON.parse(stdout) as Record<string, string>;
    const providers = Object.fromEntries(Object.entries(code).map(([type, text]) => [type, requireFromString(text).handler()]));
    await runAsEngine(providers, store, code);
  }, 60_000);
});
