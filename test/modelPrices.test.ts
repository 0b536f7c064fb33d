// Model prices: Langfuse's match patterns evaluated as PostgreSQL evaluates them (against the
// reference price tables of both Langfuse versions, and construct by construct), the `modelPrices`
// setting with each refusal named by its entry, and what the program registers in each Langfuse
// project the runners write into.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { UsageDetails } from "../runner-instrumentation/src/events";
import { ConfigError, parseSettings } from "../infra/config";
import { parseModelPrices, TRACER_USAGE_KEYS } from "../infra/modelPriceSettings";
import { postgresRegex } from "../infra/postgresRegex";
import { renderStack } from "../infra/render/mockHarness";
import { REPO_ROOT, loadStackConfig } from "../infra/render/stackConfig";

const REFERENCE = path.resolve(__dirname, "..", "..", "shared", "reference");
const priceTable = (version: string): { modelName: string; matchPattern: string }[] =>
  JSON.parse(readFileSync(path.join(REFERENCE, `langfuse-${version}.default-model-prices.json`), "utf8"));

/** Whether PostgreSQL's `name ~ pattern` holds, as evaluated here; throws when it cannot be evaluated. */
function matches(pattern: string, name: string): boolean {
  const compiled = postgresRegex(pattern);
  if ("problem" in compiled) throw new Error(compiled.problem);
  return compiled.regex.test(name);
}

const problemOf = (pattern: string) => {
  const compiled = postgresRegex(pattern);
  return "problem" in compiled ? compiled.problem : undefined;
};

