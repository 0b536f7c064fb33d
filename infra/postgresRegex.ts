/**
 * Langfuse prices a generation by the first model definition whose `match_pattern` matches the
 * generation's model name in PostgreSQL (`model ~ match_pattern`, Langfuse's modelMatch.ts), so a
 * pattern means what PostgreSQL's advanced regular expressions (AREs) make of it. This turns an ARE
 * into a JavaScript RegExp with the same boolean answer, for the constructs PostgreSQL's manual
 * ("Regular Expression Details") defines and JavaScript can say; anything else is refused, never
 * guessed. Pure: patterns in, RegExps or problems out.
 *
 * Where the two languages differ and how it is met:
 * - embedded options `(?i)` / `(?c)` at the very start: JavaScript's `i` flag, or none;
 * - `***=` (the rest is literal), `***:` (the rest is an ARE): a literal, or nothing;
 * - `.` matches a newline in PostgreSQL by default: the `s` flag;
 * - `\b` is a backspace in an ARE, `\y` a word boundary: each translated to its JavaScript form;
 * - `{` not followed by a digit, a lone `}` or `]`: literals in an ARE, escaped for JavaScript;
 * - bracket expressions with POSIX classes (`[[:digit:]]`): the classes JavaScript can say;
 * - the `u` flag makes JavaScript refuse what its lenient mode would read as a literal.
 * A match is a search anywhere in the name, as `~` is, and greediness changes no boolean answer.
 */

export type PostgresRegex = { regex: RegExp } | { problem: string };

/** Escapes with one meaning in both languages, or a JavaScript form of the ARE's meaning. */
const ESCAPES: Record<string, string> = {
  a: "\\x07",
  b: "\\x08", // a backspace in an ARE, not a word boundary
  B: "\\\\", // a synonym for backslash
  e: "\\x1B",
  f: "\\f",
  n: "\\n",
  r: "\\r",
  t: "\\t",
  v: "\\v",
  d: "\\d",
  D: "\\D",
  s: "\\s",
  S: "\\S",
  w: "\\w",
  W: "\\W",
  A: "^", // only at the beginning of the string: JavaScript's ^ without the m flag
  Z: "$",
  y: "\\b",
  Y: "\\B",
  m: "\\b(?=\\w)",
  M: "\\b(?<=\\w)",
};

/** Inside a bracket expression only the class shorthands and character entries keep their meaning. */
const CLASS_ESCAPES = new Set(["a", "b", "B", "e", "f", "n", "r", "t", "v", "d", "s", "w"]);

/** POSIX classes in a bracket expression, as JavaScript (with the u flag) says them. */
const POSIX_CLASSES: Record<string, string> = {
  alpha: "\\p{L}",
  alnum: "\\p{L}\\p{Nd}",
  digit: "0-9",
  lower: "\\p{Ll}",
  upper: "\\p{Lu}",
  space: "\\s",
  xdigit: "0-9A-Fa-f",
};

/** Characters JavaScript's u flag lets (and makes) one escape. */
const SYNTAX = new Set([..."^$\\.*+?()[]{}|/"]);

/** A literal character as JavaScript source, outside or inside a class. */
function literal(c: string, inClass = false): string {
  if (SYNTAX.has(c) || (inClass && c === "-")) return `\\${c}`;
  return c;
}

/**
 * The JavaScript RegExp that answers as PostgreSQL's `name ~ pattern` would, or why it cannot be
 * given (said without the pattern: the caller names the setting).
 */
export function postgresRegex(pattern: string): PostgresRegex {
  let body = pattern;
  if (body.startsWith("***=")) return compile(escapeAll(body.slice(4)), "su");
  if (body.startsWith("***:")) body = body.slice(4);
  let caseInsensitive = false;
  const options = /^\(\?([a-z]+)\)/.exec(body);
  if (options) {
    for (const option of options[1]!) {
      if (option === "i") caseInsensitive = true;
      else if (option === "c") caseInsensitive = false;
      else if (option === "s" || option === "t") continue; // PostgreSQL's defaults
      else if (option === "q") return compile(escapeAll(body.slice(options[0].length)), caseInsensitive ? "isu" : "su");
      else return { problem: `its embedded option "(?${options[1]})" has "${option}", which this check cannot evaluate (it takes i, c, s, t and q)` };
    }
    body = body.slice(options[0].length);
  }
  const translated = translate(body);
  if ("problem" in translated) return translated;
  return compile(translated.source, caseInsensitive ? "isu" : "su");
}

function escapeAll(text: string): string {
  return [...text].map((c) => literal(c)).join("");
}

