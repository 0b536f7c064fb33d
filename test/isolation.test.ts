// Multi-project isolation on the open-source server: a project's own key pair (made in the Langfuse
// UI, given as secret settings), `isolation: shared | strict`, the operator integrations that can
// carry a pair to runners, what the plan shows, and the policy strict-projects-own-keys on the
// plan's record. Values are read as the real engine hands them to the program (decrypted, with
// `projects` marked secret as a whole) or as the offline plan stands them in (placeholders).
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { ConfigError, parseSettings, type Settings } from "../infra/config";
import { type PlannedResource, POLICIES, referenceContext, runPolicies } from "../infra/policies";
import { strictProjectsOwnKeys } from "../infra/policies/strictProjectsOwnKeys";
import { type Rendering, renderStack } from "../infra/render/mockHarness";
import { REPO_ROOT, type StackConfig, loadStackConfig } from "../infra/render/stackConfig";
import { StackFileError } from "../infra/render/stackFile";

const execFileAsync = promisify(execFile);
const ctx = referenceContext();
const SECRET = "kubernetes:core/v1:Secret";
const WIRING = "ambient-langfuse:projects:ProjectWiring";
const BOOTSTRAP_UUIDS = ["random:index/randomUuid:RandomUuid::bootstrap-publicKey", "random:index/randomUuid:RandomUuid::bootstrap-secretKey"];

// Pairs as the Langfuse UI creates them, one per Langfuse project.
const TEAM_A = { publicKey: "pk-lf-5f0c2b7e-91d4-4a63-b8e1-2c7d9a04f6b3", secretKey: "sk-lf-a83e6d10-4c2f-4b95-9e7a-61f0d3c8b2e4" };
const TEAM_B = { publicKey: "pk-lf-0d9b4e21-7a3c-4f58-8b16-e4c2a7f90d35", secretKey: "sk-lf-c61f8a93-2e5d-4b07-a4c9-3d8e1b6f72a0" };
const minimal = { adminEmail: "admin@example.com" };
const unwrap = (v: any) => (v && v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig ? v.value : v);

/** Settings as the real engine hands them over: values decrypted, `projects` secret once any key in it is. */
function engineSettings(projects: unknown[], more: Record<string, string> = {}, secret = true): Settings {
  return parseSettings({ ...minimal, projects: JSON.stringify(projects), ...more }, new Set(secret ? ["projects"] : []));
}

