import { describe, expect, it } from "vitest";
import { redactText, redactValue } from "../src/redact";

// Real-looking secrets, assembled from parts so no scanner mistakes this file for a leak.
const ALPHABET = "A7xQ2mK9pL4vR8sT1wZ3bN6cD5fG0hJu";
const alnum = (n: number, seed = 7) => Array.from({ length: n }, (_, i) => ALPHABET[(i * seed) % ALPHABET.length]).join("");
const ANTHROPIC = ["sk", "ant", "api03", alnum(93)].join("-") + "AA";
const OPENAI = ["sk", "proj", alnum(64)].join("-");
const GITHUB = "ghp" + "_" + alnum(36);
const GITHUB_FINE = "github" + "_pat_" + "11ABCDEFG0" + alnum(72, 11);
const GITLAB = "glpat" + "-" + alnum(20, 3);
const AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE";
const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY";
const GOOGLE = "AIza" + "Sy" + alnum(33, 5);
const LANGFUSE_SECRET = "sk-lf-" + "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const LANGFUSE_PUBLIC = "pk-lf-" + "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
const JWT = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0." + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
const PEM = ["-----BEGIN RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA" + alnum(48), alnum(64, 9), "-----END RSA PRIVATE KEY-----"].join("\n");

describe("redaction", () => {
  it("redacts an `env` dump line by line, keeping the variable names", () => {
    const env = [
      `ANTHROPIC_API_KEY=${ANTHROPIC}`,
      `OPENAI_API_KEY=${OPENAI}`,
      `GITHUB_TOKEN=${GITHUB}`,
      `GITLAB_TOKEN=${GITLAB}`,
      `AWS_ACCESS_KEY_ID=${AWS_ID}`,
      `AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`,
      `GOOGLE_API_KEY=${GOOGLE}`,
      `LANGFUSE_SECRET_KEY=${LANGFUSE_SECRET}`,
      `LANGFUSE_PUBLIC_KEY=${LANGFUSE_PUBLIC}`,
      "HOME=/home/runner",
    ].join("\n");
    expect(redactText(env)).toBe(
      [
        "ANTHROPIC_API_KEY=[REDACTED:anthropic-key]",
        "OPENAI_API_KEY=[REDACTED:openai-key]",
        "GITHUB_TOKEN=[REDACTED:github-token]",
        "GITLAB_TOKEN=[REDACTED:gitlab-token]",
        "AWS_ACCESS_KEY_ID=[REDACTED:aws-access-key-id]",
        "AWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret-access-key]",
        "GOOGLE_API_KEY=[REDACTED:google-api-key]",
        "LANGFUSE_SECRET_KEY=[REDACTED:langfuse-key]",
        "LANGFUSE_PUBLIC_KEY=[REDACTED:langfuse-key]",
        "HOME=/home/runner",
      ].join("\n"),
    );
  });

  it("redacts bearer tokens and basic credentials in a curl command", () => {
    const curl = `curl -H "Authorization: Bearer ${JWT}" https://api.example.com/v1/me && curl -H 'Authorization: Basic cGstbGYtMTIzOnNrLWxmLTQ1Ng==' http://langfuse-web:3000/api/public/health`;
    expect(redactText(curl)).toBe(
      `curl -H "Authorization: Bearer [REDACTED:bearer-token]" https://api.example.com/v1/me && curl -H 'Authorization: Basic [REDACTED:basic-auth]' http://langfuse-web:3000/api/public/health`,
    );
  });

  it("redacts a private key block whole", () => {
    expect(redactText(`Here is the deploy key:\n${PEM}\nUse it carefully.`)).toBe("Here is the deploy key:\n[REDACTED:private-key]\nUse it carefully.");
  });

  it("redacts password-style pairs in .env files, JSON, YAML and URLs, keeping the names", () => {
    expect(redactText("DB_PASSWORD=hunter2-Prod!\nDB_USER=app")).toBe("DB_PASSWORD=[REDACTED:password]\nDB_USER=app");
    expect(redactText('{"username": "admin", "password": "s3cr3t-Pa55"}')).toBe('{"username": "admin", "password": "[REDACTED:password]"}');
    expect(redactText("  client_secret: 9f8e7d6c5b4a")).toBe("  client_secret: [REDACTED:password]");
    expect(redactText("git remote add origin https://deploy:Zx81Spectrum@gitlab.example.com/team/repo.git")).toBe(
      "git remote add origin https://deploy:[REDACTED:url-credentials]@gitlab.example.com/team/repo.git",
    );
    expect(redactText(`token from ${GITHUB_FINE}.`)).toBe("token from [REDACTED:github-token].");
    // Every name of the rule passes the pre-check, whatever its case.
    expect(redactText("PASSWD=x9-Lk2 Pwd: abc123 APIKEY=k-77 AUTH_TOKEN=t1.t2 access_token=q refresh_token: r private_key=p secret_key=s")).toBe(
      "PASSWD=[REDACTED:password] Pwd: [REDACTED:password] APIKEY=[REDACTED:password] AUTH_TOKEN=[REDACTED:password] access_token=[REDACTED:password] refresh_token: [REDACTED:password] private_key=[REDACTED:password] secret_key=[REDACTED:password]",
    );
  });

  it("leaves ordinary session text alone", () => {
    const ordinary = [
      "Bearer authentication is configured in middleware.ts; Basic auth is disabled.",
      'usage: {"input_tokens": 3, "output_tokens": 412, "cache_read_input_tokens": 14210}',
      "msg_01SKH8mETwgup9XkAZAFscCL toolu_01Bue4NWfKq8CB3jUprqULNs commit 4dfa520",
      "The password policy requires 12 characters; see docs/secrets.md.",
      "pip install scikit-learn && task-runner --ask",
      "42 passed, 0 failed; max_tokens reached; see https://example.com/docs?page=2#tokens",
    ].join("\n");
    expect(redactText(ordinary)).toBe(ordinary);
  });

  it("redacts every string inside structured values and keeps the structure", () => {
    const toolInput = { command: `export ANTHROPIC_API_KEY=${ANTHROPIC}`, timeout: 120_000, tags: ["ok", `Bearer ${JWT}`] };
    expect(redactValue(toolInput)).toEqual({
      command: "export ANTHROPIC_API_KEY=[REDACTED:anthropic-key]",
      timeout: 120_000,
      tags: ["ok", "Bearer [REDACTED:bearer-token]"],
    });
  });
});
