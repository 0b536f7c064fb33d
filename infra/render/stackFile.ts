import { readFileSync } from "node:fs";
import * as path from "node:path";
import {
  type Document,
  type ErrorCode,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type YAMLError,
} from "yaml";

/** 1-based, as editors count. */
export interface Position {
  line: number;
  column: number;
}

/**
 * A Pulumi project or stack file that cannot be used. The message names the file and, where
 * there is one, the line and column; it never quotes the file's content, which may hold secrets.
 */
export class StackFileError extends Error {
  constructor(
    public readonly file: string,
    public readonly reason: string,
    public readonly at?: Position,
  ) {
    super(`${displayPath(file)}${at ? `:${at.line}:${at.column}` : ""}: ${reason}`);
    this.name = "StackFileError";
  }
}

/** A path as the user would type it from here: relative below the working directory, else absolute. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

/** A parsed YAML file whose top level is a mapping, with positions. */
export interface YamlFile {
  file: string;
  /** The file's text as read: the document's ranges are offsets into it. */
  text: string;
  /** The document itself, for readers that edit it in place and keep comments and order. */
  document: Document.Parsed;
  /** The top level as plain values. */
  value: Record<string, unknown>;
  /** Where the node at a path (mapping keys and list indexes from the top) starts. */
  positionOf(at: (string | number)[]): Position | undefined;
  /** Where a top-level key is written. */
  keyPositionOf(key: string): Position | undefined;
}

/** The top-level keys of a stack file, as the Pulumi CLI reads it. */
export const STACK_FILE_KEYS = ["config", "encryptionsalt", "secretsprovider", "encryptedkey", "environment"] as const;

/** A stack file (`Pulumi.<stack>.yaml`): its settings, keyed as written. */
export interface StackFile extends YamlFile {
  config: Record<string, unknown>;
}

/**
 * Reads a YAML file whose top level must be a mapping (Pulumi.yaml). Syntax errors give the line,
 * the column and what was expected, never the offending text.
 */
export function readYamlMapping(file: string, what = "a Pulumi file"): YamlFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new StackFileError(file, `cannot be read: ${readFailure(e)}`);
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const [error] = document.errors;
  if (error) throw new StackFileError(file, `not valid YAML: ${describeYamlError(error)}`, position(error.pos[0]));

  let value: unknown;
  try {
    value = document.toJS();
  } catch {
    // An alias whose anchor is missing, or too many aliases: find the first that does not resolve.
    let at: Position | undefined;
    visit(document, {
      Alias(_, alias) {
        if (alias.resolve(document) !== undefined || !alias.range) return undefined;
        at = position(alias.range[0]);
        return visit.BREAK;
      },
    });
    throw new StackFileError(file, "not valid YAML: an alias (*name) that refers to no anchor (&name) before it, or too many aliases", at);
  }

  const top = document.contents;
  if (value === null || value === undefined || !isMap(top)) {
    const kind = top === null || value === null || value === undefined ? "is empty" : `is ${isSeq(top) ? "a list" : "a single value"}, not a mapping`;
    throw new StackFileError(file, `${kind}: ${what} is a YAML mapping of keys to values`, top?.range ? position(top.range[0]) : undefined);
  }

  const positionOf = (at: (string | number)[]): Position | undefined => {
    let node: unknown = top;
    for (const segment of at) {
      if (isMap(node)) {
        node = node.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === String(segment))?.value;
      } else if (isSeq(node) && typeof segment === "number") {
        node = node.items[segment];
      } else {
        return undefined;
      }
    }
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    return range ? position(range[0]) : undefined;
  };
  const keyPositionOf = (key: string): Position | undefined => {
    const pair = top.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
    return range ? position(range[0]) : undefined;
  };
  return { file, text, document, value: value as Record<string, unknown>, positionOf, keyPositionOf };
}

/**
 * Reads `Pulumi.<stack>.yaml`: a mapping whose top level holds `config:` (the settings) and
 * only the other keys the Pulumi CLI writes there.
 */
export function readStackFile(file: string): StackFile {
  const yaml = readYamlMapping(file, "a stack file");
  const { value } = yaml;
  const accepted = `its top level takes only ${STACK_FILE_KEYS.join(", ")}`;

  for (const key of Object.keys(value)) {
    if ((STACK_FILE_KEYS as readonly string[]).includes(key)) continue;
    // The key is named only when it is a near miss of a known one: anything else may be a value
    // that lost its indentation, and a value may be a secret.
    const meant = STACK_FILE_KEYS.find((known) => nearMiss(key, known));
    const named = meant ? ` "${key}" (did you mean "${meant}"?)` : "";
    throw new StackFileError(file, `has an unknown top-level key${named}: ${accepted}`, yaml.keyPositionOf(key));
  }
  if (!("config" in value)) {
    throw new StackFileError(file, `has no "config:" key: a stack file holds its settings under "config:" (where \`pulumi config set\` writes them)`);
  }
  const config = value.config ?? {};
  if (typeof config !== "object" || Array.isArray(config)) {
    const kind = Array.isArray(config) ? "a list" : "a single value";
    throw new StackFileError(file, `"config:" is ${kind}, not a mapping of settings`, yaml.positionOf(["config"]));
  }
  return { ...yaml, config: config as Record<string, unknown> };
}

