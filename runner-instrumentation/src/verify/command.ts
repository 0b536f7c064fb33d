import { parseArgs } from "node:util";
import { readConfig } from "../config";
import { displayUrl } from "../displayUrl";
import { compareSessions, renderComparison, type SessionObservation } from "./compare";
import { expectedSession } from "./expectedSession";
import {
  apiGenerationOf,
  langfuseClient,
  LangfuseRequestError,
  listSessionObservations,
  serverVersion,
  type ApiGeneration,
  type Detail,
  type LangfuseClient,
} from "./langfuseReader";
import { DEFAULT_TIMEOUT_SECONDS, VERIFY_USAGE } from "./usage";

/** Between two listings while waiting: short at first, then no more than every 5 s. */
const FIRST_POLL_MS = 1_000;
const MAX_POLL_MS = 5_000;
/** The one listing with every field, once the observations are there. */
const FETCH_DEADLINE_MS = 60_000;

export interface VerifyIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

export const VERIFY_EXIT = { match: 0, difference: 1, usage: 2, notArrived: 3 } as const;

interface VerifyArguments {
  capture: string;
  session?: string;
  timeoutMs: number;
}

/** `verify`'s arguments, read as `node:util` parses options: `--` ends them. */
export function verifyArguments(args: string[]): VerifyArguments | { problem: string } {
  const { tokens } = parseArgs({
    args,
    options: { session: { type: "string" }, timeout: { type: "string" } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const files: string[] = [];
  let session: string | undefined;
  let timeout: string | undefined;
  for (const token of tokens) {
    if (token.kind === "positional") files.push(token.value);
    else if (token.kind === "option" && (token.name === "session" || token.name === "timeout")) {
      if (token.value === undefined || token.value === "") return { problem: `--${token.name} needs a value` };
      if ((token.name === "session" ? session : timeout) !== undefined) return { problem: `--${token.name} is given twice` };
      if (token.name === "session") session = token.value;
      else timeout = token.value;
    } else if (token.kind === "option") return { problem: `unknown option ${token.rawName}` };
  }
  if (files.length !== 1) return { problem: files.length === 0 ? "verify needs the capture of the session" : "verify takes one capture" };
  const seconds = timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(timeout);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) return { problem: `--timeout is "${timeout}": give the seconds to wait, a number above 0 and at most 86400` };
  return { capture: files[0]!, session, timeoutMs: Math.round(seconds * 1000) };
}

/** Runs `claude-langfuse verify`; resolves to the exit code. */
export async function verifyCommand(args: string[], io: VerifyIo): Promise<number> {
  const say = (m: string) => io.stderr(`claude-langfuse: verify: ${m}\n`);
  const parsed = verifyArguments(args);
  if ("problem" in parsed) {
    io.stderr(`claude-langfuse: ${parsed.problem}.\n\n${VERIFY_USAGE}`);
    return VERIFY_EXIT.usage;
  }
  const config = readConfig(io.env);
  for (const w of config.warnings) say(`langfuse: ${w}`);
  const missing = [!config.publicKey && "LANGFUSE_PUBLIC_KEY", !config.secretKey && "LANGFUSE_SECRET_KEY", !config.baseUrl && "LANGFUSE_BASE_URL (or LANGFUSE_HOST)"].filter(
    (m): m is string => typeof m === "string",
  );
  if (missing.length > 0) {
    say(`${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set: verify reads the session from Langfuse with the project's key pair, as the session was sent.`);
    return VERIFY_EXIT.usage;
  }
  if (!/^https?:\/\//.test(config.baseUrl!) || displayUrl(config.baseUrl) === "(not a valid URL)") {
    say(`${io.env.LANGFUSE_BASE_URL !== undefined ? "LANGFUSE_BASE_URL" : "LANGFUSE_HOST"} is not an http(s) URL.`);
    return VERIFY_EXIT.usage;
  }

  const expected = await expectedSession(parsed.capture, config);
  if (expected.messages === 0) {
    for (const p of expected.problems) say(p);
    say(`${parsed.capture}: nothing to compare.`);
    return VERIFY_EXIT.usage;
  }
  if (expected.problems.length > 0) {
    // Said once, whatever their number; they change no exit code: replay skips the same lines.
    say(`left out of the comparison, as replay leaves them out: ${expected.problems.join("; ")}`);
  }
  const session = chooseSession(parsed.session, expected.sessionIds);
  if ("problem" in session) {
    say(session.problem);
    return VERIFY_EXIT.usage;
  }
  const wanted = expected.observations.filter((o) => session.all || o.sessionId === session.id);

  const url = displayUrl(config.baseUrl);
  const deadline = Date.now() + parsed.timeoutMs;
  let bound = () => AbortSignal.timeout(Math.max(1_000, deadline - Date.now()));
  const client: LangfuseClient = langfuseClient(config.baseUrl!, config.publicKey!, config.secretKey!, () => bound());
  const refused = (e: LangfuseRequestError) =>
    say(
      `Langfuse at ${url} refused the key pair (HTTP ${e.status}): LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY must be a key pair of the project the session was sent to (in its settings, API keys).`,
    );

  let version: string | undefined;
  let generation: ApiGeneration | undefined;
  let found: SessionObservation[] | undefined;
  let lastProblem: string | undefined;
  let pause = FIRST_POLL_MS;
  for (;;) {
    try {
      if (version === undefined) {
        version = (await serverVersion(client)) ?? "";
        generation = apiGenerationOf(version);
      }
      found = await listing(client, generation, session.id, "count", (g) => (generation = g));
      lastProblem = undefined;
      if (found.length >= wanted.length) break;
    } catch (e) {
      if (!(e instanceof LangfuseRequestError)) throw e;
      if (e.status === 401 || e.status === 403) {
        refused(e);
        return VERIFY_EXIT.usage;
      }
      if (!e.retry) {
        say(`Langfuse at ${url} cannot be read: ${e.message}.`);
        return VERIFY_EXIT.usage;
      }
      lastProblem = e.message;
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    pause = Math.min(MAX_POLL_MS, pause * 1.5);
  }

  const seconds = `${(parsed.timeoutMs / 1000).toLocaleString("en-US")} s`;
  if (found === undefined || generation === undefined) {
    say(`the session's traces did not arrive within ${seconds}: Langfuse at ${url} could not be read (${lastProblem ?? "no answer"}).`);
    return VERIFY_EXIT.notArrived;
  }
  const arrived = found.length >= wanted.length;
  // Once there (or once waiting is over), every observation is fetched once, with its fields.
  bound = () => AbortSignal.timeout(FETCH_DEADLINE_MS);
  try {
    found = await listing(client, generation, session.id, "full", () => undefined);
  } catch (e) {
    if (!(e instanceof LangfuseRequestError)) throw e;
    if (e.status === 401 || e.status === 403) {
      refused(e);
      return VERIFY_EXIT.usage;
    }
    say(`Langfuse at ${url} cannot be read: ${e.message}.`);
    return arrived ? VERIFY_EXIT.usage : VERIFY_EXIT.notArrived;
  }
  const comparison = compareSessions(wanted, found);
  io.stdout(`session ${session.id} at ${url} (Langfuse ${version || "of unknown version"}, ${generation === "v4" ? "v4 API" : "v3 API"})\n\n`);
  io.stdout(renderComparison(comparison));
  if (!arrived && found.length < wanted.length) {
    io.stdout(`\nnot arrived: ${found.length} of ${wanted.length} observations within ${seconds}\n`);
    say(`the session's traces did not arrive within ${seconds}: Langfuse holds ${found.length} of the ${wanted.length} observations of the capture.`);
    return VERIFY_EXIT.notArrived;
  }
  const n = comparison.differences;
  io.stdout(n === 0 ? "\nmatch\n" : `\n${n} ${n === 1 ? "difference" : "differences"}\n`);
  return n === 0 ? VERIFY_EXIT.match : VERIFY_EXIT.difference;
}

/**
 * Lists the session the way the server's version reads it; a server whose health answer does not
 * say its version is asked the v4 way first, and the v3 way when that list does not exist there.
 */
async function listing(
  client: LangfuseClient,
  generation: ApiGeneration | undefined,
  sessionId: string,
  detail: Detail,
  learned: (g: ApiGeneration) => void,
): Promise<SessionObservation[]> {
  if (generation) return listSessionObservations(client, generation, sessionId, detail);
  try {
    const found = await listSessionObservations(client, "v4", sessionId, detail);
    learned("v4");
    return found;
  } catch (e) {
    if (!(e instanceof LangfuseRequestError) || (e.status !== 404 && e.status !== 400)) throw e;
    learned("v3");
    return listSessionObservations(client, "v3", sessionId, detail);
  }
}

/**
 * The Langfuse session to read: `--session`, else the dry run's only one. With `--session`, the
 * capture's observations of that session are compared when the dry run has it, else all of them
 * (the session was named otherwise when it was sent, e.g. by AGENTIC_SESSION_NAME).
 */
function chooseSession(given: string | undefined, inCapture: string[]): { id: string; all: boolean } | { problem: string } {
  if (given !== undefined) return { id: given, all: !inCapture.includes(given) || inCapture.length === 1 };
  if (inCapture.length === 1) return { id: inCapture[0]!, all: true };
  if (inCapture.length === 0) return { problem: "the capture names no session: give the Langfuse session with --session <id>." };
  return { problem: `the capture holds ${inCapture.length} sessions (${inCapture.join(", ")}): name the one to check with --session <id>.` };
}
