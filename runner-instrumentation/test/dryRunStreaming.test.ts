import { describe, expect, it } from "vitest";
import { readConfig } from "../src/config";
import { DryRunExporter } from "../src/dryRunExporter";
import { sequentialIds } from "../src/ids";
import { replayFiles } from "../src/replay";
import { allRecordings, recording } from "./recordingsPath";

describe("replay --dry-run, streamed", () => {
  it("prints, trace by trace, exactly the document the kept traces make", async () => {
    const files = allRecordings().map(recording);
    const config = readConfig({ AGENTIC_SESSION_NAME: "stream-check" });
    const kept = new DryRunExporter();
    await replayFiles(files, { config, exporter: kept, ids: sequentialIds(), warn: () => undefined });
    let text = "";
    const streamed = new DryRunExporter((t) => (text += t));
    await replayFiles(files, { config, exporter: streamed, ids: sequentialIds(), warn: () => undefined });
    await streamed.shutdown();
    // stream-json lines carry no time: the read time stands in, and differs between the runs.
    const timeless = (t: string) => t.replace(/"\d{4}-\d\d-\d\dT[\d:.]+Z"/g, '"<time>"');
    expect(timeless(text)).toBe(timeless(`${JSON.stringify(kept.document(), null, 2)}\n`));
  });

  it("prints an empty document when there is nothing to print", async () => {
    let text = "";
    const streamed = new DryRunExporter((t) => (text += t));
    await streamed.shutdown();
    expect(JSON.parse(text)).toEqual({ traces: [] });
  });
});
