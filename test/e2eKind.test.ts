// The pieces test/e2e/kind.sh runs that can run here: its prerequisite checks, the fence check of
// step 4, and the runner-like pod of step 5 as the admission policy sees it. (The wrapper bundle,
// the stand-in CLI and `claude-langfuse verify` are tested in runner-instrumentation/test;
// `shellcheck test/e2e/kind.sh` runs in .ci/run.)
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Pod as PodModel } from "kubernetes-models/v1";
import YAML from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { langfuseNetworkPolicies } from "../infra/network/networkPolicies";
import { admissionPolicyBindingManifest, admissionPolicyManifest, type AdmissionPolicyApiVersion } from "../infra/operator/admissionPolicy";
import { admitPod } from "../infra/policies/admissionSimulator";
import { langfuseReleasePods } from "../infra/policies/langfusePods";
import { fenceReport } from "./e2e/langfusePodsFenced";

const ROOT = path.resolve(__dirname, "..");
const KIND_SH = path.join(ROOT, "test/e2e/kind.sh");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "kind-sh-test-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** The dev stack's fence: chart 2.x in `langfuse`, bundled stores, ingress-nginx, the operator installed by the stack. */
const DEV_POLICIES = langfuseNetworkPolicies({
  namespace: "langfuse",
  releaseName: "langfuse",
  chartLine: "2.x",
  bundled: { postgresql: true, redis: true, s3: true, clickhouse: true },
  ingressNamespaces: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } },
  clickhouseOperatorNamespace: "clickhouse-operator",
  labels: { "app.kubernetes.io/managed-by": "pulumi" },
});

/** `kubectl -n langfuse get pods,networkpolicies -o json` on a healthy dev install: every pod chart 2.0.0 runs, ready, and the bucket hook's pod done. */
function kubectlList(options: { withoutPolicy?: string; notReady?: string } = {}) {
  const pods = langfuseReleasePods({ name: "langfuse", version: "2.0.0", values: {} })!.map((p, i) => ({
    kind: "Pod",
    metadata: { name: `langfuse-${p.role}-${i}`, namespace: "langfuse", labels: p.labels },
    status:
      p.role === "s3-bucket-hook"
        ? { phase: "Succeeded", conditions: [{ type: "Ready", status: "False" }] }
        : { phase: "Running", conditions: [{ type: "Ready", status: p.role === options.notReady ? "False" : "True" }] },
  }));
  const policies = DEV_POLICIES.filter((p) => p.metadata.name !== options.withoutPolicy).map((p) => ({ ...p }));
  return { apiVersion: "v1", kind: "List", items: [...pods, ...policies] };
}

describe("step 4: every Langfuse pod ready and selected by a NetworkPolicy", () => {
  it("passes the dev install, naming each running pod's policies, the finished hook pod passed over", () => {
    const { lines, problems } = fenceReport(kubectlList());
    expect(problems).toEqual([]);
    expect(lines.find((l) => l.startsWith("langfuse/langfuse-web-"))).toMatch(/: ready; selected by langfuse-default-deny-ingress, langfuse-web$/);
    expect(lines.find((l) => l.startsWith("langfuse/langfuse-postgresql-"))).toMatch(/: ready; selected by langfuse-default-deny-ingress, langfuse-postgresql$/);
    expect(lines.some((l) => l.includes("bucket-hook"))).toBe(false);
    expect(lines).toHaveLength(langfuseReleasePods({ name: "langfuse", version: "2.0.0", values: {} })!.length - 1);
  });

  it("names a pod no policy selects (the default deny gone: the worker has no policy of its own) and a pod that is not ready", () => {
    expect(fenceReport(kubectlList({ withoutPolicy: "langfuse-default-deny-ingress" })).problems).toEqual([
      expect.stringMatching(/^langfuse\/langfuse-worker-\d+ is selected by no NetworkPolicy: every port of it is open to every pod of the cluster$/),
    ]);
    expect(fenceReport(kubectlList({ notReady: "clickhouse" })).problems).toEqual([expect.stringMatching(/^langfuse\/langfuse-clickhouse-\d+ is not ready \(phase Running\)$/)]);
  });

  it("runs as kind.sh runs it: kubectl's JSON on stdin, exit 0, 1 on a problem, 2 on input that is not kubectl's", () => {
    const run = (input: string) =>
      spawnSync("npx", ["--no-install", "tsx", "test/e2e/langfusePodsFenced.ts"], { cwd: ROOT, input, encoding: "utf8", timeout: 120_000 });
    const ok = run(JSON.stringify(kubectlList()));
    expect([ok.status, ok.stderr]).toEqual([0, ""]);
    expect(ok.stdout).toContain("langfuse/langfuse-web-0: ready; selected by langfuse-default-deny-ingress, langfuse-web\n");
    const unfenced = run(JSON.stringify(kubectlList({ withoutPolicy: "langfuse-default-deny-ingress" })));
    expect(unfenced.status).toBe(1);
    expect(unfenced.stderr).toMatch(/^langfusePodsFenced: langfuse\/langfuse-worker-\d+ is selected by no NetworkPolicy/);
    expect(run("Error from server (Forbidden)").status).toBe(2);
    expect(run(JSON.stringify({ kind: "List", items: [] })).status).toBe(2);
  });
});