describe("Langfuse's match patterns, evaluated as PostgreSQL does", () => {
  it.each(["3.224.1", "4.16.0"])("evaluates every pattern of Langfuse %s's own price table", (version) => {
    const table = priceTable(version);
    expect(table.length).toBeGreaterThan(150);
    expect(table.filter((m) => problemOf(m.matchPattern) !== undefined)).toEqual([]);
    expect(table.every((m) => m.matchPattern.startsWith("(?i)"))).toBe(true);
  });

  it.each(["3.224.1", "4.16.0"])("matches each entry's own model name in Langfuse %s's table, but for the names that are labels, not model ids", (version) => {
    const unmatched = priceTable(version)
      .filter((m) => !matches(m.matchPattern, m.modelName))
      .map((m) => m.modelName);
    // Each of these fails in PostgreSQL too: the label writes 3.5 where the id has 3-5, names a
    // fine-tune family whose ids carry more (ft:<base>:<org>::<id>), or a vision model by a name no id has.
    expect(unmatched).toEqual([
      "gpt-4-turbo-vision",
      "ft:gpt-3.5-turbo-1106",
      "ft:gpt-3.5-turbo-0613",
      "ft:davinci-002",
      "ft:babbage-002",
      "claude-3.5-sonnet-20241022",
      "claude-3.5-sonnet-latest",
      "claude-3.5-haiku-latest",
      "claude-3.7-sonnet-latest",
    ]);
    expect(matches(priceTable(version).find((m) => m.modelName === "ft:davinci-002")!.matchPattern, "ft:davinci-002:acme::abc123")).toBe(true);
    expect(matches(priceTable(version).find((m) => m.modelName === "claude-3.5-sonnet-latest")!.matchPattern, "claude-3-5-sonnet-latest")).toBe(true);
  });

  it("prices the Claude names FACTS.md lists with Langfuse 4.16.0's table, and not the forms it says do not match", () => {
    const table = priceTable("4.16.0");
    const pricedBy = (name: string) => table.filter((m) => matches(m.matchPattern, name)).map((m) => m.modelName);
    expect(pricedBy("claude-sonnet-4-5-20250929")).toEqual(["claude-sonnet-4-5-20250929"]);
    expect(pricedBy("anthropic/claude-sonnet-4-5")).toEqual(["claude-sonnet-4-5-20250929"]);
    expect(pricedBy("us.anthropic.claude-sonnet-4-5-20250929-v1:0")).toEqual(["claude-sonnet-4-5-20250929"]);
    expect(pricedBy("claude-sonnet-4-5@20250929")).toEqual(["claude-sonnet-4-5-20250929"]);
    expect(pricedBy("CLAUDE-OPUS-4-6")).toEqual(["claude-opus-4-6"]);
    // FACTS.md: the [1m] suffix and dated ids of 4-6 and later are not matched.
    expect(pricedBy("claude-opus-4-6[1m]")).toEqual([]);
    expect(pricedBy("claude-opus-4-6-20260201")).toEqual([]);
  });

  it("prices nothing newer than the 4.5 generation with 3.224.1's table but what it lists", () => {
    const table = priceTable("3.224.1");
    const priced = (name: string) => table.some((m) => matches(m.matchPattern, name));
    expect(priced("claude-sonnet-4-5-20250929")).toBe(true);
    expect(priced("claude-opus-4-8")).toBe(table.some((m) => m.modelName === "claude-opus-4-8"));
  });

  it.each([
    ["(?i) as JavaScript's i flag", "(?i)^claude-opus-4-8$", "Claude-Opus-4-8", true],
    ["no option: case matters, as in PostgreSQL", "^claude-opus-4-8$", "Claude-Opus-4-8", false],
    ["(?c) after (?i): the last option wins", "(?ic)^claude$", "CLAUDE", false],
    ["a search anywhere in the name, as ~ is", "opus", "claude-opus-4-8", true],
    [". takes a newline, as in PostgreSQL's default mode", "^a.b$", "a\nb", true],
    ["\\y is a word boundary", "(?i)\\yopus\\y", "claude opus", true],
    ["\\b is a backspace, not a word boundary", "opus\\b", "opus", false],
    ["\\b is a backspace", "opus\\b", "opus\b", true],
    ["\\m and \\M start and end a word", "\\mopus\\M", "an opus here", true],
    ["\\A and \\Z are the string's ends", "\\Aclaude\\Z", "claude", true],
    ["a { that starts no bound is itself", "a{b", "a{b", true],
    ["a bound", "^a{2,3}$", "aaa", true],
    ["a lone } and ] are themselves", "a}]", "a}]", true],
    ["] first in a bracket expression is itself", "^[]a]$", "]", true],
    ["- last in a bracket expression is itself", "^[a-]$", "-", true],
    ["a range", "^[a-c]+$", "cab", true],
    ["[[:digit:]] is a digit", "^claude-[[:digit:]]+$", "claude-45", true],
    ["[[:alpha:]] takes a non-ASCII letter, as PostgreSQL in UTF-8 does", "^[[:alpha:]]+$", "éa", true],
    ["\\d inside brackets", "^[\\d.]+$", "4.5", true],
    ["an escaped non-alphanumeric character is itself", "anthropic\\/claude\\-x", "anthropic/claude-x", true],
    ["a back reference", "^(a)\\1$", "aa", true],
    ["look-ahead and look-behind", "(?<=claude-)opus(?!-3)", "claude-opus-4", true],
    ["***= makes the rest literal", "***=claude-3.5", "claude-3x5", false],
    ["***= matches the literal text", "***=claude-3.5", "claude-3.5", true],
    ["***: is an ARE prefix", "***:(?i)^A$", "a", true],
  ])("reads %s", (_, pattern, name, expected) => {
    expect(matches(pattern, name)).toBe(expected);
  });

  it.each([
    ["(?x)^a b$", `its embedded option "(?x)" has "x", which this check cannot evaluate (it takes i, c, s, t and q)`],
    ["(?n)^a$", `its embedded option "(?n)" has "n", which this check cannot evaluate (it takes i, c, s, t and q)`],
    ["^a(?i)b$", `it has a group "(?i" that PostgreSQL does not define there (embedded options only at the start)`],
    ["(?<name>a)", `it has a group "(?<" that PostgreSQL does not define there (embedded options only at the start)`],
    ["claude\\x41", "its escape \\x is one this check cannot evaluate (octal, hexadecimal, Unicode and control escapes are not taken)"],
    ["claude\\u0041", "its escape \\u is one this check cannot evaluate (octal, hexadecimal, Unicode and control escapes are not taken)"],
    ["[[:punct:]]", "it has the character class [:punct:], which this check cannot evaluate (it takes alpha, alnum, digit, lower, upper, space, xdigit)"],
    ["[[=a=]]", "it has a collating element or equivalence class [=a=], which this check cannot evaluate"],
    ["[\\y]", "its escape \\y in a bracket expression is one this check cannot evaluate"],
    ["claude-[a", "it has a bracket expression [ without its closing ]"],
    ["claude\\", "it ends in a lone backslash"],
    ["a{1,x}", "it has a bound {…} that is not {m}, {m,} or {m,n}"],
    ["(claude", "it is not a regular expression PostgreSQL and this check read alike (it does not compile)"],
    ["a**", "it is not a regular expression PostgreSQL and this check read alike (it does not compile)"],
  ])("refuses what it cannot evaluate: %s", (pattern, problem) => {
    expect(problemOf(pattern)).toBe(problem);
  });
});

describe("the tracer's usage keys", () => {
  it("are exactly the keys of the usage runner-instrumentation sends on each generation", () => {
    // A record of every UsageDetails key: the compiler refuses a missing or an extra one.
    const sent: Record<keyof UsageDetails, true> = { input: true, output: true, cache_read_input_tokens: true, cache_creation_input_tokens: true };
    expect([...TRACER_USAGE_KEYS].sort()).toEqual(Object.keys(sent).sort());
  });
});

