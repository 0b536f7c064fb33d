import { describe, expect, it } from "vitest";
import type { ObservationEvent } from "../src/events";
import { prepareEvent, truncateField, TRUNCATION_MARK } from "../src/mask";

const trace = { id: "4bf92f3577b34da6a3ce929d0e0e4736", name: "claude-code", sessionId: "fix-login-bug-7x2k", tags: ["claude-code"], metadata: { project: "team-payments" } };

const generation: ObservationEvent = {
  trace,
  observation: {
    id: "00f067aa0ba902b7",
    parentId: "53995c3f42cd8ad8",
    type: "generation",
    name: "claude",
    model: "claude-sonnet-4-5-20250929",
    usageDetails: { input: 3, output: 187, cache_read_input_tokens: 14_210, cache_creation_input_tokens: 2_034 },
    level: "DEFAULT",
    startTime: new Date("2026-02-09T12:00:00.000Z"),
    endTime: new Date("2026-02-09T12:00:05.000Z"),
    input: [{ role: "user", content: "Deploy with GITHUB_TOKEN=ghp_" + "A7xQ2mK9pL4vR8sT1wZ3bN6cD5fG0hJu1234" }],
    output: { role: "assistant", content: [{ type: "text", text: "Deploying." }] },
    metadata: { messageId: "msg_01A", usageSource: "assistant-line" },
  },
};

const failedTool: ObservationEvent = {
  trace,
  observation: {
    id: "1a2b3c4d5e6f7081",
    parentId: "53995c3f42cd8ad8",
    type: "tool",
    name: "Bash",
    level: "ERROR",
    statusMessage: "cat: /home/runner/.env: password=hunter2",
    startTime: new Date("2026-02-09T12:00:05.000Z"),
    endTime: new Date("2026-02-09T12:00:06.000Z"),
    input: { command: "cat ~/.env" },
    output: "cat: /home/runner/.env: password=hunter2",
    metadata: { toolUseId: "toolu_01X" },
  },
};

const settings = { maskMessages: false, maxFieldBytes: 32_768 };

describe("the export filter", () => {
  it("redacts inputs, outputs and status messages and leaves usage, timing and ids as they are", () => {
    const out = prepareEvent(generation, settings);
    expect(out.observation.input).toEqual([{ role: "user", content: "Deploy with GITHUB_TOKEN=[REDACTED:github-token]" }]);
    expect(out.observation.usageDetails).toEqual(generation.observation.usageDetails);
    expect(out.observation.startTime).toEqual(generation.observation.startTime);
    expect(out.observation.id).toBe(generation.observation.id);
    expect(prepareEvent(failedTool, settings).observation.statusMessage).toBe("cat: /home/runner/.env: password=[REDACTED:password]");
    // The mapper's event is not modified.
    expect(JSON.stringify(generation.observation.input)).toContain("ghp_");
  });

  it("with masking, drops inputs, outputs and the error text, and keeps structure, level, timing and usage", () => {
    const masked = { ...settings, maskMessages: true };
    const gen = prepareEvent(generation, masked).observation;
    expect(gen.input).toBeUndefined();
    expect(gen.output).toBeUndefined();
    expect(gen).toMatchObject({ type: "generation", model: "claude-sonnet-4-5-20250929", usageDetails: { output: 187 }, parentId: "53995c3f42cd8ad8" });
    const tool = prepareEvent(failedTool, masked).observation;
    expect(tool).toMatchObject({ level: "ERROR", statusMessage: "tool call failed (message masked)", name: "Bash" });
    expect(tool.input).toBeUndefined();
    expect(tool.output).toBeUndefined();
  });

  it("cuts an oversized field to the byte limit, on a character boundary, and marks it", () => {
    const longOutput = "é".repeat(40_000); // 80,000 bytes of two-byte characters
    const out = prepareEvent({ trace, observation: { ...failedTool.observation, output: longOutput } }, settings).observation.output as string;
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(32_768);
    expect(out).toMatch(/^é+…\[truncated by claude-langfuse: kept \d+ of 80000 bytes\]$/);
    expect(out).not.toContain("\uFFFD");
  });

  it("serializes structured values before measuring them", () => {
    const value = { files: Array.from({ length: 100 }, (_, i) => `src/module${i}.ts`) };
    const cut = truncateField(value, 256) as string;
    expect(typeof cut).toBe("string");
    expect(cut.startsWith('{"files":["src/module0.ts","src/module1.ts"')).toBe(true);
    expect(cut).toContain(TRUNCATION_MARK);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(256);
    expect(truncateField(value, 10_000)).toBe(value);
  });
});
