import { describe, expect, it } from "vitest";
import { readConfig } from "../src/config";

const keys = { LANGFUSE_PUBLIC_KEY: "pk-lf-1b4e28ba-2fa1-11d2-883f-0016d3cca427", LANGFUSE_SECRET_KEY: "sk-lf-7c9e6679-7425-40de-944b-e07fc1f90ae7" };

describe("configuration from the environment", () => {
  it("reads the runner pod's variables", () => {
    const config = readConfig({
      ...keys,
      LANGFUSE_BASE_URL: "http://langfuse-web.langfuse.svc.cluster.local:3000/",
      AGENTIC_SESSION_NAME: "fix-login-bug-7x2k",
      AGENTIC_SESSION_NAMESPACE: "team-payments",
      USER_ID: "alice",
      INTERACTIVE: "true",
      LANGFUSE_MASK_MESSAGES: "true",
      LANGFUSE_MAX_FIELD_BYTES: "4096",
      LANGFUSE_SEND_COST: "false",
    });
    expect(config).toMatchObject({
      enabled: true,
      baseUrl: "http://langfuse-web.langfuse.svc.cluster.local:3000",
      sessionName: "fix-login-bug-7x2k",
      project: "team-payments",
      userId: "alice",
      interactive: true,
      maskMessages: true,
      maxFieldBytes: 4096,
      sendCost: false,
      warnings: [],
    });
  });

  it("accepts the platform's older LANGFUSE_HOST and prefers LANGFUSE_PROJECT over the namespace", () => {
    const config = readConfig({ ...keys, LANGFUSE_HOST: "https://langfuse.apps.rosa.example.com", LANGFUSE_PROJECT: "payments", AGENTIC_SESSION_NAMESPACE: "team-payments" });
    expect(config).toMatchObject({ enabled: true, baseUrl: "https://langfuse.apps.rosa.example.com", project: "payments", maxFieldBytes: 32_768, maskMessages: true, sendCost: false });
  });

  it.each([
    [undefined, true],
    ["", true],
    ["true", true],
    ["1", true],
    ["off", true],
    ["anything", true],
    ["false", false],
    [" FALSE ", false],
    ["0", false],
    ["no", false],
  ])("masks messages as the platform's runner does: LANGFUSE_MASK_MESSAGES=%j masks: %s", (value, masked) => {
    expect(readConfig({ ...keys, LANGFUSE_HOST: "http://langfuse-web:3000", ...(value === undefined ? {} : { LANGFUSE_MASK_MESSAGES: value }) }).maskMessages).toBe(masked);
  });

  it("says that a value it does not know keeps messages masked", () => {
    expect(readConfig({ LANGFUSE_MASK_MESSAGES: "off" }).warnings).toEqual(['LANGFUSE_MASK_MESSAGES is "off": messages stay masked; only false (or 0, no) sends them.']);
    expect(readConfig({ LANGFUSE_MASK_MESSAGES: "true" }).warnings).toEqual([]);
  });

  it("drops credentials from the endpoint, saying so without them", () => {
    const config = readConfig({ ...keys, LANGFUSE_HOST: "http://admin:UrlPassw0rd@langfuse-web.langfuse.svc.cluster.local:3000/" });
    expect(config.baseUrl).toBe("http://langfuse-web.langfuse.svc.cluster.local:3000");
    expect(config.warnings).toEqual(["LANGFUSE_HOST carries a user name or password; they are not used (Langfuse takes LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY) and were removed."]);
    expect(JSON.stringify(config)).not.toContain("UrlPassw0rd");
  });

  it("is off without keys or endpoint, saying which variables are missing and never their values", () => {
    expect(readConfig({})).toMatchObject({
      enabled: false,
      disabledReason: "LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY, LANGFUSE_BASE_URL (or LANGFUSE_HOST) are not set",
    });
    const noUrl = readConfig({ ...keys });
    expect(noUrl).toMatchObject({ enabled: false, disabledReason: "LANGFUSE_BASE_URL (or LANGFUSE_HOST) is not set" });
    expect(JSON.stringify(noUrl.disabledReason)).not.toContain("sk-lf");
  });

  it("is off when the endpoint is not an http(s) URL, without repeating it (it may hold credentials)", () => {
    const config = readConfig({ ...keys, LANGFUSE_HOST: "langfuse-web:3000" });
    expect(config).toMatchObject({ enabled: false, disabledReason: "LANGFUSE_HOST is not an http(s) URL" });
    expect(readConfig({ ...keys, LANGFUSE_BASE_URL: "::admin:hunter2@nowhere::" }).disabledReason).toBe("LANGFUSE_BASE_URL is not an http(s) URL");
  });

  it("is off when LANGFUSE_ENABLED is false, even with keys", () => {
    expect(readConfig({ ...keys, LANGFUSE_BASE_URL: "http://x:3000", LANGFUSE_ENABLED: "false" })).toMatchObject({ enabled: false, disabledReason: "LANGFUSE_ENABLED is false" });
  });

  it("warns about values it cannot use and falls back to the default", () => {
    const config = readConfig({ LANGFUSE_MAX_FIELD_BYTES: "32k", LANGFUSE_SEND_COST: "maybe" });
    expect(config.maxFieldBytes).toBe(32_768);
    expect(config.sendCost).toBe(false);
    expect(config.warnings).toEqual([
      'LANGFUSE_MAX_FIELD_BYTES is "32k": use a whole number of bytes, at least 256; using 32768.',
      'LANGFUSE_SEND_COST is "maybe": use true or false.',
    ]);
  });
});