function problemsOf(projects: unknown[], more: Record<string, string> = {}, secret = true): string[] {
  try {
    engineSettings(projects, more, secret);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

/** Neither a key nor its UUID in what is said. */
function expectNoKey(text: string, ...keys: string[]): void {
  for (const key of keys) {
    expect(text).not.toContain(key);
    expect(text).not.toContain(key.slice(6));
  }
}

describe("a project's own key pair, read as the real engine hands it over", () => {
  it("takes a pair on an object entry and leaves every other project on the shared pair", () => {
    const s = engineSettings([{ namespace: "team-a", ...TEAM_A }, "team-b"]);
    expect(s.projects).toEqual([
      { namespace: "team-a", displayName: "team-a", keys: { source: "own", ...TEAM_A, readable: true } },
      { namespace: "team-b", displayName: "team-b", keys: { source: "shared" } },
    ]);
    expect([s.isolation, s.warnings]).toEqual(["shared", []]);
  });

  const TEAM_A_AT = "ambient-langfuse:projects[0].publicKey (team-a)";
  it.each([
    [
      "a public key that is no Langfuse key",
      { publicKey: "lf-5f0c2b7e-91d4-4a63-b8e1-2c7d9a04f6b3" },
      `${TEAM_A_AT} is not a Langfuse public key (its value is not shown): the Langfuse UI creates it as pk-lf- followed by a UUID; copy it whole, without spaces or line breaks`,
    ],
    [
      "a public key with a line break pasted after it",
      { publicKey: `${TEAM_A.publicKey}\n` },
      `${TEAM_A_AT} is not a Langfuse public key (its value is not shown): the Langfuse UI creates it as pk-lf- followed by a UUID; copy it whole, without spaces or line breaks`,
    ],
    [
      "a truncated secret key",
      { secretKey: TEAM_A.secretKey.slice(0, -4) },
      "ambient-langfuse:projects[0].secretKey (team-a) is not a Langfuse secret key (its value is not shown): the Langfuse UI creates it as sk-lf- followed by a UUID; copy it whole, without spaces or line breaks",
    ],
    [
      "the shortened secret key the UI lists",
      { secretKey: `sk-lf-...${TEAM_A.secretKey.slice(-4)}` },
      "ambient-langfuse:projects[0].secretKey (team-a) is the shortened form the Langfuse UI lists, not the whole secret key (its value is not shown): the UI shows the secret key whole only once, when the pair is created; create a new pair and copy both keys then",
    ],
    [
      "a secret key given as the public key",
      { publicKey: TEAM_B.secretKey },
      `${TEAM_A_AT} holds a secret key (sk-lf-…), not a public key (its value is not shown): set it to the project's public key, pk-lf-…`,
    ],
    [
      "a public key given as the secret key",
      { secretKey: TEAM_B.publicKey },
      "ambient-langfuse:projects[0].secretKey (team-a) holds a public key (pk-lf-…), not a secret key (its value is not shown): set it to the project's secret key, sk-lf-…",
    ],
    [
      "the two keys swapped",
      { publicKey: TEAM_A.secretKey, secretKey: TEAM_A.publicKey },
      "ambient-langfuse:projects[0] (team-a): publicKey and secretKey are swapped (publicKey holds an sk-lf- key and secretKey a pk-lf- key; values not shown): set each to the other's value",
    ],
  ])("refuses %s, naming the entry and never echoing a key", (_, change, message) => {
    const pair = { ...TEAM_A, ...change };
    const problems = problemsOf([{ namespace: "team-a", ...pair }]);
    expect(problems).toEqual([message]);
    expectNoKey(problems.join("\n"), TEAM_A.publicKey, TEAM_A.secretKey, TEAM_B.publicKey, TEAM_B.secretKey);
  });

  it.each([
    ["key pair", TEAM_A],
    ["public key", { ...TEAM_B, publicKey: TEAM_A.publicKey }],
    ["secret key", { ...TEAM_B, secretKey: TEAM_A.secretKey }],
  ])("refuses the same %s on two projects, naming both entries and never echoing a key", (what, second) => {
    const problems = problemsOf([{ namespace: "team-a", ...TEAM_A }, "team-b", { namespace: "team-c", ...second }]);
    expect(problems).toEqual([
      `ambient-langfuse:projects[2] (team-c) has the same ${what} as ambient-langfuse:projects[0] (team-a) (values not shown): two namespaces ` +
        "with one pair write into one Langfuse project; create a Langfuse project and API keys of its own for team-c in the Langfuse UI",
    ]);
    expectNoKey(problems.join("\n"), TEAM_A.publicKey, TEAM_A.secretKey, TEAM_B.publicKey, TEAM_B.secretKey);
  });

  it("refuses half a pair, saying which half is missing and how to set it", () => {
    expect(problemsOf([{ namespace: "team-a", publicKey: TEAM_A.publicKey }])).toEqual([
      "ambient-langfuse:projects[0].publicKey (team-a) is set, but projects[0].secretKey is not: a project's own key pair needs both, " +
        "created together in the Langfuse UI; set it with `pulumi config set --secret --path 'projects[0].secretKey' sk-lf-…`",
    ]);
  });

  it("refuses keys in plain text when nothing in projects is secret, which is all the engine tells", () => {
    const problems = problemsOf([{ namespace: "team-a", ...TEAM_A }], {}, false);
    expect(problems).toEqual(
      ["publicKey", "secretKey"].map(
        (f) =>
          `ambient-langfuse:projects[0].${f} (team-a) is in plain text in the stack file (its value is not shown): remove it there and ` +
          `set it with \`pulumi config set --secret --path 'projects[0].${f}' <value>\``,
      ),
    );
    expectNoKey(problems.join("\n"), TEAM_A.publicKey, TEAM_A.secretKey);
  });

  it("under the real engine cannot tell a plain key beside a secret one (projects is secret as a whole), so reads both; the offline plan refuses it", () => {
    // What the engine hands over for a stack file with publicKey set --secret and secretKey not: the same as for both secret.
    expect(engineSettings([{ namespace: "team-a", ...TEAM_A }]).projects[0]!.keys).toEqual({ source: "own", ...TEAM_A, readable: true });
    const root = projectDir({
      mixed: `config:\n  ambient-langfuse:adminEmail: admin@example.com\n  ambient-langfuse:projects:\n    - namespace: team-a\n      publicKey:\n        secure: v1:AAAA\n      secretKey: ${TEAM_A.secretKey}\n`,
    });
    let error: unknown;
    try {
      loadStackConfig("mixed", root);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StackFileError);
    expect((error as Error).message).toBe(
      `${root}/Pulumi.mixed.yaml:7:18: ambient-langfuse:projects[0].secretKey is in plain text (its value is not shown): remove it from the file ` +
        "and set it with `pulumi config set --secret --path 'projects[0].secretKey' <value>`",
    );
    expectNoKey((error as Error).message, TEAM_A.secretKey);
  });

  it("offline, leaves the shapes and duplicates of stood-in pairs to the real engine", () => {
    // Stand-ins the plan could not read: not even two alike are refused here.
    const undecrypted = ["publicKey", "secretKey"].flatMap((f) => [0, 1].map((i) => `ambient-langfuse:projects[${i}].${f}`));
    const s = parseSettings(
      { ...minimal, projects: JSON.stringify([{ namespace: "team-a", ...TEAM_A }, { namespace: "team-b", ...TEAM_A }]) },
      new Set(["projects"]),
      { unsetCredentials: "defer", undecrypted },
    );
    expect(s.projects.map((p) => p.keys)).toEqual([
      { source: "own", ...TEAM_A, readable: false },
      { source: "own", ...TEAM_A, readable: false },
    ]);
  });
});

describe("isolation: shared | strict", () => {
  it("is shared unless set, and takes only its two values", () => {
    expect(engineSettings(["team-a"]).isolation).toBe("shared");
    expect(problemsOf(["team-a"], { isolation: "per-project" })).toEqual(['ambient-langfuse:isolation is "per-project": use one of "shared", "strict"']);
  });

  it("strict passes when every project has its own pair", () => {
    const s = engineSettings([{ namespace: "team-a", ...TEAM_A }, { namespace: "team-b", displayName: "Team B", ...TEAM_B }], { isolation: "strict" });
    expect(s.projects.map((p) => p.keys.source)).toEqual(["own", "own"]);
  });

  it("strict refuses each project without a pair of its own, naming it, and says how to turn a plain name into an entry that takes keys", () => {
    expect(problemsOf([{ namespace: "team-a", ...TEAM_A }, "team-b", { namespace: "team-c", displayName: "Team C" }], { isolation: "strict" })).toEqual([
      'ambient-langfuse:isolation is "strict", but ambient-langfuse:projects[1] (team-b) has no key pair of its own: create its Langfuse project ' +
        "and API keys in the Langfuse UI and set them with `pulumi config set --secret --path 'projects[1].publicKey' pk-lf-…` and " +
        "`pulumi config set --secret --path 'projects[1].secretKey' sk-lf-…` (its entry is a plain name: write it as \"namespace: team-b\" in " +
        'the stack file first), or set isolation "shared"',
      'ambient-langfuse:isolation is "strict", but ambient-langfuse:projects[2] (team-c) has no key pair of its own: create its Langfuse project ' +
        "and API keys in the Langfuse UI and set them with `pulumi config set --secret --path 'projects[2].publicKey' pk-lf-…` and " +
        "`pulumi config set --secret --path 'projects[2].secretKey' sk-lf-…`, or set isolation \"shared\"",
    ]);
  });
});

describe("own pairs and strict need an integration that can hand a project's pair to its runners", () => {
  const OPERATOR_ENV_WHY =
    ": the operator hands every runner its one shared key as explicit env entries (LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY), which " +
    "win over the envFrom that would carry a project's own langfuse-keys, so its runners would still write into the shared project; use " +
    'operatorIntegration "admission-policy" where the cluster has the MutatingAdmissionPolicy API, or keep every project on the shared pair ' +
    '(isolation "shared", no publicKey or secretKey)';

  it("refuses own pairs with operator-env, saying why", () => {
    expect(problemsOf([{ namespace: "team-a", ...TEAM_A }, { namespace: "team-b", ...TEAM_B }, "team-c"], { operatorIntegration: "operator-env" })).toEqual([
      'ambient-langfuse:operatorIntegration is "operator-env", but ambient-langfuse:projects[0] (team-a) and ambient-langfuse:projects[1] (team-b) ' +
        `have key pairs of their own${OPERATOR_ENV_WHY}`,
    ]);
  });

  it("refuses strict with operator-env, saying why", () => {
    expect(problemsOf([{ namespace: "team-a", ...TEAM_A }], { operatorIntegration: "operator-env", isolation: "strict" })).toEqual([
      'ambient-langfuse:operatorIntegration is "operator-env", but ambient-langfuse:isolation is "strict" and ambient-langfuse:projects[0] (team-a) ' +
        `has a key pair of its own${OPERATOR_ENV_WHY}`,
    ]);
  });

  it("keeps operator-env for stacks on the shared pair", () => {
    expect(engineSettings(["team-a", "team-b"], { operatorIntegration: "operator-env" }).warnings).toEqual([]);
  });

  it("warns with none that the wiring is the user's, and says nothing with admission-policy", () => {
    expect(engineSettings([{ namespace: "team-a", ...TEAM_A }], { operatorIntegration: "none", isolation: "strict" }).warnings).toEqual([
      'ambient-langfuse:operatorIntegration is "none", and ambient-langfuse:isolation is "strict" and ambient-langfuse:projects[0] (team-a) has a key ' +
        "pair of its own: the program writes each project's pair into its namespace's langfuse-keys and hands it to no runner pod; wiring " +
        "runners to read langfuse-keys (envFrom) is yours, and a runner given another key writes into that key's Langfuse project",
    ]);
    expect(engineSettings([{ namespace: "team-a", ...TEAM_A }], { operatorIntegration: "admission-policy" }).warnings).toEqual([]);
  });
});

describe("the stack file: own pairs as secure: values", () => {
  it("stands in a pair of the UI's shape for each project, different per project, marked secret and listed as not decrypted", () => {
    const root = projectDir({ three: THREE_PROJECTS });
    const { config, secretKeys, undecrypted } = loadStackConfig("three", root);
    const projects = JSON.parse(config["ambient-langfuse:projects"]);
    expect(projects.map((p: string | Record<string, unknown>) => (typeof p === "string" ? p : Object.keys(p)))).toEqual([
      ["namespace", "publicKey", "secretKey"],
      ["namespace", "displayName", "publicKey", "secretKey"],
      "team-c",
    ]);
    for (const p of projects.slice(0, 2)) {
      expect(p.publicKey).toMatch(/^pk-lf-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(p.secretKey).toMatch(/^sk-lf-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(new Set(projects.slice(0, 2).flatMap((p: Record<string, string>) => [p.publicKey.slice(6), p.secretKey.slice(6)])).size).toBe(4);
    expect(secretKeys).toEqual(["ambient-langfuse:projects"]);
    expect(undecrypted).toEqual([0, 1].flatMap((i) => [`ambient-langfuse:projects[${i}].publicKey`, `ambient-langfuse:projects[${i}].secretKey`]));
  });

  it("deploys a plain name and its object form alike, so an entry can take keys without any change", async () => {
    const plain = await renderStack("dev", loadStackConfig("dev", REPO_ROOT, { "ambient-langfuse:projects": ["team-a", "team-c"] }));
    const object = await renderStack("dev", loadStackConfig("dev", REPO_ROOT, { "ambient-langfuse:projects": ["team-a", { namespace: "team-c" }] }));
    const shape = (r: Rendering) => JSON.stringify(r.resources);
    expect(shape(object)).toBe(shape(plain));
    expect(plain.resources.filter((r) => r.type === WIRING).map((r) => r.inputs.namespace)).toEqual(["team-a", "team-c"]);
  });

  it("refuses projects, or one entry, as one secure: value", () => {
    const whole = projectDir({ whole: "config:\n  ambient-langfuse:adminEmail: admin@example.com\n  ambient-langfuse:projects:\n    secure: v1:AAAA\n" });
    expect(() => loadStackConfig("whole", whole)).toThrow(
      `${whole}/Pulumi.whole.yaml:4:5: ambient-langfuse:projects is one secure: value as a whole: give each of its keys its own ` +
        "(`pulumi config set --secret --path projects.<key> <value>`)",
    );
  });
});

describe("the program: each pair in its own namespace only", () => {
  /** dev's config as the real engine would hand it over with own pairs: decrypted, `projects` secret. */
  function engineConfig(settings: Record<string, unknown>): StackConfig {
    const base = loadStackConfig("dev", REPO_ROOT);
    const config = { ...base.config };
    for (const [k, v] of Object.entries(settings)) config[`ambient-langfuse:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    return { config, secretKeys: ["ambient-langfuse:projects"], undecrypted: [] };
  }
  const PROJECTS = [{ namespace: "team-a", ...TEAM_A }, { namespace: "team-b", displayName: "Team B", ...TEAM_B }, "team-c"];
  let shared: Rendering;
  let strict: Rendering;
  beforeAll(async () => {
    shared = await renderStack("dev", engineConfig({ projects: PROJECTS }));
    strict = await renderStack("dev", engineConfig({ projects: PROJECTS.slice(0, 2), isolation: "strict" }));
  });

  const keysOf = (r: Rendering, ns: string) => {
    const data = unwrap(r.rawInputs.get(`${SECRET}::project-${ns}-keys`).stringData);
    return { publicKey: unwrap(data.LANGFUSE_PUBLIC_KEY), secretKey: unwrap(data.LANGFUSE_SECRET_KEY) };
  };

  it("writes a project's own pair into its langfuse-keys, and into no other resource", () => {
    expect(keysOf(shared, "team-a")).toEqual(TEAM_A);
    expect(keysOf(shared, "team-b")).toEqual(TEAM_B);
    for (const [ns, pair] of [["team-a", TEAM_A], ["team-b", TEAM_B]] as const) {
      const holders = [...shared.rawInputs].filter(([, inputs]) => JSON.stringify(inputs).includes(pair.secretKey) || JSON.stringify(inputs).includes(pair.publicKey));
      expect(holders.map(([k]) => k)).toEqual([`${SECRET}::project-${ns}-keys`]);
    }
  });

  it("gives a project without a pair of its own the bootstrap pair, as before", () => {
    const boot = unwrap(shared.rawInputs.get(`${SECRET}::bootstrap`).stringData);
    expect(keysOf(shared, "team-c")).toEqual({ publicKey: unwrap(boot["public-key"]), secretKey: unwrap(boot["secret-key"]) });
  });

  it("records each project's key source and the isolation on its wiring, and what each Secret is made from, never a key", () => {
    const wiring = (ns: string) => shared.resources.find((r) => r.type === WIRING && r.name === `project-${ns}`)!;
    expect(["team-a", "team-b", "team-c"].map((ns) => wiring(ns).inputs)).toEqual([
      { namespace: "team-a", keySource: "own", isolation: "shared" },
      { namespace: "team-b", keySource: "own", isolation: "shared" },
      { namespace: "team-c", keySource: "shared", isolation: "shared" },
    ]);
    expect(shared.registeredOutputs.get(`${WIRING}::project-team-a`)).toMatchObject({ namespace: "team-a", keySource: "own", isolation: "shared" });
    const secret = (ns: string) => shared.resources.find((r) => r.type === SECRET && r.name === `project-${ns}-keys`)!;
    expect(["team-a", "team-b", "team-c"].map((ns) => secret(ns).propertyDependencies)).toEqual([{}, {}, { stringData: BOOTSTRAP_UUIDS }]);
    expect(["team-a", "team-b"].map((ns) => secret(ns).inputs.stringData)).toEqual([0, 1].map(() => ({ LANGFUSE_PUBLIC_KEY: "[secret]", LANGFUSE_SECRET_KEY: "[secret]" })));
    expectNoKey(JSON.stringify(shared.resources), TEAM_A.publicKey, TEAM_A.secretKey, TEAM_B.publicKey, TEAM_B.secretKey);
    expect(shared.outputs.projects.value).toEqual({
      "team-a": { secret: "langfuse-keys", configMap: "langfuse-config", keySource: "own" },
      "team-b": { secret: "langfuse-keys", configMap: "langfuse-config", keySource: "own" },
      "team-c": { secret: "langfuse-keys", configMap: "langfuse-config", keySource: "shared" },
    });
  });

  it("logs what the settings leave to the user as a warning when the entry point runs, as `pulumi up` does", async () => {
    // Without an engine the SDK writes a warning to the console; under `pulumi up` the engine shows it.
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      await renderStack("dev", engineConfig({ projects: PROJECTS, operatorIntegration: "none" }), async () => ({ ...(await import("../infra/index")) }));
      expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("operatorIntegration"))).toEqual([
        'warning: [runtime] ambient-langfuse:operatorIntegration is "none", and ambient-langfuse:projects[0] (team-a) and ' +
          "ambient-langfuse:projects[1] (team-b) have key pairs of their own: the program writes each project's pair into its namespace's " +
          "langfuse-keys and hands it to no runner pod; wiring runners to read langfuse-keys (envFrom) is yours, and a runner given another " +
          "key writes into that key's Langfuse project",
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it.each([
    ["shared", () => shared],
    ["strict", () => strict],
  ])("passes every policy under %s", (_, rendering) => {
    const { runs, violations } = runPolicies(rendering().resources, ctx);
    expect(violations).toEqual([]);
    expect(runs.map((r) => r.status)).toEqual(POLICIES.map(() => "passed"));
  });

  describe("strict-projects-own-keys on the plan's record", () => {
    const mutated = (r: Rendering, mutate: (rs: PlannedResource[]) => void) => {
      const copy = structuredClone(r.resources);
      mutate(copy);
      return copy;
    };
    const feedFromBootstrap = (rs: PlannedResource[]) => {
      // What a wiring that hands team-a the bootstrap pair registers, whatever its component says of itself.
      rs.find((r) => r.type === SECRET && r.name === "project-team-a-keys")!.propertyDependencies = { stringData: BOOTSTRAP_UUIDS };
    };

    it("refuses, under strict, a langfuse-keys Secret made from the bootstrap pair's generators, though its wiring says own", () => {
      const rs = mutated(strict, feedFromBootstrap);
      expect(rs.find((r) => r.type === WIRING && r.name === "project-team-a")!.inputs.keySource).toBe("own");
      expect(strictProjectsOwnKeys.check(rs, ctx)).toEqual({
        violations: [
          {
            policy: "strict-projects-own-keys",
            resource: `${SECRET}::project-team-a-keys`,
            message:
              `langfuse-keys in namespace "team-a" is made from ${BOOTSTRAP_UUIDS.join(", ")}, as Secret "langfuse-bootstrap" that Langfuse's ` +
              "headless initialisation reads its key pair from: it is fed from the bootstrap pair; under isolation strict each project holds " +
              "a key pair of its own, created in the Langfuse UI in its own Langfuse project",
          },
        ],
      });
    });

    it("finds the bootstrap pair from the release's own values: a bootstrap Secret under another name is found as well", () => {
      const rs = mutated(strict, (r) => {
        feedFromBootstrap(r);
        r.find((x) => x.type === SECRET && x.name === "bootstrap")!.inputs.metadata.name = "langfuse-init";
        const env = r.find((x) => x.type === "kubernetes:helm.sh/v3:Release" && x.name === "langfuse")!.inputs.values.langfuse.additionalEnv;
        for (const e of env) if (e.valueFrom?.secretKeyRef?.name === "langfuse-bootstrap") e.valueFrom.secretKeyRef.name = "langfuse-init";
      });
      const result = strictProjectsOwnKeys.check(rs, ctx) as { violations: { message: string }[] };
      expect(result.violations.map((v) => v.message.split(" that ")[0])).toEqual([
        `langfuse-keys in namespace "team-a" is made from ${BOOTSTRAP_UUIDS.join(", ")}, as Secret "langfuse-init"`,
      ]);
    });

    it("leaves a shared stack alone: there the bootstrap pair is what a project without its own gets", () => {
      expect(strictProjectsOwnKeys.check(mutated(shared, feedFromBootstrap), ctx)).toEqual({ violations: [] });
    });

    it("takes no two redacted values for one pair", () => {
      // Every key reads "[secret]" in the plan's record: equal text, not equal keys.
      expect(strict.resources.find((r) => r.type === SECRET && r.name === "bootstrap")!.inputs.stringData["public-key"]).toBe("[secret]");
      expect(strictProjectsOwnKeys.check(strict.resources, ctx)).toEqual({ violations: [] });
    });
  });
});

