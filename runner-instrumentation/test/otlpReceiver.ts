import * as http from "node:http";
import type { AddressInfo } from "node:net";

/** One span as the receiver decoded it from an OTLP/HTTP JSON body. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  scope: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, unknown>;
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** The request's body as it arrived (to search for what must never leave the wrapper). */
  body: string;
  spans: ReceivedSpan[];
}

interface OtlpValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
}

function decodeValue(v: OtlpValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(decodeValue);
  return undefined;
}

export function decodeBody(body: string): ReceivedSpan[] {
  const doc = JSON.parse(body) as {
    resourceSpans?: Array<{ scopeSpans?: Array<{ scope?: { name?: string }; spans?: Array<Record<string, unknown>> }> }>;
  };
  const spans: ReceivedSpan[] = [];
  for (const rs of doc.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const attributes: Record<string, unknown> = {};
        for (const a of (s.attributes as Array<{ key: string; value: OtlpValue }>) ?? []) attributes[a.key] = decodeValue(a.value);
        spans.push({
          traceId: s.traceId as string,
          spanId: s.spanId as string,
          parentSpanId: (s.parentSpanId as string | undefined) || undefined,
          name: s.name as string,
          scope: ss.scope?.name ?? "",
          startTimeUnixNano: String(s.startTimeUnixNano),
          endTimeUnixNano: String(s.endTimeUnixNano),
          attributes,
        });
      }
    }
  }
  return spans;
}

export type ReceiverMode = "ok" | "hang" | { status: number } | { delayMs: number };

/**
 * A Langfuse stand-in on 127.0.0.1: accepts OTLP/HTTP exports the way the Langfuse server does
 * and keeps what arrived, decoded. Only JSON bodies are decoded (what the SDK's exporter sends);
 * anything else fails the test that reads it.
 */
export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  private server?: http.Server;
  /**
   * `hang`: accept requests and never answer (Langfuse stalled); `{ status }`: answer every
   * request with that status (401 bad keys, 500 broken server); `{ delayMs }`: answer 200 late.
   */
  constructor(private readonly mode: ReceiverMode = "ok") {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const contentType = String(req.headers["content-type"] ?? "");
        this.requests.push({
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          body,
          spans: contentType.startsWith("application/json") ? decodeBody(body) : [],
        });
        const mode = this.mode;
        if (mode === "hang") return;
        if (typeof mode === "object" && "status" in mode) {
          res.writeHead(mode.status, { "content-type": "application/json" });
          res.end(JSON.stringify({ message: mode.status === 401 ? "Invalid credentials" : "Internal Server Error" }));
          return;
        }
        const answer = () => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end("{}");
        };
        if (typeof mode === "object") setTimeout(answer, mode.delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  spans(): ReceivedSpan[] {
    return this.requests.flatMap((r) => r.spans);
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

/** A loopback port with nothing listening on it (Langfuse refusing connections). */
export async function closedPort(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