/** Same name but for case, or one or two letters added, dropped, changed or swapped. */
function nearMiss(found: string, known: string): boolean {
  const a = found.toLowerCase();
  const b = known;
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 2) return false;
  // Damerau-Levenshtein distance (optimal string alignment), small strings only.
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]! <= 2;
}

/** A file system error in words; the caller names the file. */
const READ_FAILURES: Record<string, string> = { ENOENT: "no such file", EISDIR: "it is a directory", EACCES: "permission denied", EPERM: "permission denied" };

function readFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code ?? "unknown error";
  return READ_FAILURES[code] ?? code;
}

/**
 * yaml's own messages where they cannot hold the file's text (each alternative below is fixed
 * wording of the yaml package): they say best what was expected.
 */
const CONTENT_FREE_MESSAGES = [
  /^Flow (sequence|mapping) in block collection must be sufficiently indented and end with a [\]}]$/,
  /^All (mapping|sequence|collection) items must start at the same column$/,
  /^Tabs are not allowed as indentation$/,
  /^Missing closing ["']quote$/,
  /^Map keys must be unique$/,
  /^Nested mappings are not allowed in compact mappings$/,
  /^Implicit keys need to be on a single line$/,
  /^Implicit map keys need to be followed by map values$/,
  /^Block collections are not allowed within flow collections$/,
  /^Plain value cannot start with (a tab character|flow indicator character ,|directive indicator character %|block scalar indicator [|>]|reserved character [@`])$/,
  /^Missing ,( or :)? between flow (map|sequence) items$/,
  /^Missing space after : in flow (map|sequence)$/,
  /^Comments must be separated from other tokens by white space characters$/,
  /^Sequence item without - indicator$/,
  /^A block sequence may not be used as an implicit map key$/,
  /^Block scalar values in collections must be indented$/,
  /^Flow end indicator should be more indented than parent$/,
];

/** What each error is, in words that never quote the file: used where yaml's message might. */
const YAML_ERROR_WORDS: Record<ErrorCode, string> = {
  ALIAS_PROPS: "an alias (*name) cannot carry an anchor or a tag",
  BAD_ALIAS: "an anchor or alias with an empty name, or a name ending in a colon",
  BAD_COLLECTION_TYPE: "a tag that does not fit its value",
  BAD_DIRECTIVE: "a %-directive this reader does not understand",
  BAD_DQ_ESCAPE: "an invalid escape sequence in a double-quoted string (use single quotes, or write a backslash as \\\\)",
  BAD_INDENT: "indentation that does not line up with the lines above",
  BAD_PROP_ORDER: "an anchor or tag in the wrong place",
  BAD_SCALAR_START: "a plain value that starts with a reserved character: quote it",
  BLOCK_AS_IMPLICIT_KEY: "a nested mapping or list where a key should be",
  BLOCK_IN_FLOW: "a block mapping or list inside [ ] or { }",
  DUPLICATE_KEY: "a key given twice in the same mapping",
  IMPOSSIBLE: "a structure the YAML syntax does not allow",
  KEY_OVER_1024_CHARS: "a key longer than 1024 characters",
  MISSING_CHAR: "a missing character (a closing quote or bracket, a comma, or a space after a colon)",
  MULTILINE_IMPLICIT_KEY: "a key spread over several lines (a line with no \"key: value\"?)",
  MULTIPLE_ANCHORS: "a value with two anchors",
  MULTIPLE_DOCS: "a second YAML document: a Pulumi file is one document",
  MULTIPLE_TAGS: "a value with two tags",
  NON_STRING_KEY: "a key that is not text",
  RESOURCE_EXHAUSTION: "too many aliases",
  TAB_AS_INDENT: "a tab used for indentation: indent with spaces",
  TAG_RESOLVE_FAILED: "a tag (!name) this reader does not know",
  UNEXPECTED_TOKEN: "text where the YAML syntax allows none here (a stray character, or a value not indented under its key?)",
};

/** What went wrong and what was expected, without a character of the file's content. */
export function describeYamlError(error: Pick<YAMLError, "code" | "message">): string {
  const message = error.message.split("\n")[0] ?? "";
  if (CONTENT_FREE_MESSAGES.some((safe) => safe.test(message))) return message;
  return YAML_ERROR_WORDS[error.code] ?? "a YAML syntax error";
}

