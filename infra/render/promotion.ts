import { isDeepStrictEqual } from "node:util";
import { isMap, isScalar, type Pair, parseDocument, Scalar, stringify, type YAMLMap } from "yaml";
import { PROJECT } from "../config";
import { chartLine } from "../langfuse/chartLine";
import { PROMOTABLE_SETTINGS, type PromotableSetting } from "../promotableSettings";
import { displayPath, type StackFile, StackFileError } from "./stackFile";

/**
 * A promotion the rules forbid (a setting the source does not pin, a change of chart line, ...).
 * The message names the stack, setting or file and what to do; it quotes no value of a stack file
 * but the versions being promoted.
 */
export class PromotionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PromotionRefused";
  }
}

/** One promotable setting as a stack file writes it. */
export interface Pin {
  setting: PromotableSetting;
  /** The key as written: `ambient-langfuse:chartVersion` or `chartVersion`. */
  key: string;
  /** The value as the stack config reads it (loadStackConfig); undefined when written empty. */
  value: string | undefined;
  pair: Pair<Scalar, Scalar>;
}

/** `setting: from -> to`; `from` is undefined where the target did not pin the setting. */
export interface Change {
  setting: PromotableSetting;
  from: string | undefined;
  to: string;
}

/** What a promotion would do: the changes, and the pins both stacks already share. */
export interface Promotion {
  changes: Change[];
  unchanged: { setting: PromotableSetting; value: string }[];
}

/**
 * The promotable settings a stack file pins, by setting. A pin must be one plain or quoted string
 * on its key's line: a `secure:` value, a mapping or list, a block scalar, or the same setting
 * under two keys is a StackFileError naming the file, line and column.
 */
export function readPins(file: StackFile): Map<PromotableSetting, Pin> {
  const pins = new Map<PromotableSetting, Pin>();
  const config = configMap(file);
  if (config === undefined) return pins;
  for (const pair of config.items) {
    if (!isScalar(pair.key)) continue;
    const key = String(pair.key.value);
    const setting = PROMOTABLE_SETTINGS.find((s) => key === s || key === `${PROJECT}:${s}`);
    if (setting === undefined) continue;
    const where = file.positionOf(["config", key]);
    const full = `${PROJECT}:${setting}`;
    const earlier = pins.get(setting);
    if (earlier) {
      throw new StackFileError(file.file, `${full} is set twice, as ${earlier.key} and as ${key}: keep one`, where);
    }
    const value = pair.value;
    if (isMap(value) && value.has("secure")) {
      throw new StackFileError(file.file, `${full} is a secure: value: a version is pinned in plain text (\`pulumi config set ${setting} <version>\`)`, where);
    }
    if (!isScalar(value)) {
      throw new StackFileError(file.file, `${full} is not a single value: a version is one exact string such as "2.0.0"`, where);
    }
    if (value.type === Scalar.BLOCK_LITERAL || value.type === Scalar.BLOCK_FOLDED) {
      throw new StackFileError(file.file, `${full} is a block scalar (| or >): write the version on its key's line`, where);
    }
    const raw = value.value;
    const written = raw === null || raw === "" ? undefined : typeof raw === "string" ? raw : JSON.stringify(raw);
    pins.set(setting, { setting, key, value: written, pair: pair as Pair<Scalar, Scalar> });
  }
  return pins;
}

/**
 * The changes that copy every promotable setting from `source` to `target`. Refused when the
 * source does not pin one of them: a version left to a default was never chosen for that stack.
 */
export function planPromotion(source: StackFile, sourceStack: string, target: StackFile): Promotion {
  const from = readPins(source);
  const to = readPins(target);
  const unpinned = PROMOTABLE_SETTINGS.filter((s) => from.get(s)?.value === undefined);
  if (unpinned.length > 0) {
    throw new PromotionRefused(
      `${displayPath(source.file)} does not pin ${unpinned.join(", ")}: a promotion copies only versions the source stack pins ` +
        `(pin ${unpinned.length === 1 ? "it" : "each"} once the stack runs it: \`pulumi config set --stack ${sourceStack} ${unpinned[0]} <version>\`)`,
    );
  }
  const promotion: Promotion = { changes: [], unchanged: [] };
  for (const setting of PROMOTABLE_SETTINGS) {
    const value = from.get(setting)!.value!;
    const old = to.get(setting)?.value;
    if (old === value) promotion.unchanged.push({ setting, value });
    else promotion.changes.push({ setting, from: old, to: value });
  }
  return promotion;
}

/**
 * Refuses a promotion that would move the target to another chart line: the lines bundle other
 * stores, so the data has to be copied across (the README's migration), which no change of a
 * version does. `targetChartVersion` is the version the target runs now, pinned or by default.
 */
export function checkChartLine(changes: Change[], targetStack: string, targetChartVersion: string): void {
  const change = changes.find((c) => c.setting === "chartVersion");
  if (change === undefined) return;
  const [was, becomes] = [chartLine(targetChartVersion), chartLine(change.to)];
  if (was === undefined || becomes === undefined || was === becomes) return;
  throw new PromotionRefused(
    `chartVersion ${targetChartVersion} -> ${change.to} would move stack "${targetStack}" from chart line ${was} to ${becomes}: ` +
      `that is a migration, not a promotion: the stores change and their data moves to a sibling release ` +
      `(README, "Move the v3 POC to Langfuse v4")`,
  );
}

