import { USAGE_KEYS, type SessionObservation, type UsageKey } from "./compare";

/**
 * Reads a session's observations from Langfuse's public API. Two ways, by server version (both
 * read from Langfuse's OpenAPI specs, `../shared/reference/langfuse-{3.224.1,4.16.0}.public-api.openapi.yml`):
 *
 * - v4: `GET /api/public/v2/observations?sessionId=…`, pages chained by `meta.cursor` (at most
 *   1,000 per page). The v1 list endpoints answer 404 once v4 writes only events.
 * - v3: `GET /api/public/traces?sessionId=…` (pages numbered from 1, `meta.totalPages`), then
 *   each trace's `GET /api/public/observations?traceId=…`. 3.224.1's v2 list has no `sessionId`
 *   parameter.
 */

export type ApiGeneration = "v4" | "v3";

/** Why a request could not give an answer; `retry` when waiting may help (Langfuse starting, overloaded, unreachable). */
export class LangfuseRequestError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface LangfuseClient {
  baseUrl: string;
  /** The Basic credentials, already encoded; never printed. */
  authorization: string;
  /** Ends a request that takes longer (the caller's deadline). */
  signal?: () => AbortSignal | undefined;
}

export function langfuseClient(baseUrl: string, publicKey: string, secretKey: string, signal?: () => AbortSignal | undefined): LangfuseClient {
  return { baseUrl, authorization: `Basic ${Buffer.from(`${publicKey}:${secretKey}`).toString("base64")}`, signal };
}

/** One GET, answered as JSON. Errors name the path and the status or the network error's code, never a header. */
async function getJson(client: LangfuseClient, path: string, query: Record<string, string | number | undefined>, authenticated = true): Promise<unknown> {
  const url = new URL(`${client.baseUrl}${path}`);
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
  let response: Response;
  try {
    response = await fetch(url, { headers: authenticated ? { authorization: client.authorization, accept: "application/json" } : { accept: "application/json" }, signal: client.signal?.() });
  } catch (e) {
    throw new LangfuseRequestError(`GET ${path}: ${networkReason(e)}`, true);
  }
  if (!response.ok) {
    await response.body?.cancel();
    const retry = response.status === 429 || response.status >= 500;
    throw new LangfuseRequestError(`GET ${path}: Langfuse answered HTTP ${response.status}`, retry, response.status);
  }
  try {
    return await response.json();
  } catch {
    throw new LangfuseRequestError(`GET ${path}: the answer is not JSON`, false, response.status);
  }
}

function networkReason(e: unknown): string {
  const error = e as { name?: string; cause?: { code?: string } };
  if (error?.name === "TimeoutError" || error?.name === "AbortError") return "no answer in time";
  const code = error?.cause?.code;
  if (code === "ECONNREFUSED") return "the connection was refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "the host name does not resolve";
  return code ? `network error ${code}` : "network error";
}

/** The server's version from its health answer (no credentials needed), e.g. "4.16.0". */
export async function serverVersion(client: LangfuseClient): Promise<string | undefined> {
  const health = (await getJson(client, "/api/public/health", {}, false)) as { version?: unknown };
  return typeof health?.version === "string" ? health.version : undefined;
}

/** v4 from a 4.x (or later) version, v3 from 3.x; undefined when the version does not say. */
export function apiGenerationOf(version: string | undefined): ApiGeneration | undefined {
  const major = /^v?(\d+)\./.exec(version ?? "")?.[1];
  if (major === undefined) return undefined;
  return Number(major) >= 4 ? "v4" : "v3";
}

/** What a listing gives: every observation, or only how many there are (while waiting). */
export type Detail = "count" | "full";

/** A page limit that no well-behaved listing reaches; a server that keeps paging past it is stopped. */
const MAX_PAGES = 10_000;

export async function listSessionObservations(client: LangfuseClient, generation: ApiGeneration, sessionId: string, detail: Detail): Promise<SessionObservation[]> {
  return generation === "v4" ? listV4(client, sessionId, detail) : listV3(client, sessionId, detail);
}

