/**
 * The Messages API stand-in in a process of its own, for benchmarks and for clients in other
 * languages: `tsx test/messagesApiServer.ts [script.json]`. Prints one line of JSON, `{"url": …}`,
 * once it listens on 127.0.0.1; `GET <url>/_standin/served` returns what it served,
 * `PUT <url>/_standin/script` replaces the script. It stops on SIGTERM or SIGINT, or when its
 * stdin closes (so it never outlives the process that started it).
 *
 * The script file holds `{ "steps": [ScriptStep…], "options": MessagesApiOptions }` or just the
 * array of steps; `usage` functions cannot be given this way (figures can, per step).
 */
import * as fs from "node:fs";
import { MessagesApiStandIn, type MessagesApiOptions, type ScriptStep } from "./messagesApi";

async function main(): Promise<void> {
  const file = process.argv[2];
  const parsed: unknown = file ? JSON.parse(fs.readFileSync(file, "utf8")) : [];
  const { steps, options } = Array.isArray(parsed)
    ? { steps: parsed as ScriptStep[], options: {} }
    : (parsed as { steps?: ScriptStep[]; options?: Omit<MessagesApiOptions, "usage"> });
  const api = new MessagesApiStandIn(steps ?? [], options ?? {});
  const url = await api.start(Number(process.env.STANDIN_PORT ?? 0));
  const stop = () => void api.stop().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`messagesApiServer: ${(e as Error).message}\n`);
  process.exit(1);
});
