import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

/** One JSON value of a line-oriented capture, with where and when it was read. */
export interface JsonRecord {
  value: unknown;
  lineNumber: number;
  readAt: Date;
}

/**
 * The JSON values on one line. Captures sometimes hold two objects with no newline between
 * them (a writer that lost a newline), so a line that does not parse whole is split at the
 * points where its top-level braces close. Text that still does not parse is reported.
 */
export function parseJsonLine(line: string): { values: unknown[]; errors: string[] } {
  const text = line.trim();
  if (text === "") return { values: [], errors: [] };
  try {
    return { values: [JSON.parse(text)], errors: [] };
  } catch {
    // fall through to the split
  }
  const values: unknown[] = [];
  const errors: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (depth === 0) start = i;
      depth++;
    } else if ((c === "}" || c === "]") && depth > 0) {
      depth--;
      if (depth === 0 && start >= 0) {
        const piece = text.slice(start, i + 1);
        try {
          values.push(JSON.parse(piece));
        } catch (e) {
          errors.push(`${(e as Error).message} in ${piece.length} characters`);
        }
        start = -1;
      }
    }
  }
  if (depth !== 0 || inString) errors.push("a JSON value is cut off at the end of the line");
  return { values, errors };
}

/** Reads a file line by line, stamping each value with the time its line was read. */
export async function readJsonLines(file: string, onError: (message: string) => void): Promise<JsonRecord[]> {
  const records: JsonRecord[] = [];
  for await (const record of jsonLines(file, onError)) records.push(record);
  return records;
}

/** The values of a file one at a time, never holding more than one line: captures can be huge. */
export async function* jsonLines(file: string, onError: (message: string) => void): AsyncGenerator<JsonRecord> {
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    const readAt = new Date();
    const { values, errors } = parseJsonLine(line);
    for (const value of values) yield { value, lineNumber, readAt };
    for (const error of errors) onError(`${file}:${lineNumber}: skipped unparseable JSON (${error})`);
  }
}