// The Done-when, as a user runs it: three projects, two with pairs given as `secure:` values.
const THREE_PROJECTS = `config:
  ambient-langfuse:adminEmail: admin@example.com
  ambient-langfuse:projects:
    - namespace: team-a
      publicKey:
        secure: v1:q1Zh3nX0cI9BXgTqW2dL1A==:v1:OXJ4cGJmYW1hZ2ljY2lwaGVydGV4dA==
      secretKey:
        secure: v1:q1Zh3nX0cI9BXgTqW2dL1A==:v1:c2VjcmV0Y2lwaGVydGV4dG9uZQ==
    - namespace: team-b
      displayName: Team B
      publicKey:
        secure: v1:q1Zh3nX0cI9BXgTqW2dL1A==:v1:cHVibGljY2lwaGVydGV4dHR3bw==
      secretKey:
        secure: v1:q1Zh3nX0cI9BXgTqW2dL1A==:v1:c2VjcmV0Y2lwaGVydGV4dHR3bw==
    - team-c
`;
const CIPHERTEXTS = [...THREE_PROJECTS.matchAll(/secure: (\S+)/g)].map((m) => m[1]!);

/** A project directory with this repository's Pulumi.yaml and the given stack files. */
function projectDir(stackFiles: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), "isolation-"));
  cpSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
  for (const [stack, text] of Object.entries(stackFiles)) writeFileSync(path.join(root, `Pulumi.${stack}.yaml`), text);
  return root;
}

