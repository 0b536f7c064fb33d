import type { LangfuseSpecVersion, OperationHandler, SpecRequest } from "@ambient-code/spec-server";
import type { DryRunDocument } from "../src/dryRunExporter";
import { decodeBody } from "./otlpReceiver";

/**
 * What a Langfuse server holds of sessions, seeded by a test, and the answers of the public API's
 * reading endpoints over it, as the spec-checking server's operation handlers. Shaped as the
 * server stores what it ingests (FACTS.md: types upper case, usage as sent plus `total`,
 * metadata values as strings) and answered in each version's own way: v4 lists observations by
 * session through `/api/public/v2/observations` and answers the v1 lists 404 (it writes only
 * events); v3 lists traces by session and each trace's observations.
 */
export interface StoredObservation {
  id: string;
  traceId: string;
  sessionId?: string;
  parentObservationId: string | null;
  /** Upper case, as Langfuse answers: AGENT, GENERATION, TOOL, EVENT, SPAN. */
  type: string;
  name: string | null;
  startTime: string;
  endTime: string | null;
  model: string | null;
  usageDetails: Record<string, number>;
  metadata: Record<string, string>;
}

export interface StoredTrace {
  id: string;
  name: string | null;
  sessionId: string | null;
  userId: string | null;
  tags: string[];
  timestamp: string;
}

const PROJECT_ID = "ambient-code-platform";

export class LangfuseSessionStore {
  readonly observations: StoredObservation[] = [];
  readonly traces = new Map<string, StoredTrace>();

  constructor(readonly version: LangfuseSpecVersion) {}

  /** Adds observations as Langfuse would hold them after ingesting them: `total` added, metadata as strings. */
  add(...observations: StoredObservation[]): void {
    for (const o of observations) {
      this.observations.push(o);
      if (!this.traces.has(o.traceId)) {
        this.traces.set(o.traceId, { id: o.traceId, name: "claude-code", sessionId: o.sessionId ?? null, userId: null, tags: [], timestamp: o.startTime });
      }
    }
  }

  /** Holds a dry run's traces as if they had been sent to this server under `sessionId`. */
  addDryRun(document: DryRunDocument, sessionId: string): void {
    for (const trace of document.traces) {
      this.add(
        ...trace.observations.map((o) => ({
          id: o.id,
          traceId: trace.id,
          sessionId,
          parentObservationId: o.parentId ?? null,
          type: o.type.toUpperCase(),
          name: o.name,
          startTime: o.startTime,
          endTime: o.endTime,
          model: o.model ?? null,
          usageDetails: withTotal(o.usageDetails && { ...o.usageDetails }),
          metadata: stringValues(o.metadata),
        })),
      );
    }
  }

  /** The operations this store answers, by operationId, for `startLangfuseSpecServer`. */
  handlers(): Record<string, OperationHandler> {
    const handlers: Record<string, OperationHandler> = {
      health_health: () => ({ status: 200, body: { status: "OK", version: this.version } }),
      opentelemetry_exportTraces: (request) => {
        this.ingestOtlp(request.body);
        return { status: 200, body: {} };
      },
    };
    if (this.version.startsWith("4.")) {
      handlers.observations_getMany = (request) => this.observationsV2(request);
      const gone = () => ({ status: 404, body: { message: "This endpoint is not available once Langfuse v4 writes only events; use /api/public/v2/observations" } });
      handlers.trace_list = gone;
      handlers.legacy_observationsV1_getMany = gone;
    } else {
      handlers.trace_list = (request) => this.traceList(request);
      handlers.legacy_observationsV1_getMany = (request) => this.observationsV1(request);
    }
    return handlers;
  }

  private observationsV2(request: SpecRequest) {
    const { sessionId, fields, limit, cursor } = request.query as { sessionId?: string; fields?: string; limit?: number; cursor?: string };
    const groups = new Set(["core", ...(fields ?? "core,basic").split(",").map((g) => g.trim())]);
    const matching = this.observations.filter((o) => sessionId === undefined || o.sessionId === sessionId);
    const offset = cursor ? Number(Buffer.from(cursor, "base64").toString("utf8")) : 0;
    const size = Math.min(limit ?? 50, 1000);
    const page = matching.slice(offset, offset + size);
    const data = page.map((o) => ({
      id: o.id,
      traceId: o.traceId,
      startTime: o.startTime,
      endTime: o.endTime,
      projectId: PROJECT_ID,
      parentObservationId: o.parentObservationId,
      type: o.type,
      ...(groups.has("basic") ? { name: o.name, level: "DEFAULT", statusMessage: null, version: null, environment: "default", userId: null, sessionId: o.sessionId ?? null } : {}),
      ...(groups.has("model") ? { providedModelName: o.model, internalModelId: null, modelParameters: null } : {}),
      ...(groups.has("usage") ? { usageDetails: o.usageDetails, costDetails: {}, totalCost: null } : {}),
      ...(groups.has("metadata") ? { metadata: o.metadata } : {}),
      modelId: null,
      inputPrice: null,
      outputPrice: null,
      totalPrice: null,
    }));
    const next = offset + size < matching.length ? Buffer.from(String(offset + size)).toString("base64") : null;
    return { status: 200, body: { data, meta: { cursor: next } } };
  }

