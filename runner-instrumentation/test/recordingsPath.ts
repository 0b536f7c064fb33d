import * as fs from "node:fs";
import * as path from "node:path";

/** The shared folder of real Claude Code recordings, beside the repository (never copied into it). */
export const RECORDINGS = path.resolve(__dirname, "../../../shared/reference/claude-sessions");

if (!fs.existsSync(RECORDINGS)) {
  throw new Error(`The recorded sessions are not at ${RECORDINGS}: these tests read ../shared/reference/claude-sessions beside the repository.`);
}

export const recording = (relative: string): string => path.join(RECORDINGS, relative);

/** Every .jsonl file under the recordings folder, as paths relative to it. */
export function allRecordings(): string[] {
  const found: string[] = [];
  for (const sub of fs.readdirSync(RECORDINGS, { withFileTypes: true })) {
    if (!sub.isDirectory()) continue;
    for (const f of fs.readdirSync(path.join(RECORDINGS, sub.name))) {
      if (f.endsWith(".jsonl")) found.push(`${sub.name}/${f}`);
    }
  }
  return found.sort();
}