const filesUnder = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? filesUnder(path.join(dir, f)) : [path.join(dir, f)])) : [];

/** `npm run plan -- <args>` from this repository, as a user runs it. */
const npmPlan = (...args: string[]) =>
  execFileAsync("npm", ["run", "--silent", "plan", "--", ...args], { cwd: REPO_ROOT }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe("npm run plan on three projects, two with their own pairs as secure: values", () => {
  let root: string;
  let result: { code: number; stdout: string; stderr: string };
  beforeAll(async () => {
    root = projectDir({ three: THREE_PROJECTS, strict: THREE_PROJECTS.replace("config:\n", "config:\n  ambient-langfuse:isolation: strict\n") });
    result = await npmPlan("--stack", "three", "--root", root);
  }, 120_000);

  it("passes, saying once that the two encrypted pairs' shapes and duplicates are checked at pulumi preview", () => {
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(result.stdout.split("\n").filter((l) => /^(note|warning):/.test(l))).toEqual([
      "note: 2 encrypted project key pairs (projects[0] team-a, projects[1] team-b): the plan cannot decrypt them and stands in a pair of " +
        "the right shape, so their shapes (pk-lf-…, sk-lf-…, not swapped) and duplicates are checked at `pulumi preview`, decrypted",
    ]);
  });

  it("prints where each project's keys come from", () => {
    const lines = result.stdout.split("\n");
    const at = lines.indexOf("project keys (isolation: shared; langfuse-keys from each source: own 2, shared 1):");
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 4, at + 7).map((l) => l.split("│").slice(2, 4).map((c) => c.trim()))).toEqual([
      ["'team-a'", "'own'"],
      ["'team-b'", "'own'"],
      ["'team-c'", "'shared'"],
    ]);
  });

  it("writes three langfuse-keys Secrets, one per namespace: two made from no generated value (their own pairs), one from the bootstrap pair's", () => {
    const resources: PlannedResource[] = JSON.parse(readFileSync(path.join(root, "plan/three/resources.json"), "utf8"));
    const keys = resources.filter((r) => r.type === SECRET && r.inputs.metadata.name === "langfuse-keys");
    const wiring = new Map(resources.filter((r) => r.type === WIRING).map((r) => [`${r.type}::${r.name}`, r.inputs]));
    expect(keys.map((r) => [r.inputs.metadata.namespace, wiring.get(r.parent!)?.keySource, r.propertyDependencies])).toEqual([
      ["team-a", "own", {}],
      ["team-b", "own", {}],
      ["team-c", "shared", { stringData: BOOTSTRAP_UUIDS }],
    ]);
    const bootstrap = resources.find((r) => r.type === SECRET && r.inputs.metadata.name === "langfuse-bootstrap")!;
    expect(bootstrap.propertyDependencies.stringData).toEqual(expect.arrayContaining(BOOTSTRAP_UUIDS));
    expect(readdirSync(path.join(root, "plan/three/manifests")).filter((f) => f.includes("langfuse-keys")).sort()).toEqual([
      "secret-team-a-langfuse-keys.yaml",
      "secret-team-b-langfuse-keys.yaml",
      "secret-team-c-langfuse-keys.yaml",
    ]);
  });

  it("puts each stood-in pair into its own namespace's Secret only, and no key or ciphertext into anything printed or written", async () => {
    // The same plan in memory, where the values are not redacted.
    const rendering = await renderStack("three", loadStackConfig("three", root));
    const standIns = JSON.parse(loadStackConfig("three", root).config["ambient-langfuse:projects"]) as Record<string, string>[];
    for (const [i, ns] of ["team-a", "team-b"].entries()) {
      const holders = [...rendering.rawInputs].filter(([, inputs]) => JSON.stringify(inputs).includes(standIns[i]!.secretKey));
      expect(holders.map(([k]) => k)).toEqual([`${SECRET}::project-${ns}-keys`]);
    }
    const written = filesUnder(path.join(root, "plan")).map((f) => readFileSync(f, "utf8"));
    for (const text of [result.stdout, result.stderr, ...written]) {
      for (const p of standIns.slice(0, 2)) expectNoKey(text, p.publicKey, p.secretKey);
      for (const c of CIPHERTEXTS) expect(text).not.toContain(c.slice(3));
    }
  });

  it("with isolation strict fails, naming the third project, and leaves no plan behind", async () => {
    const strict = await npmPlan("--stack", "strict", "--root", root);
    expect(strict).toEqual({
      code: 1,
      stdout: "",
      stderr:
        'plan for stack "strict" stopped: invalid stack config:\n' +
        '  - ambient-langfuse:isolation is "strict", but ambient-langfuse:projects[2] (team-c) has no key pair of its own: create its ' +
        "Langfuse project and API keys in the Langfuse UI and set them with `pulumi config set --secret --path 'projects[2].publicKey' pk-lf-…` " +
        "and `pulumi config set --secret --path 'projects[2].secretKey' sk-lf-…` (its entry is a plain name: write it as \"namespace: team-c\" " +
        'in the stack file first), or set isolation "shared"\n',
    });
    expect(existsSync(path.join(root, "plan", "strict"))).toBe(false);
  }, 120_000);
});