const OPUS = {
  modelName: "claude-opus-4-8",
  matchPattern: "(?i)^(anthropic/)?claude-opus-4-8$",
  startDate: "2026-09-01",
  prices: { input: 0.000005, output: 0.000025, cache_read_input_tokens: 0.0000005, cache_creation_input_tokens: 0.00000625 },
  examples: ["claude-opus-4-8", "anthropic/claude-opus-4-8", "Claude-Opus-4-8"],
};

function modelPriceProblems(entries: unknown): string[] {
  const problems: string[] = [];
  parseModelPrices(JSON.stringify(entries), problems);
  return problems;
}

describe("modelPrices", () => {
  it("reads an entry into a definition with its start date as Langfuse's date-time", () => {
    const problems: string[] = [];
    expect(parseModelPrices(JSON.stringify([OPUS]), problems)).toEqual([
      { entry: "modelPrices[0]", ...OPUS, startDate: "2026-09-01T00:00:00.000Z" },
    ]);
    expect(problems).toEqual([]);
  });

  it("is empty unless set", () => {
    expect(parseSettings({ adminEmail: "admin@example.com" }).modelPrices).toEqual([]);
  });

  it("refuses an entry whose pattern matches none of its examples, naming the entry", () => {
    expect(modelPriceProblems([OPUS, { ...OPUS, modelName: "claude-fable-5", examples: ["claude-fable-5"] }])).toEqual([
      'ambient-langfuse:modelPrices[1] (claude-fable-5): its matchPattern matches none of its examples ("claude-fable-5"), so it would price ' +
        "none of them: fix the pattern or the examples",
    ]);
  });

  it("refuses an entry whose pattern misses some of its examples, naming them", () => {
    expect(modelPriceProblems([{ ...OPUS, examples: [...OPUS.examples, "us.anthropic.claude-opus-4-8-v1:0"] }])).toEqual([
      'ambient-langfuse:modelPrices[0] (claude-opus-4-8): its matchPattern does not match the examples "us.anthropic.claude-opus-4-8-v1:0": ' +
        "sessions on that model would not be priced by it; fix the pattern or drop that example",
    ]);
  });

  it("refuses a price of a usage key the tracer does not send", () => {
    expect(modelPriceProblems([{ ...OPUS, prices: { ...OPUS.prices, input_cache_creation_1h: 0.00001 } }])).toEqual([
      'ambient-langfuse:modelPrices[0] (claude-opus-4-8) prices the usage key "input_cache_creation_1h", which the tracer does not send ' +
        "(it sends input, output, cache_read_input_tokens, cache_creation_input_tokens): that price would never apply; remove it",
    ]);
  });

  it("refuses a pattern it cannot evaluate as PostgreSQL would, naming the entry and what it cannot read", () => {
    expect(modelPriceProblems([{ ...OPUS, matchPattern: "(?x)^claude-opus-4-8$" }])).toEqual([
      'ambient-langfuse:modelPrices[0] (claude-opus-4-8): its matchPattern cannot be evaluated as PostgreSQL would: its embedded option "(?x)" ' +
        'has "x", which this check cannot evaluate (it takes i, c, s, t and q); write it with the constructs Langfuse\'s own table uses, e.g. ' +
        '"(?i)^claude-opus-4-8$"',
    ]);
  });

  it.each([
    [{ prices: { input: 5 } }, "ambient-langfuse:modelPrices[0] (claude-opus-4-8): prices.input is 5 USD per token: prices are per token, not per million tokens (e.g. 0.000005 for $5 per million)"],
    [{ prices: { input: -1 } }, "ambient-langfuse:modelPrices[0] (claude-opus-4-8): prices.input must be a number of USD per token, 0 or more (e.g. 0.000005 for $5 per million tokens)"],
    [{ prices: {} }, "ambient-langfuse:modelPrices[0] (claude-opus-4-8) needs prices: USD per token for any of input, output, cache_read_input_tokens, cache_creation_input_tokens"],
    [{ startDate: "2026-02-30" }, 'ambient-langfuse:modelPrices[0] (claude-opus-4-8) needs startDate, the day its prices apply from, as YYYY-MM-DD (e.g. "2026-09-01")'],
    [{ startDate: undefined }, 'ambient-langfuse:modelPrices[0] (claude-opus-4-8) needs startDate, the day its prices apply from, as YYYY-MM-DD (e.g. "2026-09-01")'],
    [{ examples: [] }, 'ambient-langfuse:modelPrices[0] (claude-opus-4-8) needs examples: a list of the model names its pattern must match, e.g. ["claude-opus-4-8"]'],
    [{ matchPattern: "" }, 'ambient-langfuse:modelPrices[0] (claude-opus-4-8) has no matchPattern: give the PostgreSQL regular expression Langfuse matches model names with, e.g. "(?i)^claude-opus-4-8$"'],
    [{ tiers: [] }, "ambient-langfuse:modelPrices[0] (claude-opus-4-8) has unknown keys tiers: use modelName, matchPattern, startDate, prices, examples"],
  ])("refuses %j, naming the entry", (change, problem) => {
    expect(modelPriceProblems([{ ...OPUS, ...change }])).toEqual([problem]);
  });

  it("refuses an entry without a name, a second entry of one name, and a value that is not a list", () => {
    expect(modelPriceProblems([{ ...OPUS, modelName: "" }])).toEqual([
      'ambient-langfuse:modelPrices[0] has no modelName: give the model definition\'s name, e.g. "claude-opus-4-8"',
    ]);
    expect(modelPriceProblems([OPUS, OPUS])).toEqual([
      "ambient-langfuse:modelPrices[1] (claude-opus-4-8) names the model of ambient-langfuse:modelPrices[0] again: Langfuse keeps one " +
        "definition per model name in a project; merge the two",
    ]);
    expect(modelPriceProblems(OPUS)).toEqual([
      "ambient-langfuse:modelPrices must be a list of model definitions, each {modelName, matchPattern, startDate, prices: {input, output, …}, examples: [model names]}",
    ]);
  });

  it("stops the settings with every refusal, as pulumi up would before registering anything", () => {
    expect(() => parseSettings({ adminEmail: "admin@example.com", modelPrices: JSON.stringify([{ ...OPUS, examples: ["claude-opus-5"] }]) })).toThrow(ConfigError);
  });
});

