import { describe, expect, it } from "vitest";
import { LineTap } from "../src/exec/lineTap";
import { createFaultReporter } from "../src/faultReporter";

const tick = () => new Promise((r) => setImmediate(r));
async function settle() {
  for (let i = 0; i < 5; i++) await tick();
}

describe("LineTap", () => {
  it("never parses while the chunk is being handed over: lines come on a later turn", async () => {
    const lines: string[] = [];
    const tap = new LineTap({ onLine: (l) => lines.push(l) });
    tap.push(Buffer.from('{"a":1}\n'));
    expect(lines).toEqual([]);
    await settle();
    expect(lines).toEqual(['{"a":1}']);
  });

  it("joins lines cut anywhere, multi-byte characters included, and keeps a last line with no newline", async () => {
    const text = '{"t":"café €"}\n{"t":"second"}\n\n{"t":"last, no newline"}';
    const bytes = Buffer.from(text);
    const lines: string[] = [];
    const tap = new LineTap({ onLine: (l) => lines.push(l) });
    for (let i = 0; i < bytes.length; i += 3) tap.push(bytes.subarray(i, i + 3));
    await settle();
    tap.finish();
    expect(lines).toEqual(['{"t":"café €"}', '{"t":"second"}', "", '{"t":"last, no newline"}']);
  });

  it("drops a line longer than it keeps, up to its newline, and says so", async () => {
    const lines: string[] = [];
    const skipped: string[] = [];
    const tap = new LineTap({ onLine: (l) => lines.push(l), maxLineBytes: 10, onSkipped: (r) => skipped.push(r) });
    tap.push(Buffer.from("short\n0123456789ABCDEF"));
    tap.push(Buffer.from("GHIJ\nafter\n"));
    await settle();
    expect(lines).toEqual(["short", "after"]);
    expect(skipped).toEqual(["long-line"]);
  });

  it("holds a bounded backlog: past it, chunks go untraced and the lines they touch are dropped whole", async () => {
    const lines: string[] = [];
    const skipped: number[] = [];
    const tap = new LineTap({ onLine: (l) => lines.push(l), maxPendingBytes: 16, onSkipped: (_, n) => skipped.push(n) });
    tap.push(Buffer.from("one\ntwo-start")); // 13 bytes, queued
    tap.push(Buffer.from("-two-end\nthree\n")); // would exceed 16: dropped
    await settle();
    tap.push(Buffer.from("four\n"));
    await settle();
    expect(lines).toEqual(["one", "four"]);
    expect(skipped).toEqual([15]);
  });
});

describe("fault reports", () => {
  it("are written once per kind and counted", () => {
    const written: string[] = [];
    const faults = createFaultReporter((l) => written.push(l));
    faults.report("export", "export failed: 500");
    faults.report("export", "export failed: 502");
    faults.report("deadline", "flush did not finish within 2000 ms");
    expect(written).toEqual(["claude-langfuse: export failed: 500\n", "claude-langfuse: flush did not finish within 2000 ms\n"]);
    expect(faults.counts()).toEqual({ export: 2, deadline: 1 });
  });

  it("never throw, even when stderr does", () => {
    const faults = createFaultReporter(() => {
      throw new Error("EPIPE");
    });
    expect(() => faults.report("x", "y")).not.toThrow();
  });
});