interface V2Observation {
  id: string;
  traceId: string | null;
  type: string;
  name?: string | null;
  startTime: string;
  providedModelName?: string | null;
  usageDetails?: Record<string, number> | null;
  metadata?: unknown;
}

async function listV4(client: LangfuseClient, sessionId: string, detail: Detail): Promise<SessionObservation[]> {
  const out: SessionObservation[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = (await getJson(client, "/api/public/v2/observations", {
      sessionId,
      // `core` is always there (id, trace, type, times); names, models, usage and metadata only for the comparison.
      fields: detail === "count" ? "core" : "core,basic,model,usage,metadata",
      limit: 1000,
      cursor,
    })) as { data?: V2Observation[]; meta?: { cursor?: string | null } };
    for (const o of answer.data ?? []) {
      out.push({
        traceId: o.traceId ?? "",
        type: o.type.toLowerCase(),
        name: o.name ?? undefined,
        model: o.providedModelName ?? undefined,
        usage: usageOf(o.usageDetails),
        messageId: messageIdOf(o.metadata),
        startTime: o.startTime,
      });
    }
    const next = answer.meta?.cursor ?? undefined;
    if (!next || seen.has(next)) return out;
    seen.add(next);
    cursor = next;
  }
  return out;
}

interface V3Trace {
  id: string;
  observations?: string[] | null;
}

interface V1Observation {
  id: string;
  traceId: string | null;
  type: string;
  name: string | null;
  startTime: string;
  model: string | null;
  usageDetails?: Record<string, number>;
  metadata?: unknown;
}

const V3_PAGE = 100;

async function listV3(client: LangfuseClient, sessionId: string, detail: Detail): Promise<SessionObservation[]> {
  const traces: V3Trace[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const answer = (await getJson(client, "/api/public/traces", { sessionId, page, limit: V3_PAGE, fields: "core,observations" })) as {
      data?: V3Trace[];
      meta?: { totalPages?: number };
    };
    traces.push(...(answer.data ?? []));
    if (page >= (answer.meta?.totalPages ?? 0) || (answer.data ?? []).length === 0) break;
  }
  if (detail === "count") {
    // The trace list names each trace's observations: enough to count them while waiting.
    return traces.flatMap((t) => (t.observations ?? []).map(() => ({ traceId: t.id, type: "", startTime: "" })));
  }
  const out: SessionObservation[] = [];
  for (const trace of traces) {
    for (let page = 1; page <= MAX_PAGES; page++) {
      const answer = (await getJson(client, "/api/public/observations", { traceId: trace.id, page, limit: V3_PAGE })) as {
        data?: V1Observation[];
        meta?: { totalPages?: number };
      };
      for (const o of answer.data ?? []) {
        out.push({
          traceId: o.traceId ?? trace.id,
          type: o.type.toLowerCase(),
          name: o.name ?? undefined,
          model: o.model ?? undefined,
          usage: usageOf(o.usageDetails),
          messageId: messageIdOf(o.metadata),
          startTime: o.startTime,
        });
      }
      if (page >= (answer.meta?.totalPages ?? 0) || (answer.data ?? []).length === 0) break;
    }
  }
  return out;
}

/** The four keys the tracer sends; Langfuse's added `total` (and anything else) is left out. */
function usageOf(details: Record<string, number> | null | undefined): SessionObservation["usage"] {
  if (!details) return undefined;
  const usage: Partial<Record<UsageKey, number>> = {};
  for (const key of USAGE_KEYS) if (typeof details[key] === "number") usage[key] = details[key];
  return Object.keys(usage).length > 0 ? usage : undefined;
}

/** Langfuse may hand metadata back as an object or as its JSON text. */
function messageIdOf(metadata: unknown): string | undefined {
  let value = metadata;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const id = (value as { messageId?: unknown } | null)?.messageId;
  return typeof id === "string" ? id : undefined;
}
