import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * The platform runner's own Python Agent SDK (`claude-agent-sdk`, the range its pyproject pins),
 * installed from PyPI into a virtualenv of its own: never into the system Python.
 *
 * The newest version in the range is installed once per machine into a cache under the OS temp
 * directory, keyed by that version and the Python's; a test run gets its own copy of that
 * virtualenv (hard links: instant, and what the copy's build step moves or adds leaves the cache
 * as pip left it). An interrupted install is never reused: a cache entry only counts once
 * complete. Where PyPI cannot be reached, the tests say so and skip.
 */
export const RUNNER_SDK_REQUIREMENT = "claude-agent-sdk>=0.2.139";
const PACKAGE_NAME = "claude-agent-sdk";
const CACHE = path.join(os.tmpdir(), "claude-langfuse-python-sdk");

export type PythonSdk = { python: string; version: string; venv: string } | { skip: string };

function run(command: string, args: string[], timeoutMs: number) {
  return spawnSync(command, args, { encoding: "utf8", timeout: timeoutMs, env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1" } });
}

/** Words of pip's that mean the index could not be reached (no network, no DNS, a proxy refusing). */
const UNREACHABLE = /Could not fetch URL|NewConnectionError|Max retries exceeded|Temporary failure in name resolution|Name or service not known|Network is unreachable|Connection refused|ConnectTimeout|ReadTimeout|ProxyError/i;

/** The newest version PyPI has of the SDK, or why it cannot be asked. */
function newestVersion(python: string): { version: string } | { unreachable: string } {
  const r = run(python, ["-m", "pip", "index", "versions", PACKAGE_NAME], 120_000);
  const m = /^claude-agent-sdk \(([^)]+)\)/m.exec(r.stdout ?? "");
  if (r.status === 0 && m) return { version: m[1]! };
  const said = `${r.stderr ?? ""}\n${r.stdout ?? ""}`;
  if (UNREACHABLE.test(said) || r.error) return { unreachable: said.split("\n").find((l) => UNREACHABLE.test(l))?.trim() ?? String(r.error ?? "no answer") };
  throw new Error(`pip could not list the versions of ${PACKAGE_NAME} (exit ${r.status}):\n${said}`);
}

/** A virtualenv with the runner's SDK for this test run, in `dir`. */
export function runnerPythonSdk(dir: string): PythonSdk {
  const probe = run("python3", ["-c", "import sys, venv, ensurepip; print('%d.%d' % sys.version_info[:2])"], 30_000);
  if (probe.status !== 0) return { skip: `no python3 with venv here (${(probe.stderr || String(probe.error)).trim().split("\n").pop()}): the runner-SDK tests are skipped` };
  const pythonVersion = probe.stdout.trim();
  const newest = newestVersion("python3");
  if ("unreachable" in newest) return { skip: `PyPI cannot be reached (${newest.unreachable}): the tests with the runner's Python SDK are skipped` };
  const { version } = newest;
  const cached = path.join(CACHE, `${PACKAGE_NAME}-${version}-py${pythonVersion}`);
  if (!fs.existsSync(path.join(cached, ".complete"))) install(cached, version);
  const venv = path.join(dir, "venv");
  const copied = run("cp", ["-al", path.join(cached, "venv"), venv], 120_000);
  if (copied.status !== 0) throw new Error(`could not copy the cached virtualenv: ${copied.stderr}`);
  return { python: path.join(venv, "bin", "python"), version, venv };
}

/** Installs the SDK at `version` (the newest in the runner's range) into `cached`/venv, atomically. */
function install(cached: string, version: string): void {
  fs.mkdirSync(CACHE, { recursive: true });
  const building = `${cached}.building-${process.pid}`;
  fs.rmSync(building, { recursive: true, force: true });
  const made = run("python3", ["-m", "venv", path.join(building, "venv")], 180_000);
  if (made.status !== 0) throw new Error(`python3 -m venv failed: ${made.stderr}`);
  const pip = run(path.join(building, "venv", "bin", "python"), ["-m", "pip", "install", "--quiet", `${PACKAGE_NAME}==${version}`, RUNNER_SDK_REQUIREMENT], 600_000);
  if (pip.status !== 0) {
    fs.rmSync(building, { recursive: true, force: true });
    throw new Error(`pip install ${PACKAGE_NAME}==${version} failed:\n${pip.stderr}`);
  }
  fs.writeFileSync(path.join(building, ".complete"), `${version}\n`);
  try {
    fs.renameSync(building, cached);
  } catch {
    // Another run finished the same install first: its copy is as good.
    fs.rmSync(building, { recursive: true, force: true });
  }
}

/** Where the SDK keeps the CLI it runs (as its subprocess transport finds it). */
export function bundledCliOf(python: string): string {
  const r = run(python, ["-c", "import os, claude_agent_sdk; print(os.path.join(os.path.dirname(os.path.abspath(claude_agent_sdk.__file__)), '_bundled', 'claude'))"], 60_000);
  if (r.status !== 0) throw new Error(`cannot import claude_agent_sdk: ${r.stderr}`);
  return r.stdout.trim();
}
