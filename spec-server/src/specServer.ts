import addFormats from "ajv-formats";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { OpenAPIBackend, type Operation } from "openapi-backend";
import { readOpenApiDocument, type OpenApiDocument } from "./specDocument";

/** A request as the handler of its operation sees it, already held to the spec. */
export interface SpecRequest {
  operationId: string;
  method: string;
  path: string;
  /** Path parameters by name. */
  params: Record<string, string>;
  /** Query parameters, parsed (repeated names become arrays), types coerced to the spec's. */
  query: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
  /** The JSON body, parsed; undefined when there is none. */
  body: unknown;
  /** Who the request authenticated as, by the scheme it used. */
  auth?: { scheme: "basic"; username: string } | { scheme: "bearer" };
}

/** What a handler answers; the status and body must be ones the spec declares for the operation. */
export interface SpecResponse {
  status: number;
  body?: unknown;
}

export type OperationHandler = (request: SpecRequest) => SpecResponse | Promise<SpecResponse>;

/** A request the spec does not allow, or an answer the server could not give within it. */
export interface Refusal {
  method: string;
  /** Path and query as sent. */
  url: string;
  reason: string;
}

/** A request the spec allowed, and what it was answered. */
export interface AnsweredRequest {
  operationId: string;
  method: string;
  path: string;
  query: Record<string, unknown>;
  status: number;
}

export interface SpecServerOptions {
  /** The OpenAPI 3 documents (files or parsed) the server serves; every request must fit one of them. */
  specs: Array<string | OpenApiDocument>;
  /**
   * The credentials that authenticate, per HTTP auth scheme the specs use. A request in a scheme
   * the operation allows but with other credentials is answered 401, as a server would; a request
   * in no scheme the operation allows is refused.
   */
  credentials?: { basic?: { username: string; password: string }; bearer?: string };
  /** The answer of each operation, by `operationId`; more can be added with `answer()`. */
  operations?: Record<string, OperationHandler>;
}

export interface SpecServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** Every request the spec allowed, in order, with the status it was answered. */
  requests: AnsweredRequest[];
  /** Every request refused, and every answer that broke the spec, in order. */
  refusals: Refusal[];
  /** Sets (or replaces) the answer of an operation, e.g. once the test has seeded more data. */
  answer(operationId: string, handler: OperationHandler): void;
  /** Throws an error listing the refusals, if there were any. */
  assertNoRefusals(): void;
  /**
   * Stops the server; then throws, like `assertNoRefusals`, when anything was refused (unless
   * `allowRefusals`, for a test whose subject is a refusal and which checks `refusals` itself).
   */
  close(options?: { allowRefusals?: boolean }): Promise<void>;
}

/** What the server answers a refused request: the status a strict server would use. */
const REFUSAL_STATUS = { notFound: 404, methodNotAllowed: 405, invalid: 400, unauthenticated: 401, unseeded: 501, badAnswer: 500 } as const;

/** Bodies above this are refused rather than buffered (no Langfuse request comes near it). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

interface LoadedSpec {
  api: OpenAPIBackend;
  document: OpenApiDocument;
}

/**
 * A loopback HTTP server that holds every request to OpenAPI specs: the method and path must be
 * an operation's, the path and query parameters and the JSON body must validate against its
 * schemas (no parameter it does not declare), the request must authenticate in a scheme the
 * operation's security allows. Anything else is refused (an HTTP error, and an entry in
 * `refusals`, which makes `close()` throw: a failing test). Allowed requests are answered by the
 * test's handlers, and each answer is itself validated against the operation's declared
 * responses before it is sent; an answer outside the spec is a refusal too.
 */