/**
 * The target's text with the changes made in place: each pinned value's own characters are
 * replaced, keeping its quoting; a setting the target did not pin gets a line of its own beside
 * the pins it has, indented and keyed like them. Every other byte (settings, comments, key order,
 * blank lines, line endings) stays as it was. The result is parsed again and must read as the
 * target with exactly these values; anything else is a bug, thrown as an Error.
 */
export function promotedText(target: StackFile, changes: Change[]): string {
  const { text } = target;
  const pins = readPins(target);
  const config = configMap(target);
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  // Edits at one offset (several pins inserted beside the same one) apply last-made first, so
  // that they end up in the order they were made.
  const edits: { at: number; end: number; insert: string }[] = [];
  /** The key last inserted after a pin: the next one inserted after it goes after that. */
  const insertedAfter = new Map<string, string>();
  // The config as it must read afterwards, keys in order.
  let expected: [string, unknown][] = Object.entries(target.value.config ?? {});

  for (const change of changes) {
    const pin = pins.get(change.setting);
    if (pin) {
      const [start, end] = pin.pair.value!.range!;
      const space = pin.value === undefined && text[start - 1] === ":" ? " " : "";
      edits.push({ at: start, end, insert: space + scalarSource(change.to, pin.pair.value!.type) });
      expected = expected.map(([k, v]) => [k, k === pin.key ? change.to : v]);
      continue;
    }
    const anchor = insertionAnchor(pins, change.setting, target, config);
    const keyText = anchor.pin.key.startsWith(`${PROJECT}:`) ? `${PROJECT}:${change.setting}` : change.setting;
    const keyStart = anchor.pin.pair.key!.range![0];
    const lineStart = text.lastIndexOf("\n", keyStart - 1) + 1;
    const indent = text.slice(lineStart, keyStart);
    const line = `${indent}${scalarSource(keyText)}: ${scalarSource(change.to)}`;
    if (anchor.after) {
      const previous = insertedAfter.get(anchor.pin.key) ?? anchor.pin.key;
      insertedAfter.set(anchor.pin.key, keyText);
      const lineEnd = text.indexOf("\n", anchor.pin.pair.value!.range![1]);
      if (lineEnd === -1) edits.push({ at: text.length, end: text.length, insert: `${eol}${line}` });
      else edits.push({ at: lineEnd + 1, end: lineEnd + 1, insert: `${line}${eol}` });
      expected.splice(expected.findIndex(([k]) => k === previous) + 1, 0, [keyText, change.to]);
    } else {
      edits.push({ at: lineStart, end: lineStart, insert: `${line}${eol}` });
      expected.splice(expected.findIndex(([k]) => k === anchor.pin.key), 0, [keyText, change.to]);
    }
  }

  let result = text;
  const order = edits.map((edit, made) => ({ ...edit, made })).sort((a, b) => b.at - a.at || b.made - a.made);
  for (const edit of order) result = result.slice(0, edit.at) + edit.insert + result.slice(edit.end);

  const reread = parseDocument(result, { uniqueKeys: true });
  const readBack = reread.errors.length === 0 ? (reread.toJS() as Record<string, unknown>) : undefined;
  const wanted = { ...target.value, config: Object.fromEntries(expected) };
  if (readBack === undefined || !isDeepStrictEqual(readBack, wanted) || !isDeepStrictEqual(Object.keys(readBack.config as object), expected.map(([k]) => k))) {
    throw new Error(`the promoted ${displayPath(target.file)} would not read as the target with the promoted versions; nothing was written`);
  }
  return result;
}

/** The `config:` mapping, if the file has one with entries. */
function configMap(file: StackFile): YAMLMap | undefined {
  const node = file.document.get("config", true);
  return isMap(node) ? node : undefined;
}

/**
 * Where a setting the target does not pin goes: after the nearest promotable setting before it
 * that the target pins, else before the nearest after it. The target must pin at least one, in a
 * block mapping: that is where its versions are, and where it keeps their comments.
 */
function insertionAnchor(
  pins: Map<PromotableSetting, Pin>,
  setting: PromotableSetting,
  target: StackFile,
  config: YAMLMap | undefined,
): { pin: Pin; after: boolean } {
  const index = PROMOTABLE_SETTINGS.indexOf(setting);
  const before = PROMOTABLE_SETTINGS.slice(0, index).reverse().map((s) => pins.get(s)).find((p) => p !== undefined);
  const after = PROMOTABLE_SETTINGS.slice(index + 1).map((s) => pins.get(s)).find((p) => p !== undefined);
  if ((before === undefined && after === undefined) || config === undefined) {
    throw new PromotionRefused(
      `${displayPath(target.file)} pins none of ${PROMOTABLE_SETTINGS.join(", ")}: pin the versions the stack runs now ` +
        `(\`npm run plan\` prints them) where they belong in the file, then promote`,
    );
  }
  if (config.flow) {
    throw new PromotionRefused(`${displayPath(target.file)} writes config: in flow style ({ ... }): give ${PROJECT}:${setting} its own line, then promote`);
  }
  return before ? { pin: before, after: true } : { pin: after!, after: false };
}

/** A string as YAML writes it on one line, in the given quoting where it keeps the value a string. */
function scalarSource(value: string, type?: Scalar.Type): string {
  const defaultStringType = type === Scalar.QUOTE_SINGLE || type === Scalar.QUOTE_DOUBLE ? type : Scalar.PLAIN;
  const source = stringify(value, { defaultStringType, lineWidth: 0 }).replace(/\n$/, "");
  if (source.includes("\n")) throw new PromotionRefused(`a version cannot span lines`);
  return source;
}
