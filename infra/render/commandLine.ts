import { parseArgs } from "node:util";

/** Bad usage of a command. The command prints the message with its usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A command's options: `--name value` / `--name=value` for strings, bare `--name` for flags. */
export type OptionsSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

export type ParsedOptions<S extends OptionsSpec> = {
  [K in keyof S]?: S[K]["type"] extends "string" ? string : boolean;
};

/**
 * Reads a command line with `node:util`'s `parseArgs` (so `--stack dev` and `--stack=dev` are one
 * thing) and refuses, naming the argument, what parseArgs would let through or word for its own
 * API: an unknown option, a string option with no value (or whose value is the next option), a
 * value given to a flag, an option given twice, and any argument that is not an option.
 */
export function parseCommandLine<S extends OptionsSpec>(argv: string[], spec: S): ParsedOptions<S> {
  const { tokens } = parseArgs({ args: argv, options: spec, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean> = {};
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") throw new UsageError(`unexpected argument "${token.value}"`);
    const option = Object.hasOwn(spec, token.name) ? spec[token.name] : undefined;
    if (option === undefined) throw new UsageError(`unknown option ${token.rawName}`);
    if (Object.hasOwn(values, token.name)) throw new UsageError(`${token.rawName} is given twice`);
    if (option.type === "string") {
      const missing = token.value === undefined || token.value === "" || (token.inlineValue === false && token.value.startsWith("-"));
      if (missing) throw new UsageError(`${token.rawName} needs a value`);
      values[token.name] = token.value as string;
    } else {
      if (token.inlineValue) throw new UsageError(`${token.rawName} takes no value`);
      values[token.name] = true;
    }
  }
  return values as ParsedOptions<S>;
}
