import * as http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import {
  compileEveryOperation,
  jsonSchemaNullables,
  LANGFUSE_SPEC_VERSIONS,
  langfuseSpecFiles,
  startLangfuseSpecServer,
  startSpecServer,
  type SpecServer,
} from "../src";

const KEYS = { publicKey: "pk-lf-6a1c0d3e-2b7f-4e8a-9c51-0f3d2e1b4a77", secretKey: "sk-lf-0b9e4c2a-7d13-4f6e-8a25-3c1e9f7d5b20" };
const ADMIN_KEY = "admin-7f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c";
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const PROJECT_AUTH = { authorization: basic(KEYS.publicKey, KEYS.secretKey) };

const HEALTH = { health_health: () => ({ status: 200, body: { status: "OK", version: "4.16.0" } }) };

let server: SpecServer | undefined;
afterEach(async () => {
  // Each test that expects refusals closes its server itself and checks them.
  await server?.close();
  server = undefined;
});

/** One request, through node:http (which, unlike fetch, sends a body with any method). */
function call(method: string, url: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; body: unknown }> {
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(`${server!.url}${url}`, { method, headers: payload === undefined ? headers : { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)), ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined }));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

describe("OpenAPI nullables as JSON Schema", () => {
  it("turns a nullable $ref into the reference or null, keeping its annotations", () => {
    expect(jsonSchemaNullables({ $ref: "#/components/schemas/ObservationLevel", nullable: true, description: "The level" })).toEqual({
      description: "The level",
      anyOf: [{ $ref: "#/components/schemas/ObservationLevel" }, { type: "null" }],
    });
  });

  it("drops nullable where there is no type (any JSON already takes null) and adds null to an enum", () => {
    expect(jsonSchemaNullables({ nullable: true, description: "Any JSON" })).toEqual({ description: "Any JSON" });
    expect(jsonSchemaNullables({ type: "string", enum: ["a", "b"], nullable: true })).toEqual({ type: "string", enum: ["a", "b", null], nullable: true });
    expect(jsonSchemaNullables({ type: "integer", nullable: true })).toEqual({ type: "integer", nullable: true });
    expect(jsonSchemaNullables({ type: "string", nullable: false })).toEqual({ type: "string" });
  });

  it("leaves a property named nullable alone and works through nested schemas", () => {
    const schema = { type: "object", properties: { nullable: { type: "boolean" }, level: { $ref: "#/x", nullable: true } } };
    expect(jsonSchemaNullables(schema)).toEqual({ type: "object", properties: { nullable: { type: "boolean" }, level: { anyOf: [{ $ref: "#/x" }, { type: "null" }] } } });
  });
});

describe.each(LANGFUSE_SPEC_VERSIONS)("Langfuse %s's specs", (version) => {
  it("compile for every operation, request and declared responses, public and organisations API", { timeout: 180_000 }, async () => {
    const files = langfuseSpecFiles(version);
    expect(await compileEveryOperation(files.publicApi)).toBeGreaterThan(100);
    expect(await compileEveryOperation(files.organizationsApi)).toBe(8);
  });
});