function compile(source: string, flags: string): PostgresRegex {
  try {
    return { regex: new RegExp(source, flags) };
  } catch {
    return { problem: "it is not a regular expression PostgreSQL and this check read alike (it does not compile)" };
  }
}

/** The ARE after its options, token by token, as JavaScript source. */
function translate(are: string): { source: string } | { problem: string } {
  const chars = [...are];
  let out = "";
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === "\\") {
      const next = chars[++i];
      if (next === undefined) return { problem: "it ends in a lone backslash" };
      const escape = translateEscape(next);
      if (typeof escape !== "string") return escape;
      out += escape;
    } else if (c === "[") {
      const bracket = translateBracket(chars, i);
      if ("problem" in bracket) return bracket;
      out += bracket.source;
      i = bracket.end;
    } else if (c === "(") {
      if (chars[i + 1] === "?") {
        const rest = chars.slice(i + 2, i + 4).join("");
        const kind = ["<=", "<!"].find((k) => rest.startsWith(k)) ?? [":", "=", "!"].find((k) => rest.startsWith(k));
        if (kind === undefined) return { problem: `it has a group "(?${chars[i + 2] ?? ""}" that PostgreSQL does not define there (embedded options only at the start)` };
        out += `(?${kind}`;
        i += 1 + kind.length;
      } else {
        out += "(";
      }
    } else if (c === "{") {
      // A bound only when a digit follows; otherwise an ordinary character in an ARE.
      if (/\d/.test(chars[i + 1] ?? "")) {
        const bound = /^\{(\d+)(,(\d*))?\}/.exec(chars.slice(i).join(""));
        if (!bound) return { problem: "it has a bound {…} that is not {m}, {m,} or {m,n}" };
        out += bound[0];
        i += [...bound[0]].length - 1;
      } else {
        out += "\\{";
      }
    } else if (c === "}" || c === "]") {
      out += `\\${c}`;
    } else {
      // ^ $ . | * + ? ) mean the same in both; everything else is itself.
      out += c;
    }
  }
  return { source: out };
}

function translateEscape(c: string): string | { problem: string } {
  if (!/[A-Za-z0-9]/.test(c)) return literal(c);
  if (/[1-9]/.test(c)) return `\\${c}`; // a back reference in both
  const js = ESCAPES[c];
  if (js !== undefined) return js;
  return { problem: `its escape \\${c} is one this check cannot evaluate (octal, hexadecimal, Unicode and control escapes are not taken)` };
}

/** A bracket expression from chars[start] === "[" to its closing "]", as a JavaScript class. */
function translateBracket(chars: string[], start: number): { source: string; end: number } | { problem: string } {
  let i = start + 1;
  let negate = "";
  if (chars[i] === "^") {
    negate = "^";
    i++;
  }
  let items = "";
  let count = 0;
  for (; i < chars.length; i++) {
    const c = chars[i]!;
    // A ] first in the expression is itself; any later one closes it.
    if (c === "]" && count > 0) return { source: `[${negate}${items}]`, end: i };
    count++;
    if (c === "[" && [":", ".", "="].includes(chars[i + 1] ?? "")) {
      const kind = chars[i + 1]!;
      const close = chars.slice(i + 2).join("").indexOf(`${kind}]`);
      if (close < 0) return { problem: `it has an unterminated [${kind} in a bracket expression` };
      const name = chars.slice(i + 2, i + 2 + close).join("");
      if (kind !== ":") return { problem: `it has a collating element or equivalence class [${kind}${name}${kind}], which this check cannot evaluate` };
      const cls = POSIX_CLASSES[name];
      if (cls === undefined) return { problem: `it has the character class [:${name}:], which this check cannot evaluate (it takes ${Object.keys(POSIX_CLASSES).join(", ")})` };
      items += cls;
      i += 2 + close + 1;
    } else if (c === "\\") {
      const next = chars[++i];
      if (next === undefined) return { problem: "it ends in a lone backslash" };
      if (/[A-Za-z0-9]/.test(next)) {
        if (!CLASS_ESCAPES.has(next)) return { problem: `its escape \\${next} in a bracket expression is one this check cannot evaluate` };
        items += ESCAPES[next];
      } else {
        items += literal(next, true);
      }
    } else if (c === "-" && count > 1 && chars[i + 1] !== "]") {
      // A range from the item before to the character after; JavaScript refuses one from a class, as PostgreSQL does.
      items += "-";
    } else {
      items += literal(c, true);
    }
  }
  return { problem: "it has a bracket expression [ without its closing ]" };
}