describe("the wrapper's settings", () => {
  const keys = { LANGFUSE_PUBLIC_KEY: "pk-lf-1", LANGFUSE_SECRET_KEY: "sk-lf-1", LANGFUSE_BASE_URL: "http://langfuse-web:3000" };

  it("flush deadline: 2000 ms by default, LANGFUSE_FLUSH_TIMEOUT_MS otherwise, a bad value reported", () => {
    expect(readConfig(keys).flushTimeoutMs).toBe(2_000);
    expect(readConfig({ ...keys, LANGFUSE_FLUSH_TIMEOUT_MS: "500" }).flushTimeoutMs).toBe(500);
    const bad = readConfig({ ...keys, LANGFUSE_FLUSH_TIMEOUT_MS: "2s" });
    expect(bad.flushTimeoutMs).toBe(2_000);
    expect(bad.warnings).toEqual(['LANGFUSE_FLUSH_TIMEOUT_MS is "2s": use a whole number of milliseconds from 0 to 60000; using 2000.']);
  });

  it("LANGFUSE_ENABLED decides for the wrapper as it does for the runner (the image leaves it alone)", () => {
    expect(readConfig({ ...keys, LANGFUSE_ENABLED: "true" }).enabled).toBe(true);
    expect(readConfig({ ...keys, LANGFUSE_ENABLED: "false" })).toMatchObject({ enabled: false, disabledReason: "LANGFUSE_ENABLED is false" });
    // A variable the wrapper once read instead: no longer consulted.
    expect(readConfig({ ...keys, LANGFUSE_ENABLED: "true", CLAUDE_LANGFUSE_ENABLED: "false" }).enabled).toBe(true);
  });

  it("CLAUDE_LANGFUSE_MAX_QUEUED bounds what waits for Langfuse", () => {
    expect(readConfig(keys).maxQueued).toBe(10_000);
    expect(readConfig({ ...keys, CLAUDE_LANGFUSE_MAX_QUEUED: "2000" }).maxQueued).toBe(2_000);
    expect(readConfig({ ...keys, CLAUDE_LANGFUSE_MAX_QUEUED: "5" }).warnings).toHaveLength(1);
  });
});