export async function startSpecServer(options: SpecServerOptions): Promise<SpecServer> {
  const specs = await Promise.all(options.specs.map(loadSpec));
  const owner = new Map<string, number>();
  specs.forEach((spec, i) => {
    for (const { operationId } of spec.api.getOperations()) {
      // Handlers are found by operationId: two documents must not share one.
      if (operationId && owner.has(operationId)) throw new Error(`operationId "${operationId}" is in two of the specs served`);
      if (operationId) owner.set(operationId, i);
    }
  });
  const handlers = new Map<string, OperationHandler>(Object.entries(options.operations ?? {}));
  const requests: AnsweredRequest[] = [];
  const refusals: Refusal[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      const refuse = (status: number, reason: string) => {
        refusals.push({ method: req.method ?? "", url: req.url ?? "", reason });
        send(res, status, { message: `refused by the spec server: ${reason}` });
      };
      if (size > MAX_BODY_BYTES) return refuse(413, `a body of ${size} bytes`);
      serve(req, Buffer.concat(chunks), specs, handlers, options.credentials ?? {})
        .then((outcome) => {
          if ("refused" in outcome) return refuse(outcome.status, outcome.refused);
          requests.push(outcome.answered);
          send(res, outcome.answered.status, outcome.body);
        })
        .catch((e: unknown) => refuse(REFUSAL_STATUS.badAnswer, `no answer could be given: ${e instanceof Error ? e.message : String(e)}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const refusalError = () =>
    new Error(`The spec server refused ${refusals.length} request(s):\n${refusals.map((r) => `  ${r.method} ${r.url}: ${r.reason}`).join("\n")}`);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    refusals,
    answer: (operationId, handler) => {
      if (!specs.some((s) => s.api.getOperation(operationId))) throw new Error(`no operation "${operationId}" in the specs served`);
      handlers.set(operationId, handler);
    },
    assertNoRefusals: () => {
      if (refusals.length > 0) throw refusalError();
    },
    close: async ({ allowRefusals = false } = {}) => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!allowRefusals && refusals.length > 0) throw refusalError();
    },
  };
}

/**
 * Specs read from files, by path: a validator is compiled on an operation's first request (a
 * Langfuse public spec takes seconds to compile whole), once per process, however many servers
 * a test file starts.
 */
const loadedFiles = new Map<string, Promise<LoadedSpec>>();

function loadSpec(spec: string | OpenApiDocument): Promise<LoadedSpec> {
  if (typeof spec !== "string") return loadDocument(spec);
  let loaded = loadedFiles.get(spec);
  if (!loaded) {
    loaded = loadDocument(readOpenApiDocument(spec));
    loadedFiles.set(spec, loaded);
  }
  return loaded;
}

/**
 * Compiles the validators of every operation of a spec (request and each declared response), as
 * the server would on first use; throws naming the operation whose schemas cannot be compiled.
 * Returns the number of operations.
 */
export async function compileEveryOperation(spec: string | OpenApiDocument): Promise<number> {
  const { api } = await loadSpec(spec);
  const operations = api.getOperations();
  for (const { operationId } of operations) {
    try {
      api.validator.getRequestValidatorsForOperation(operationId!);
      api.validator.getStatusBasedResponseValidatorForOperation(operationId!);
    } catch (e) {
      throw new Error(`${operationId}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return operations.length;
}

async function loadDocument(document: OpenApiDocument): Promise<LoadedSpec> {
  const api = new OpenAPIBackend({
    definition: document as never,
    // `quick`: the document is dereferenced as it is, without first being validated as an
    // OpenAPI document, which Langfuse's generated specs are not to the letter (siblings of $ref).
    quick: true,
    strict: false,
    validate: true,
    coerceTypes: true,
    ajvOpts: { strict: false, allErrors: true },
    customizeAjv: (ajv) => {
      addFormats(ajv);
      return ajv;
    },
  });
  await api.init();
  return { api, document };
}

type Outcome = { refused: string; status: number } | { answered: AnsweredRequest; body: unknown };

async function serve(
  req: http.IncomingMessage,
  rawBody: Buffer,
  specs: LoadedSpec[],
  handlers: Map<string, OperationHandler>,
  credentials: NonNullable<SpecServerOptions["credentials"]>,
): Promise<Outcome> {
  const method = (req.method ?? "GET").toLowerCase();
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const request = { method, path: url.pathname, query: url.search.replace(/^\?/, ""), headers: req.headers as Record<string, string | string[]> };

  const match = matchOperation(specs, request);
  if ("refused" in match) return match;
  const { spec, operation } = match;
  const operationId = operation.operationId!;

  const body = readBody(operation, req.headers["content-type"], rawBody);
  if ("refused" in body) return { refused: body.refused, status: REFUSAL_STATUS.invalid };

  const parsed = spec.api.router.parseRequest({ ...request, body: body.value }, operation);
  const validation = spec.api.validator.validateRequest({ ...request, body: body.value }, operation);
  if (!validation.valid) return { refused: `${operationId}: ${describeErrors(validation.errors ?? [])}`, status: REFUSAL_STATUS.invalid };

  const auth = authenticate(spec.document, operation, req.headers.authorization, credentials);
  if ("refused" in auth) return { refused: `${operationId}: ${auth.refused}`, status: REFUSAL_STATUS.unauthenticated };

  const answered = (status: number, query: Record<string, unknown>): AnsweredRequest => ({ operationId, method: method.toUpperCase(), path: url.pathname, query, status });
  const coerced = (validation.coerced ?? {}) as { query?: Record<string, unknown>; params?: Record<string, string> };
  const query = coerced.query ?? (parsed.query as Record<string, unknown>);
  if (auth.rejected) {
    // In the allowed scheme, with credentials that are not the seeded ones: the server's own 401,
    // in the shape the spec declares for it (an object in the public API, a string in the admin API).
    const bodies = [{ message: "Invalid credentials" }, "Invalid credentials"];
    const body = bodies.find((b) => checkAnswer(spec, operation, 401, b) === undefined);
    if (body === undefined) return { refused: checkAnswer(spec, operation, 401, bodies[0])!, status: REFUSAL_STATUS.badAnswer };
    return { answered: answered(401, query), body };
  }

  const handler = handlers.get(operationId);
  if (!handler) return { refused: `${operationId} is allowed by the spec, but the test seeded no answer for it`, status: REFUSAL_STATUS.unseeded };
  const response = await handler({
    operationId,
    method: method.toUpperCase(),
    path: url.pathname,
    params: coerced.params ?? (parsed.params as Record<string, string>),
    query,
    headers: req.headers,
    body: body.value,
    auth: auth.as,
  });
  const problem = checkAnswer(spec, operation, response.status, response.body);
  if (problem) return { refused: problem, status: REFUSAL_STATUS.badAnswer };
  return { answered: answered(response.status, query), body: response.body };
}

function matchOperation(specs: LoadedSpec[], request: { method: string; path: string; headers: Record<string, string | string[]> }): { spec: LoadedSpec; operation: Operation } | { refused: string; status: number } {
  let pathKnown = false;
  for (const spec of specs) {
    try {
      const operation = spec.api.router.matchOperation(request, true);
      if (operation) return { spec, operation: operation as Operation };
    } catch (e) {
      // The router says which: no path, or the path without this method.
      if (e instanceof Error && e.message.startsWith("405")) pathKnown = true;
    }
  }
  const what = `${request.method.toUpperCase()} ${request.path}`;
  return pathKnown
    ? { refused: `${what}: the spec has this path, not this method`, status: REFUSAL_STATUS.methodNotAllowed }
    : { refused: `${what}: no such path in the spec`, status: REFUSAL_STATUS.notFound };
}

function readBody(operation: Operation, contentType: string | undefined, raw: Buffer): { value: unknown } | { refused: string } {
  const requestBody = operation.requestBody as { required?: boolean; content?: Record<string, unknown> } | undefined;
  if (raw.length === 0) {
    return requestBody?.required ? { refused: `${operation.operationId}: the spec requires a body` } : { value: undefined };
  }
  if (!requestBody?.content) return { refused: `${operation.operationId}: a body, where the spec declares none` };
  const mediaType = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (!Object.keys(requestBody.content).some((declared) => declared.toLowerCase() === mediaType)) {
    return { refused: `${operation.operationId}: a body of type "${mediaType || "(none)"}", where the spec takes ${Object.keys(requestBody.content).join(", ")}` };
  }
  if (!/^application\/(.+\+)?json$/.test(mediaType)) return { value: raw };
  try {
    return { value: JSON.parse(raw.toString("utf8")) };
  } catch {
    return { refused: `${operation.operationId}: a body that is not JSON` };
  }
}

type AuthOutcome = { refused: string } | { rejected: boolean; as?: SpecRequest["auth"] };

/**
 * Holds the Authorization header to the operation's security requirements (its own, else the
 * document's): at least one requirement must be met in form. Requirements of several schemes at
 * once, and schemes other than HTTP basic and bearer, are not used by the specs served here and
 * are refused as unsupported rather than passed.
 */
function authenticate(
  document: OpenApiDocument,
  operation: Operation,
  header: string | undefined,
  credentials: NonNullable<SpecServerOptions["credentials"]>,
): AuthOutcome {
  const requirements = (operation.security ?? document.security ?? []) as Array<Record<string, string[]>>;
  if (requirements.length === 0 || requirements.some((r) => Object.keys(r).length === 0)) return { rejected: false };
  const schemes = requirements.map((r) => {
    const names = Object.keys(r);
    if (names.length !== 1) throw new Error(`${operation.operationId}: security requirement with ${names.length} schemes at once is not supported`);
    const scheme = document.components?.securitySchemes?.[names[0]!];
    if (scheme?.type !== "http" || !["basic", "bearer"].includes((scheme.scheme ?? "").toLowerCase())) {
      throw new Error(`${operation.operationId}: security scheme "${names[0]}" is not HTTP basic or bearer`);
    }
    return (scheme.scheme ?? "").toLowerCase() as "basic" | "bearer";
  });
  const allowed = schemes.map((s) => (s === "basic" ? "Basic" : "Bearer")).join(" or ");
  const [given, value = ""] = (header ?? "").trim().split(/\s+/, 2);
  const scheme = given?.toLowerCase();
  if (!header) return { refused: `no Authorization header, where the spec requires ${allowed}` };
  if (scheme === "basic" && schemes.includes("basic")) {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0 || Buffer.from(decoded, "utf8").toString("base64") !== value) return { refused: "Basic credentials that are not base64 of user:password" };
    const username = decoded.slice(0, colon);
    const expected = credentials.basic;
    if (!expected) throw new Error(`${operation.operationId} takes Basic credentials, but the test seeded none`);
    const ok = username === expected.username && decoded.slice(colon + 1) === expected.password;
    return { rejected: !ok, as: ok ? { scheme: "basic", username } : undefined };
  }
  if (scheme === "bearer" && schemes.includes("bearer")) {
    if (!value) return { refused: "Bearer without a token" };
    if (credentials.bearer === undefined) throw new Error(`${operation.operationId} takes a Bearer token, but the test seeded none`);
    const ok = value === credentials.bearer;
    return { rejected: !ok, as: ok ? { scheme: "bearer" } : undefined };
  }
  return { refused: `Authorization in the ${given} scheme, where the spec requires ${allowed}` };
}

/** Says what is wrong with an answer the spec does not declare; undefined when it fits. */
function checkAnswer(spec: LoadedSpec, operation: Operation, status: number, body: unknown): string | undefined {
  const declared = Object.keys(operation.responses ?? {});
  const family = `${String(status)[0]}XX`;
  if (!declared.some((d) => d === String(status) || d.toUpperCase() === family || d === "default")) {
    return `answer of ${operation.operationId}: status ${status}, which the spec does not declare (${declared.join(", ")})`;
  }
  const result = spec.api.validator.validateResponse(body, operation, status);
  if (!result.valid) return `answer of ${operation.operationId} (${status}) does not fit the spec: ${describeErrors(result.errors ?? [])}`;
  return undefined;
}

function describeErrors(errors: Array<{ instancePath: string; message?: string; params?: Record<string, unknown> }>): string {
  return errors
    .slice(0, 5)
    .map((e) => {
      const extra = e.params?.additionalProperty ?? e.params?.missingProperty ?? e.params?.allowedValues;
      return `${e.instancePath || "/"} ${e.message ?? "is invalid"}${extra !== undefined ? ` (${JSON.stringify(extra)})` : ""}`;
    })
    .join("; ");
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