describe("step 5: the runner-like pod", () => {
  const pod = YAML.parse(fs.readFileSync(path.join(ROOT, "test/e2e/runner-pod.yaml"), "utf8"));

  it("is a valid Pod in team-a carrying the session the script verifies", () => {
    expect(() => new PodModel(pod).validate()).not.toThrow();
    expect(pod.metadata.namespace).toBe("team-a");
    expect(pod.spec.containers[0].env).toContainEqual({ name: "AGENTIC_SESSION_NAME", value: "e2e-kind-session" });
    const script = fs.readFileSync(KIND_SH, "utf8");
    expect(script).toContain('SESSION="e2e-kind-session"');
    expect(script).toContain(`RUNNER_POD="${pod.metadata.name}"`);
  });

  it.each<AdmissionPolicyApiVersion>(["v1beta1", "v1"])("gets the project's Langfuse keys and settings from the admission policy (%s)", (apiVersion) => {
    const settings = { apiVersion, runnerContainer: "ambient-code-runner", keysSecretName: "langfuse-keys", configMapName: "langfuse-config", policyName: "ambient-langfuse-runner-env" };
    const admitted = admitPod(admissionPolicyManifest(settings).spec, { pod, namespaceLabels: { "ambient-code.io/managed": "true", "kubernetes.io/metadata.name": "team-a" } }, admissionPolicyBindingManifest(settings).spec.matchResources);
    expect(admitted.applied).toBe(true);
    expect(admitted.pod.spec.containers[0].envFrom).toEqual([
      { secretRef: { name: "langfuse-keys", optional: true } },
      { configMapRef: { name: "langfuse-config", optional: true } },
    ]);
  });
});

describe("kind.sh's prerequisites: checked before anything is created, each named", () => {
  /** A directory of stand-ins for the tools kind.sh calls, each logging its arguments; `node` is the real one. */
  function fakeTools(kindVersion: string): { bin: string; log: string } {
    const bin = fs.mkdtempSync(path.join(scratch, "bin-"));
    const log = path.join(bin, "calls.log");
    for (const tool of ["kind", "kubectl", "pulumi", "npm", "docker"]) {
      const answer = tool === "kind" ? `if [ "$1" = version ]; then echo "kind ${kindVersion} go1.24.0 linux/amd64"; fi` : "";
      fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${log}"\n${answer}\nexit 0\n`, { mode: 0o755 });
    }
    fs.symlinkSync(process.execPath, path.join(bin, "node"));
    return { bin, log };
  }

  const runKindSh = (env: Record<string, string>) => spawnSync("/bin/bash", [KIND_SH], { env, encoding: "utf8", timeout: 60_000 });

  it("lists every missing tool and what to install, and stops", () => {
    const empty = fs.mkdtempSync(path.join(scratch, "empty-"));
    const run = runKindSh({ PATH: empty });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      "kind.sh: missing on PATH: kind kubectl pulumi node npm docker. Install kind (https://kind.sigs.k8s.io), a container engine for it (docker, or podman with KIND_EXPERIMENTAL_PROVIDER=podman), kubectl, the Pulumi CLI (https://www.pulumi.com/docs/install/), Node.js 20 or later and npm.\n",
    );
    const podman = runKindSh({ PATH: empty, KIND_EXPERIMENTAL_PROVIDER: "podman" });
    expect(podman.stderr).toContain("missing on PATH: kind kubectl pulumi node npm podman.");
  });

  it.each([
    ["a kind too old to enforce NetworkPolicies", "v0.23.0", {}, "kind.sh: kind v0.23.0 is too old: from v0.24 its network plugin (kindnetd) enforces NetworkPolicies, which step 7 checks.\n"],
    [
      "a node image older than the admission API",
      "v0.31.0",
      { KIND_NODE_IMAGE: "kindest/node:v1.33.4" },
      "kind.sh: KIND_NODE_IMAGE is Kubernetes 1.33: the runner pods are wired by a MutatingAdmissionPolicy, which needs Kubernetes 1.34 or later (beta in 1.34 and 1.35, GA in 1.36).\n",
    ],
    [
      "a node image whose tag does not say its version",
      "v0.31.0",
      { KIND_NODE_IMAGE: "registry.local/kind-node:latest" },
      'kind.sh: KIND_NODE_IMAGE "registry.local/kind-node:latest" does not name its Kubernetes version (kindest/node:v1.<minor>.<patch>): say which, e.g. kindest/node:v1.35.0.\n',
    ],
  ])("refuses %s, creating nothing", (_, kindVersion, extra, message) => {
    const { bin, log } = fakeTools(kindVersion);
    const run = runKindSh({ PATH: `${bin}:/usr/bin:/bin`, ...extra });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(message);
    const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "";
    expect(calls).not.toMatch(/^kind (create|delete)/m);
    expect(calls).not.toMatch(/^(kubectl|pulumi) /m);
  });
});