describe("the spec-checking server", () => {
  it("answers a request the spec allows with the seeded answer, and records it", async () => {
    server = await startLangfuseSpecServer({
      version: "4.16.0",
      projectKeys: KEYS,
      operations: {
        ...HEALTH,
        observations_getMany: (request) => ({
          status: 200,
          body: {
            data: [
              {
                id: "0a1b2c3d4e5f6071",
                traceId: "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
                startTime: "2026-11-28T10:00:00.000Z",
                endTime: "2026-11-28T10:00:02.500Z",
                projectId: "ambient-code-platform",
                parentObservationId: null,
                type: "GENERATION",
                level: null,
                sessionId: String(request.query.sessionId),
                providedModelName: "claude-sonnet-4-5-20250929",
                usageDetails: { input: 12, output: 140, cache_read_input_tokens: 14000, cache_creation_input_tokens: 300, total: 14452 },
                modelId: null,
                inputPrice: null,
                outputPrice: null,
                totalPrice: null,
              },
            ],
            meta: { cursor: null },
          },
        }),
      },
    });
    expect(await call("GET", "/api/public/health")).toEqual({ status: 200, body: { status: "OK", version: "4.16.0" } });
    const listed = await call("GET", "/api/public/v2/observations?sessionId=team-a-session-7&fields=core,basic,model,usage&limit=1000", PROJECT_AUTH);
    expect(listed.status).toBe(200);
    expect((listed.body as { data: Array<{ sessionId: string }> }).data[0]!.sessionId).toBe("team-a-session-7");
    expect(server.requests).toEqual([
      { operationId: "health_health", method: "GET", path: "/api/public/health", query: {}, status: 200 },
      // Query values arrive in the spec's types: the limit as a number.
      { operationId: "observations_getMany", method: "GET", path: "/api/public/v2/observations", query: { sessionId: "team-a-session-7", fields: "core,basic,model,usage", limit: 1000 }, status: 200 },
    ]);
  });

  it("passes path parameters and the JSON body to the handler, and takes the admin API's Bearer token", async () => {
    const seen: unknown[] = [];
    server = await startLangfuseSpecServer({
      version: "4.16.0",
      projectKeys: KEYS,
      adminApiKey: ADMIN_KEY,
      operations: {
        organizations_createApiKey: (request) => {
          seen.push({ params: request.params, body: request.body, auth: request.auth });
          return {
            status: 200,
            body: { id: "key-1", createdAt: "2026-11-28T10:00:00.000Z", publicKey: "pk-lf-org", secretKey: "sk-lf-org", displaySecretKey: "sk-lf-...org", note: "team-a" },
          };
        },
      },
    });
    const created = await call("POST", "/api/admin/organizations/ambient-code/apiKeys", { authorization: `Bearer ${ADMIN_KEY}` }, { note: "team-a" });
    expect(created.status).toBe(200);
    expect(seen).toEqual([{ params: { organizationId: "ambient-code" }, body: { note: "team-a" }, auth: { scheme: "bearer" } }]);
  });

  it("answers credentials of the right scheme that are not the seeded ones with the spec's 401, refusing nothing", async () => {
    server = await startLangfuseSpecServer({ version: "3.224.1", projectKeys: KEYS, adminApiKey: ADMIN_KEY, operations: {} });
    const wrongKeys = await call("GET", "/api/public/traces?sessionId=s", { authorization: basic(KEYS.publicKey, "sk-lf-not-the-secret") });
    expect(wrongKeys).toEqual({ status: 401, body: { message: "Invalid credentials" } });
    // The admin API declares its 401 body as a string.
    expect(await call("GET", "/api/admin/organizations", { authorization: "Bearer not-the-admin-key" })).toEqual({ status: 401, body: "Invalid credentials" });
    expect(server.refusals).toEqual([]);
    expect(server.requests.map((r) => [r.operationId, r.status])).toEqual([
      ["trace_list", 401],
      ["organizations_getAll", 401],
    ]);
  });

  it("refuses every request the spec does not allow, says why, and fails the test when closed", async () => {
    server = await startLangfuseSpecServer({ version: "4.16.0", projectKeys: KEYS, adminApiKey: ADMIN_KEY, operations: { ...HEALTH } });
    const refused = [
      await call("GET", "/api/public/v3/observations", PROJECT_AUTH),
      await call("DELETE", "/api/public/health"),
      await call("GET", "/api/public/v2/observations?sessionID=s", PROJECT_AUTH),
      await call("GET", "/api/public/v2/observations?limit=many", PROJECT_AUTH),
      await call("GET", "/api/public/v2/observations?sessionId=s"),
      await call("GET", "/api/public/v2/observations?sessionId=s", { authorization: `Bearer ${ADMIN_KEY}` }),
      await call("GET", "/api/admin/organizations", PROJECT_AUTH),
      await call("POST", "/api/public/models", PROJECT_AUTH, { modelName: "claude-sonnet-4-5", unit: "TOKENS" }),
      await call("POST", "/api/public/models", { ...PROJECT_AUTH, "content-type": "text/plain" }, "claude-sonnet-4-5"),
      await call("POST", "/api/public/models", PROJECT_AUTH),
      await call("GET", "/api/public/health", { "content-type": "application/json" }, { probe: true }),
      await call("GET", "/api/public/sessions/s-1", PROJECT_AUTH),
    ];
    expect(refused.map((r) => r.status)).toEqual([404, 405, 400, 400, 401, 401, 401, 400, 400, 400, 400, 501]);
    expect(server.refusals.map((r) => `${r.method} ${r.url}: ${r.reason}`)).toEqual([
      "GET /api/public/v3/observations: GET /api/public/v3/observations: no such path in the spec",
      "DELETE /api/public/health: DELETE /api/public/health: the spec has this path, not this method",
      'GET /api/public/v2/observations?sessionID=s: observations_getMany: /query must NOT have additional properties ("sessionID")',
      "GET /api/public/v2/observations?limit=many: observations_getMany: /query/limit must be integer",
      "GET /api/public/v2/observations?sessionId=s: observations_getMany: no Authorization header, where the spec requires Basic",
      "GET /api/public/v2/observations?sessionId=s: observations_getMany: Authorization in the Bearer scheme, where the spec requires Basic",
      "GET /api/admin/organizations: organizations_getAll: Authorization in the Basic scheme, where the spec requires Bearer",
      `POST /api/public/models: models_create: /requestBody must have required property 'matchPattern' ("matchPattern")`,
      'POST /api/public/models: models_create: a body of type "text/plain", where the spec takes application/json',
      "POST /api/public/models: models_create: the spec requires a body",
      "GET /api/public/health: health_health: a body, where the spec declares none",
      "GET /api/public/sessions/s-1: sessions_get is allowed by the spec, but the test seeded no answer for it",
    ]);
    expect(() => server!.assertNoRefusals()).toThrow(/The spec server refused 12 request\(s\):\n {2}GET \/api\/public\/v3\/observations: /);
    await expect(server.close()).rejects.toThrow(/refused 12 request/);
    server = undefined;
  });

  it("refuses to send an answer the spec does not declare for the operation", async () => {
    server = await startLangfuseSpecServer({
      version: "3.224.1",
      projectKeys: KEYS,
      operations: {
        // The health answer must carry the version.
        health_health: () => ({ status: 200, body: { status: "OK" } }),
        trace_list: () => ({ status: 418, body: {} }),
        legacy_observationsV1_getMany: () => ({ status: 200, body: { data: [{ id: "o1", type: "GENERATION" }], meta: { page: 1, limit: 50, totalItems: 1, totalPages: 1 } } }),
      },
    });
    expect((await call("GET", "/api/public/health")).status).toBe(500);
    expect((await call("GET", "/api/public/traces", PROJECT_AUTH)).status).toBe(500);
    expect((await call("GET", "/api/public/observations?traceId=t1", PROJECT_AUTH)).status).toBe(500);
    expect(server.refusals.map((r) => r.reason)).toEqual([
      `answer of health_health (200) does not fit the spec: / must have required property 'version' ("version")`,
      "answer of trace_list: status 418, which the spec does not declare (200, 400, 401, 403, 404, 405)",
      expect.stringMatching(/^answer of legacy_observationsV1_getMany \(200\) does not fit the spec: \/data\/0 must have required property /),
    ]);
    expect(server.requests).toEqual([]);
    await server.close({ allowRefusals: true });
    server = undefined;
  });

  it("serves any OpenAPI document given as an object, and can be seeded as the test goes", async () => {
    server = await startSpecServer({
      specs: [
        {
          openapi: "3.0.1",
          paths: {
            "/items/{id}": {
              get: {
                operationId: "items_get",
                parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
                responses: { "200": { description: "", content: { "application/json": { schema: { type: "object", properties: { id: { type: "string" }, size: { type: "integer", nullable: true } }, required: ["id", "size"] } } } } },
              },
            },
          },
        },
      ],
    });
    expect((await call("GET", "/items/a")).status).toBe(501);
    server.answer("items_get", (request) => ({ status: 200, body: { id: request.params.id, size: null } }));
    expect(await call("GET", "/items/b")).toEqual({ status: 200, body: { id: "b", size: null } });
    expect(() => server!.answer("items_delete", () => ({ status: 200 }))).toThrow('no operation "items_delete" in the specs served');
    expect(server.refusals).toHaveLength(1);
    await server.close({ allowRefusals: true });
    server = undefined;
  });
});