describe("npm run plan on a strict stack whose every pair is encrypted", () => {
  it("passes, with the one note for all three pairs", async () => {
    const all = THREE_PROJECTS.replace("config:\n", "config:\n  ambient-langfuse:isolation: strict\n").replace(
      "    - team-c\n",
      "    - namespace: team-c\n      publicKey:\n        secure: v1:cHVibGljdGhyZWU=\n      secretKey:\n        secure: v1:c2VjcmV0dGhyZWU=\n",
    );
    const root = projectDir({ strict: all });
    const result = await npmPlan("--stack", "strict", "--root", root);
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(result.stdout.split("\n").filter((l) => /^(note|warning):/.test(l))).toEqual([
      "note: 3 encrypted project key pairs (projects[0] team-a, projects[1] team-b, projects[2] team-c): the plan cannot decrypt them and " +
        "stands in a pair of the right shape, so their shapes (pk-lf-…, sk-lf-…, not swapped) and duplicates are checked at `pulumi preview`, decrypted",
    ]);
    expect(result.stdout).toContain("project keys (isolation: strict; langfuse-keys from each source: own 3):");
    expect(result.stdout).toContain("strict-projects-own-keys");
    expect(result.stdout).toContain("0 violation(s)");
  }, 120_000);
});

describe("npm run plan with operatorIntegration none and own pairs", () => {
  it("plans, printing the warning that the wiring is the user's", async () => {
    const root = projectDir({ none: THREE_PROJECTS.replace("config:\n", "config:\n  ambient-langfuse:operatorIntegration: none\n") });
    const result = await npmPlan("--stack", "none", "--root", root);
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(result.stdout.split("\n").filter((l) => l.startsWith("warning:"))).toEqual([
      'warning: ambient-langfuse:operatorIntegration is "none", and ambient-langfuse:projects[0] (team-a) and ambient-langfuse:projects[1] (team-b) ' +
        "have key pairs of their own: the program writes each project's pair into its namespace's langfuse-keys and hands it to no runner " +
        "pod; wiring runners to read langfuse-keys (envFrom) is yours, and a runner given another key writes into that key's Langfuse project",
    ]);
  }, 120_000);
});
