/**
 * A small client of Langfuse's HTTP API for the program's own calls (provisioning, model prices):
 * authentication per credential, bounded retries with backoff while Langfuse is not reachable yet,
 * and errors that say what was refused and what to do, never a key.
 *
 * SELF-CONTAINED: the dynamic providers (providers.ts) are serialized by Pulumi's closure
 * serialization into each resource's state and run in another process. Whatever this file uses is
 * captured by value, so it uses only JavaScript's and Node's globals (fetch, AbortSignal, Buffer,
 * setTimeout), imports nothing at run time and keeps no module state.
 */

/** How long to keep trying while Langfuse is not reachable or not ready. */
export interface RetryPolicy {
  /** Tries per request, the first included. */
  attempts: number;
  /** The wait before the second try; it doubles with each further try, up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** How long one try may take before it counts as failed. */
  timeoutMs: number;
}

/** Who a request authenticates as: each is refused for its own reasons, and said so. */
export type Credential =
  | { kind: "admin"; adminApiKey: string }
  | { kind: "organization"; publicKey: string; secretKey: string }
  | { kind: "project"; project: string; publicKey: string; secretKey: string };

export type Method = "GET" | "POST" | "PUT" | "DELETE";

export interface LangfuseRequest {
  method: Method;
  /** Below the base URL, e.g. `/api/public/projects`. */
  path: string;
  query?: Record<string, string | number>;
  body?: unknown;
  credential: Credential;
  /** What the request is for, in messages: `creating the Langfuse project "team-a"`. */
  purpose: string;
  /** Statuses handed back to the caller instead of raised (404 where "gone" is an answer). */
  accept?: number[];
}

export interface LangfuseResponse {
  status: number;
  body: unknown;
}

export interface LangfuseClientOptions {
  /** Where Langfuse answers from here: scheme, host, port, optional path; no trailing slash. */
  baseUrl: string;
  retry: RetryPolicy;
  /** Waits between tries; tests pass their own so that no test sleeps. */
  sleep?: (ms: number) => Promise<void>;
}

export interface LangfuseClient {
  /** Resolves with a 2xx answer (or an accepted status); rejects with an Error whose message says what to do. */
  request(request: LangfuseRequest): Promise<LangfuseResponse>;
}

/**
 * Failures that prove the request never reached Langfuse: safe to repeat for any method. (A reset
 * connection or a timeout may have reached it: only repeated where repeating changes nothing.)
 */
const NOT_REACHED = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"];
/** Statuses that say Langfuse (or the ingress before it) is not ready: 503 and 429 turn a request away unprocessed. */
const TURNED_AWAY = [429, 503];
const MAYBE_PROCESSED = [500, 502, 504];
const IDEMPOTENT: Method[] = ["GET", "PUT", "DELETE"];

export function langfuseClient(options: LangfuseClientOptions): LangfuseClient {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const retry = options.retry;

  return {
    async request(request) {
      const query = Object.entries(request.query ?? {})
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
        .join("&");
      const url = `${options.baseUrl}${request.path}${query ? `?${query}` : ""}`;
      const what = `${request.method} ${request.path}`;
      const repeatable = IDEMPOTENT.includes(request.method);
      const headers: Record<string, string> = { accept: "application/json", authorization: authorization(request.credential) };
      if (request.body !== undefined) headers["content-type"] = "application/json";
      const started = Date.now();
      let delay = retry.initialDelayMs;
      let last = "";
      for (let attempt = 1; attempt <= retry.attempts; attempt++) {
        if (attempt > 1) {
          await sleep(delay);
          delay = Math.min(delay * 2, retry.maxDelayMs);
        }
        let response: Response;
        try {
          response = await fetch(url, {
            method: request.method,
            headers,
            body: request.body === undefined ? undefined : JSON.stringify(request.body),
            signal: AbortSignal.timeout(retry.timeoutMs),
          });
        } catch (e) {
          const code = failureCode(e);
          last = code === "TIMEOUT" ? `no answer within ${retry.timeoutMs} ms` : `the connection failed (${code})`;
          if (NOT_REACHED.includes(code) || repeatable) continue;
          throw new Error(uncertain(options.baseUrl, what, request, last));
        }
        const body = await readBody(response);
        if ((response.status >= 200 && response.status < 300) || request.accept?.includes(response.status)) {
          return { status: response.status, body };
        }
        if (TURNED_AWAY.includes(response.status) || MAYBE_PROCESSED.includes(response.status)) {
          last = `it answered ${response.status}${serverMessage(body)}`;
          if (TURNED_AWAY.includes(response.status) || repeatable) continue;
          throw new Error(uncertain(options.baseUrl, what, request, last));
        }
        throw new Error(refusal(options.baseUrl, what, request, response.status, body));
      }
      const seconds = Math.round((Date.now() - started) / 1000);
      throw new Error(
        `Langfuse at ${options.baseUrl} did not answer ${what} while ${request.purpose} after ${retry.attempts} tries over ${seconds} s: ` +
          `${last}. These calls run where \`pulumi up\` runs: check that this URL reaches Langfuse's web service from here ` +
          "(ambient-langfuse:langfuseApiUrl replaces the external URL, e.g. with `kubectl port-forward`), then run `pulumi up` again",
      );
    },
  };
}