  private traceList(request: SpecRequest) {
    const { sessionId, page = 1, limit = 50, fields } = request.query as { sessionId?: string; page?: number; limit?: number; fields?: string };
    const withObservations = fields === undefined || fields.split(",").includes("observations");
    const matching = [...this.traces.values()].filter((t) => sessionId === undefined || t.sessionId === sessionId);
    const data = matching.slice((page - 1) * limit, page * limit).map((t) => ({
      id: t.id,
      timestamp: t.timestamp,
      name: t.name,
      input: null,
      output: null,
      sessionId: t.sessionId,
      release: null,
      version: null,
      userId: t.userId,
      metadata: {},
      tags: t.tags,
      public: false,
      environment: "default",
      htmlPath: `/project/${PROJECT_ID}/traces/${t.id}`,
      latency: null,
      totalCost: null,
      observations: withObservations ? this.observations.filter((o) => o.traceId === t.id).map((o) => o.id) : [],
      scores: [],
    }));
    return { status: 200, body: { data, meta: { page, limit, totalItems: matching.length, totalPages: Math.ceil(matching.length / limit) } } };
  }

  private observationsV1(request: SpecRequest) {
    const { traceId, page = 1, limit = 50 } = request.query as { traceId?: string; page?: number; limit?: number };
    const matching = this.observations.filter((o) => traceId === undefined || o.traceId === traceId);
    const data = matching.slice((page - 1) * limit, page * limit).map((o) => ({
      id: o.id,
      traceId: o.traceId,
      type: o.type,
      name: o.name,
      startTime: o.startTime,
      endTime: o.endTime,
      completionStartTime: null,
      model: o.model,
      modelParameters: null,
      input: null,
      version: null,
      metadata: o.metadata,
      output: null,
      usage: { input: o.usageDetails.input ?? 0, output: o.usageDetails.output ?? 0, total: o.usageDetails.total ?? 0, unit: "TOKENS" },
      level: "DEFAULT",
      statusMessage: null,
      parentObservationId: o.parentObservationId,
      promptId: null,
      usageDetails: o.usageDetails,
      costDetails: {},
      environment: "default",
      promptName: null,
      promptVersion: null,
      modelId: null,
      inputPrice: null,
      outputPrice: null,
      totalPrice: null,
      calculatedInputCost: null,
      calculatedOutputCost: null,
      calculatedTotalCost: null,
      latency: null,
      timeToFirstToken: null,
    }));
    return { status: 200, body: { data, meta: { page, limit, totalItems: matching.length, totalPages: Math.ceil(matching.length / limit) } } };
  }

  /**
   * Ingests an OTLP/HTTP JSON export the way Langfuse maps spans to observations, for what
   * `verify` reads: the observation type, name, model and usage details from the Langfuse span
   * attributes, the session from `session.id`, the parent from the span's parent.
   */
  private ingestOtlp(body: unknown): void {
    for (const span of decodeBody(JSON.stringify(body))) {
      const a = span.attributes;
      const usage = typeof a["langfuse.observation.usage_details"] === "string" ? (JSON.parse(a["langfuse.observation.usage_details"]) as Record<string, number>) : undefined;
      const metadata: Record<string, string> = {};
      for (const [key, value] of Object.entries(a)) {
        // Each metadata key arrives as its own attribute; Langfuse keeps the values as strings.
        if (key.startsWith("langfuse.observation.metadata.")) metadata[key.slice("langfuse.observation.metadata.".length)] = typeof value === "string" ? value : JSON.stringify(value);
      }
      this.add({
        id: span.spanId,
        traceId: span.traceId,
        sessionId: typeof a["session.id"] === "string" ? a["session.id"] : undefined,
        parentObservationId: span.parentSpanId ?? null,
        type: String(a["langfuse.observation.type"] ?? "span").toUpperCase(),
        name: span.name,
        startTime: nanosToIso(span.startTimeUnixNano),
        endTime: nanosToIso(span.endTimeUnixNano),
        model: typeof a["langfuse.observation.model.name"] === "string" ? a["langfuse.observation.model.name"] : null,
        usageDetails: withTotal(usage),
        metadata,
      });
    }
  }
}

/** Langfuse adds `total`, the sum of the other keys, to what it was sent. */
function withTotal(usage: Record<string, number> | undefined): Record<string, number> {
  if (!usage) return {};
  return { ...usage, total: Object.values(usage).reduce((sum, n) => sum + n, 0) };
}

function stringValues(metadata: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

function nanosToIso(nanos: string): string {
  return new Date(Number(BigInt(nanos) / 1_000_000n)).toISOString();
}
