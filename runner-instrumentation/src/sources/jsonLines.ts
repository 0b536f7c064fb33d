import { createReadStream } from "node:fs";

/** One JSON value of a line-oriented capture, with where and when it was read. */
export interface JsonRecord {
  value: unknown;
  lineNumber: number;
  readAt: Date;
}

/** A line that gave no usable JSON: only where it is and why, never its text (it may hold a secret). */
export interface BadLine {
  lineNumber: number;
  reason: "not-json" | "too-long";
}

/** Lines longer than this are skipped without being held whole: no capture line comes near it. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * The JSON values on one line. Captures sometimes hold two objects with no newline between
 * them (a writer that lost a newline), so a line that does not parse whole is split at the
 * points where its top-level braces close. Anything else (text around or between the values, a
 * value cut off) is an error; errors never quote the line.
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
  const errors = new Set<string>();
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 0 && c !== "{" && c !== "[" && c.trim() !== "") {
      errors.add("text outside a JSON object or array");
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (depth === 0) start = i;
      depth++;
    } else if ((c === "}" || c === "]") && depth > 0) {
      depth--;
      if (depth === 0 && start >= 0) {
        try {
          values.push(JSON.parse(text.slice(start, i + 1)));
        } catch {
          errors.add("a JSON value that does not parse");
        }
        start = -1;
      }
    }
  }
  if (depth !== 0 || inString) errors.add("a JSON value is cut off at the end of the line");
  return { values, errors: [...errors] };
}

/** Reads a file line by line, stamping each value with the time its line was read. */
export async function readJsonLines(file: string, onBadLine: (bad: BadLine) => void): Promise<JsonRecord[]> {
  const records: JsonRecord[] = [];
  for await (const record of jsonLines(file, onBadLine)) records.push(record);
  return records;
}

/**
 * The values of a file one at a time, never holding more than one line: captures can be huge.
 * A line with any text that is not JSON is reported as bad (the values it also holds still
 * count). A file that cannot be read throws its error (ENOENT, EISDIR, EIO, …) from the loop.
 */
export async function* jsonLines(file: string, onBadLine: (bad: BadLine) => void, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<JsonRecord> {
  for await (const line of textLines(file, maxLineBytes)) {
    if (line.text === undefined) {
      onBadLine({ lineNumber: line.lineNumber, reason: "too-long" });
      continue;
    }
    const readAt = new Date();
    const { values, errors } = parseJsonLine(line.text);
    for (const value of values) yield { value, lineNumber: line.lineNumber, readAt };
    if (errors.length > 0) onBadLine({ lineNumber: line.lineNumber, reason: "not-json" });
  }
}

/**
 * A file's lines as UTF-8 text, split at "\n" (a "\r" before it dropped). A line longer than
 * `maxLineBytes` comes without its text: it is dropped as it is read, never held.
 */
async function* textLines(file: string, maxLineBytes: number): AsyncGenerator<{ lineNumber: number; text?: string }> {
  let pieces: Buffer[] = [];
  let bytes = 0;
  let tooLong = false;
  let lineNumber = 0;
  const finish = () => {
    lineNumber++;
    let text: string | undefined;
    if (!tooLong) {
      text = (pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, bytes)).toString("utf8");
      if (text.endsWith("\r")) text = text.slice(0, -1);
    }
    pieces = [];
    bytes = 0;
    tooLong = false;
    return { lineNumber, text };
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let from = 0;
    for (;;) {
      const newline = chunk.indexOf(10, from);
      const to = newline === -1 ? chunk.length : newline;
      if (!tooLong && to > from) {
        if (bytes + (to - from) > maxLineBytes) {
          tooLong = true;
          pieces = [];
        } else {
          pieces.push(chunk.subarray(from, to));
          bytes += to - from;
        }
      }
      if (newline === -1) break;
      yield finish();
      from = newline + 1;
    }
  }
  if (bytes > 0 || tooLong) yield finish();
}