describe("what the program registers in each Langfuse project the runners write into", () => {
  const MODEL = "pulumi-nodejs:dynamic/langfuse:Model";
  const PRICES = { modelPrices: [OPUS] };
  const ownPair = (namespace: string, i: number) => ({ namespace, publicKey: { secure: `v1:cGstJHtpfQ==${i}` }, secretKey: { secure: `v1:c2stJHtpfQ==${i}` } });
  const models = async (settings: Record<string, unknown>) => {
    const r = await renderStack("dev", loadStackConfig("dev", REPO_ROOT, { ...PRICES, ...settings }));
    return r.resources.filter((x) => x.type === MODEL);
  };

  it("shared: the one definition in the bootstrap project, which every namespace writes into, after the release", async () => {
    const [model, ...more] = await models({});
    expect(more).toEqual([]);
    expect(model!.name).toBe("model-prices-ambient-code-platform-claude-opus-4-8");
    expect(model!.inputs).toEqual({
      apiUrl: "http://langfuse.local",
      retry: { attempts: 10, initialDelayMs: 2_000, maxDelayMs: 30_000, timeoutMs: 30_000 },
      publicKey: "[secret]",
      secretKey: "[secret]",
      project: "ambient-code-platform",
      modelName: "claude-opus-4-8",
      matchPattern: "(?i)^(anthropic/)?claude-opus-4-8$",
      startDate: "2026-09-01T00:00:00.000Z",
      unit: "TOKENS",
      prices: OPUS.prices,
    });
    expect(model!.options.dependsOn).toEqual(["ambient-langfuse:langfuse:LangfuseRelease::langfuse"]);
    expect(model!.propertyDependencies.secretKey).toEqual(["random:index/randomUuid:RandomUuid::bootstrap-secretKey"]);
  }, 120_000);

  it("strict: in the bootstrap project and in each project's own, with that project's pair, never printed", async () => {
    const found = await models({ isolation: "strict", projects: [ownPair("team-a", 1), ownPair("team-b", 2)] });
    expect(found.map((m) => [m.inputs.project, m.inputs.secretKey])).toEqual([
      ["ambient-code-platform", "[secret]"],
      ["team-a", "[secret]"],
      ["team-b", "[secret]"],
    ]);
  }, 120_000);

  it("provisioned: in each provisioned project with its provisioned pair, made once Langfuse created it", async () => {
    const found = await models({ isolation: "provisioned", licenseKey: { secure: "v1:bGljZW5zZQ==" }, projects: ["team-a", ownPair("team-b", 2)] });
    expect(found.map((m) => [m.inputs.project, m.propertyDependencies.publicKey ?? []])).toEqual([
      ["ambient-code-platform", ["random:index/randomUuid:RandomUuid::bootstrap-publicKey"]],
      ["team-a", ["pulumi-nodejs:dynamic/langfuse:ProjectApiKey::langfuse-project-team-a-keys"]],
      ["team-b", []],
    ]);
  }, 120_000);

  it("nothing without modelPrices", async () => {
    const r = await renderStack("dev", loadStackConfig("dev", REPO_ROOT));
    expect(r.resources.filter((x) => x.type.startsWith("pulumi-nodejs:"))).toEqual([]);
  }, 120_000);
});