function authorization(credential: Credential): string {
  if (credential.kind === "admin") return `Bearer ${credential.adminApiKey}`;
  return `Basic ${Buffer.from(`${credential.publicKey}:${credential.secretKey}`).toString("base64")}`;
}

/** The system error code behind a failed fetch (undici puts it on the cause), or TIMEOUT. */
function failureCode(e: unknown): string {
  const error = e as { name?: string; code?: string; cause?: { code?: string; name?: string } } | undefined;
  if (error?.name === "TimeoutError" || error?.name === "AbortError" || error?.cause?.name === "ConnectTimeoutError") return "TIMEOUT";
  return error?.cause?.code ?? error?.code ?? "unknown error";
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * What the server said, quoted briefly. Its specs declare the admin API's error bodies as strings,
 * while the server sends `{error}` or `{message}`: each is read. Langfuse's messages hold no key.
 */
function serverMessage(body: unknown): string {
  const text =
    typeof body === "string" ? body : typeof body === "object" && body !== null ? ((body as Record<string, unknown>).message ?? (body as Record<string, unknown>).error) : undefined;
  if (typeof text !== "string" || text.trim() === "" || /<html/i.test(text)) return "";
  const line = text.replace(/\s+/g, " ").trim();
  return `: "${line.length > 200 ? `${line.slice(0, 200)}…` : line}"`;
}

/** A creation that failed after it was sent: Langfuse may have made it, so it is not sent again. */
function uncertain(baseUrl: string, what: string, request: LangfuseRequest, failure: string): string {
  return (
    `Langfuse at ${baseUrl}: ${what} while ${request.purpose}: ${failure} after the request was sent, so Langfuse may have acted on it; ` +
    "it is not repeated (it creates something): run `pulumi refresh`, then `pulumi up` again"
  );
}

/** A refused request, said per credential: a 401 or 403 is about the licence or the key. */
function refusal(baseUrl: string, what: string, request: LangfuseRequest, status: number, body: unknown): string {
  const head = `Langfuse at ${baseUrl} refused ${what} while ${request.purpose} (${status}${serverMessage(body)})`;
  const credential = request.credential;
  if (status === 401 && credential.kind === "admin") {
    return (
      `${head}: the admin API key is not the one Langfuse runs with. Its web pods read ADMIN_API_KEY from Secret ` +
      "langfuse-enterprise when they start: restart them (kubectl -n <namespace> rollout restart deployment langfuse-web) and run `pulumi up` again"
    );
  }
  if (status === 403 && credential.kind === "admin") {
    return (
      `${head}: Langfuse's admin API needs an Enterprise licence and ADMIN_API_KEY on its web pods. Check ambient-langfuse:licenseKey ` +
      "(an Enterprise key, langfuse_ee_…, still valid); the web pods read both when they start, so restart them if the licence was set later"
    );
  }
  if ((status === 401 || status === 403) && credential.kind === "organization") {
    return status === 401
      ? `${head}: the organisation API key this stack created is not one Langfuse knows any more (deleted in Langfuse?): ` +
          "run `pulumi refresh` so that the stack sees it gone, then `pulumi up` creates a new one"
      : `${head}: creating projects and keys with an organisation key needs the Enterprise licence's admin API; check ` +
          "ambient-langfuse:licenseKey (an Enterprise key, langfuse_ee_…) and restart Langfuse's web pods if it was set after they started";
  }
  if ((status === 401 || status === 403) && credential.kind === "project") {
    return (
      `${head}: Langfuse does not take the key pair of project "${credential.project}" for this (deleted in Langfuse, or an own pair ` +
      "mistyped): give the project a valid pair (its own in the stack's settings, or a provisioned one after `pulumi refresh`) and run `pulumi up` again"
    );
  }
  return `${head}.`;
}
