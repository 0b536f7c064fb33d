import { describe, expect, it } from "vitest";
import {
  allocateCost,
  attributeCalls,
  modelIdentity,
  priceableModelName,
  reconcile,
  sameModel,
  spreadCost,
  turnFigures,
  type CallUsage,
  type ResultFigures,
} from "../src/accounting";
import type { UsageDetails } from "../src/events";
import type { ModelUsageEntry } from "../src/usage";

const u = (input: number, output: number, cacheRead: number, cacheWrite: number): UsageDetails => ({
  input,
  output,
  cache_read_input_tokens: cacheRead,
  cache_creation_input_tokens: cacheWrite,
});

/** A `result.modelUsage` entry as CLI 2.1.332 writes it. */
const entry = (input: number, output: number, cacheRead: number, cacheWrite: number, costUSD?: number): ModelUsageEntry => ({
  inputTokens: input,
  outputTokens: output,
  cacheReadInputTokens: cacheRead,
  cacheCreationInputTokens: cacheWrite,
  webSearchRequests: 0,
  ...(costUSD === undefined ? {} : { costUSD }),
  contextWindow: 200_000,
  maxOutputTokens: 32_000,
});

describe("sameModel: one model under every name it goes by", () => {
  const same: Array<[string, string, string]> = [
    ["the alias the CLI was given and the dated id the API answered with", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"],
    ["the CLI's bracketed context suffix", "claude-opus-4-6[1m]", "claude-opus-4-6"],
    ["a suffixed alias and a dated id", "claude-sonnet-4-5[1m]", "claude-sonnet-4-5-20250929"],
    ["a provider prefix", "anthropic/claude-sonnet-4-5", "claude-sonnet-4-5-20250929"],
    ["a Bedrock cross-region inference profile", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"],
    ["a Bedrock model id", "anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022"],
    ["a Bedrock ARN", "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"],
    ["a Vertex id", "claude-sonnet-4-5@20250929", "claude-sonnet-4-5-20250929"],
    ["a Vertex id with a version", "claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet-20241022"],
    ["a Vertex publisher path", "publishers/anthropic/models/claude-opus-4-1@20250805", "claude-opus-4-1"],
    ["a -latest alias", "claude-3-5-haiku-latest", "claude-3-5-haiku-20241022"],
    ["case", "Claude-Sonnet-4-5", "claude-sonnet-4-5-20250929"],
    ["an identical name that is not Claude's", "glm-5.1", "glm-5.1"],
  ];
  it.each(same)("%s", (_, a, b) => {
    expect(sameModel(a, b)).toBe(true);
    expect(sameModel(b, a)).toBe(true);
  });

  const different: Array<[string, string, string]> = [
    ["another model of the family", "claude-sonnet-4-5", "claude-sonnet-4-5-1"],
    ["another generation", "claude-sonnet-4", "claude-sonnet-4-5-20250929"],
    ["another tier", "claude-haiku-4-5", "claude-sonnet-4-5-20250929"],
    ["two different snapshots", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20251111"],
    ["a Vertex snapshot against another dated id", "claude-sonnet-4-5@20250929", "claude-sonnet-4-5-20251111"],
  ];
  it.each(different)("tells apart %s", (_, a, b) => {
    expect(sameModel(a, b)).toBe(false);
    expect(sameModel(b, a)).toBe(false);
  });

  it("takes a name apart into family and snapshot", () => {
    expect(modelIdentity("us.anthropic.claude-sonnet-4-5-20250929-v1:0")).toEqual({ family: "claude-sonnet-4-5", snapshot: "20250929" });
    expect(modelIdentity("claude-opus-4-6[1m]")).toEqual({ family: "claude-opus-4-6" });
  });

  it("prices a modelUsage key under its name without the bracketed suffix", () => {
    expect(priceableModelName("claude-opus-4-6[1m]")).toBe("claude-opus-4-6");
    expect(priceableModelName("claude-sonnet-4-5")).toBe("claude-sonnet-4-5");
  });
});

describe("attributeCalls", () => {
  it("counts each call under the key naming its model, an exact name first", () => {
    const calls: CallUsage[] = [
      { model: "claude-sonnet-4-5-20250929", usage: u(1, 1, 1, 1) },
      { model: "claude-haiku-4-5-20251001", usage: u(1, 1, 1, 1) },
      { model: "claude-sonnet-4-5", usage: u(1, 1, 1, 1) },
      { usage: u(1, 1, 1, 1) },
    ];
    expect(attributeCalls(calls, ["claude-haiku-4-5", "claude-sonnet-4-5[1m]", "claude-sonnet-4-5"])).toEqual([
      "claude-sonnet-4-5[1m]",
      "claude-haiku-4-5",
      "claude-sonnet-4-5",
      undefined,
    ]);
  });

  it("takes one key and calls of one model as the same model, whatever the names (a gateway renaming it)", () => {
    const calls: CallUsage[] = [
      { model: "acme-gateway/sonnet-prod", usage: u(1, 1, 1, 1) },
      { model: "acme-gateway/sonnet-prod", usage: u(1, 1, 1, 1) },
    ];
    expect(attributeCalls(calls, ["claude-sonnet-4-5"])).toEqual(["claude-sonnet-4-5", "claude-sonnet-4-5"]);
    // Two models that match no key are not guessed at.
    expect(attributeCalls([...calls, { model: "acme-gateway/haiku", usage: u(1, 1, 1, 1) }], ["claude-sonnet-4-5"])).toEqual([undefined, undefined, undefined]);
  });
});

describe("reconcile: what the calls miss of the CLI's modelUsage", () => {
  // Three calls served for `--model claude-sonnet-4-5`: 3,606 input, 666 output, 63,066 cache
  // read, 9,066 cache write. Without partial messages the stream shows each call's output as a
  // placeholder of 2; the result's modelUsage is keyed by the alias.
  const servedWithoutPartials: CallUsage[] = [
    { model: "claude-sonnet-4-5-20250929", usage: u(1_200, 2, 21_000, 3_000) },
    { model: "claude-sonnet-4-5-20250929", usage: u(1_202, 2, 21_022, 3_022) },
    { model: "claude-sonnet-4-5-20250929", usage: u(1_204, 2, 21_044, 3_044) },
  ];
  const modelUsage = { "claude-sonnet-4-5": entry(3_606, 666, 63_066, 9_066, 0.0615) };

  it("an alias key and dated generations: only the output the placeholders miss, under the answered name", () => {
    expect(reconcile(servedWithoutPartials, modelUsage)).toEqual([
      {
        modelUsageKey: "claude-sonnet-4-5",
        model: "claude-sonnet-4-5-20250929",
        reportedByCli: u(3_606, 666, 63_066, 9_066),
        tracedInCalls: u(3_606, 6, 63_066, 9_066),
        missing: u(0, 660, 0, 0),
      },
    ]);
  });

  it("nothing at all when the calls carry exact figures (partial messages)", () => {
    const exact = servedWithoutPartials.map((c, i) => ({ ...c, usage: { ...c.usage, output: [200, 222, 244][i]! } }));
    expect(reconcile(exact, modelUsage)).toEqual([]);
  });

  it("a key with the CLI's [1m] suffix", () => {
    const gaps = reconcile([{ model: "claude-opus-4-6", usage: u(10, 3, 40_000, 0) }], { "claude-opus-4-6[1m]": entry(10, 900, 40_000, 0) });
    expect(gaps.map((g) => [g.modelUsageKey, g.model, g.missing])).toEqual([["claude-opus-4-6[1m]", "claude-opus-4-6", u(0, 897, 0, 0)]]);
  });

  it("a model no call showed (a helper call): the whole entry, named after the key without its suffix", () => {
    const gaps = reconcile(servedWithoutPartials, { ...modelUsage, "claude-haiku-4-5[1m]": entry(620, 48, 0, 0) });
    expect(gaps.map((g) => [g.modelUsageKey, g.model, g.missing])).toEqual([
      ["claude-sonnet-4-5", "claude-sonnet-4-5-20250929", u(0, 660, 0, 0)],
      ["claude-haiku-4-5[1m]", "claude-haiku-4-5", u(620, 48, 0, 0)],
    ]);
  });

  it("never a negative gap: calls above the report leave that figure alone", () => {
    const gaps = reconcile([{ model: "glm-5.1", usage: u(500, 40, 0, 0) }], { "glm-5.1": entry(400, 90, 0, 0) });
    expect(gaps.map((g) => g.missing)).toEqual([u(0, 50, 0, 0)]);
  });
});

describe("cost", () => {
  it("spreads a total by Anthropic's price weights, adding up to exactly the total", () => {
    // weights 100 + 5 × 200 = 1,100 and 300 + 5 × 100 = 800 and 250 (50 output)
    const shares = spreadCost([u(100, 200, 0, 0), u(300, 100, 0, 0), u(0, 50, 0, 0)], 0.0215);
    expect(shares[0]).toBeCloseTo(0.011, 12);
    expect(shares[1]).toBeCloseTo(0.008, 12);
    expect(shares[2]).toBeCloseTo(0.0025, 12);
    expect(spreadCost([u(0, 0, 0, 0), u(0, 0, 0, 0)], 0.01)).toEqual([0.005, 0.005]);
  });

  it("allocates each key's costUSD to the calls counted under it, dated names included", () => {
    const calls: CallUsage[] = [
      { model: "claude-sonnet-4-5-20250929", usage: u(100, 200, 0, 0) },
      { model: "claude-haiku-4-5-20251001", usage: u(1_000, 10, 0, 0) },
      { model: "claude-sonnet-4-5-20250929", usage: u(300, 100, 0, 0) },
      { model: "claude-sonnet-4-5-20250929", usage: u(0, 50, 0, 0), modelUsageKey: "claude-sonnet-4-5" },
      { model: "gpt-9", usage: u(1, 1, 0, 0) },
    ];
    const costs = allocateCost(calls, { "claude-sonnet-4-5": entry(400, 350, 0, 0, 0.0215), "claude-haiku-4-5": entry(1_000, 10, 0, 0, 0.00105) });
    expect(costs[0]).toBeCloseTo(0.011, 12);
    expect(costs[1]).toBeCloseTo(0.00105, 12);
    expect(costs[2]).toBeCloseTo(0.008, 12);
    expect(costs[3]).toBeCloseTo(0.0025, 12);
    expect(costs[4]).toBeUndefined();
  });
});

describe("turnFigures: a turn's share of the session's results", () => {
  // Two turns over stream-json input, as CLI 2.1.332 reported them: cost, API time and
  // modelUsage cumulative; num_turns and duration_ms for the run alone.
  const first: ResultFigures = { costUsd: 0.060552, numTurns: 1, durationMs: 1_338, durationApiMs: 1_126, modelUsage: { "claude-sonnet-4-5": entry(4, 31, 0, 16_000, 0.060552) } };
  const second: ResultFigures = {
    costUsd: 0.0676395,
    numTurns: 1,
    durationMs: 1_169,
    durationApiMs: 2_234,
    modelUsage: { "claude-sonnet-4-5": entry(9, 69, 16_200, 16_446, 0.0676395), "claude-haiku-4-5": entry(620, 48, 0, 0, 0.001) },
  };

  it("subtracts the previous result's cumulative figures, keeps the per-run ones and the limits, and takes a new model as it is", () => {
    const turn = turnFigures(second, first);
    expect(turn.costUsd).toBeCloseTo(0.0070875, 12);
    expect(turn).toMatchObject({ numTurns: 1, durationMs: 1_169, durationApiMs: 1_108 });
    expect(turn.modelUsage["claude-sonnet-4-5"]).toMatchObject({ inputTokens: 5, outputTokens: 38, cacheReadInputTokens: 16_200, cacheCreationInputTokens: 446, contextWindow: 200_000, maxOutputTokens: 32_000 });
    expect(turn.modelUsage["claude-haiku-4-5"]).toEqual(second.modelUsage["claude-haiku-4-5"]);
  });

  it("takes the first result, and a result below the previous one (/clear, another session), as they are", () => {
    expect(turnFigures(first)).toBe(first);
    expect(turnFigures(first, second)).toBe(first);
    // The same cost but fewer tokens for a model: a new count too.
    const fewer = { ...second, modelUsage: { "claude-sonnet-4-5": entry(1, 1, 0, 0, 0.07) } };
    expect(turnFigures({ ...fewer, costUsd: 0.07 }, second)).toEqual({ ...fewer, costUsd: 0.07 });
  });
});
