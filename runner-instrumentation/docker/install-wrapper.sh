#!/bin/sh
# The runner image's build step (run as root by the Dockerfile): puts claude-langfuse in the place
# of the Claude Code CLI that the Python Agent SDK bundles, and moves that CLI to a path of its own.
#
# The platform's runner never passes cli_path (it is on its deny-list), and its SDK runs its bundled
# `claude_agent_sdk/_bundled/claude` before anything on PATH. Site-packages are root-owned and the
# runner runs as another user, so the swap happens here, at build time. Afterwards:
#   <site-packages>/claude_agent_sdk/_bundled/claude -> $CLAUDE_LANGFUSE_BIN (the wrapper, a link)
#   $CLAUDE_LANGFUSE_CLI                             the real CLI, which the wrapper runs
# Running it again changes nothing (it says so); it refuses, saying why, what it cannot do safely.
#
# Settings (environment), with the image's defaults:
#   PYTHON                  the Python that has claude-agent-sdk installed      (python3)
#   CLAUDE_LANGFUSE_NODE    the Node.js (20 or later) that runs the wrapper     (/opt/claude-langfuse/bin/node)
#   CLAUDE_LANGFUSE_BUNDLE  the bundle built by `npm run bundle`                (/opt/claude-langfuse/claude-langfuse.cjs)
#   CLAUDE_LANGFUSE_BIN     where the wrapper is installed                      (/usr/local/bin/claude-langfuse)
#   CLAUDE_LANGFUSE_CLI     where the real CLI goes (the image sets it as ENV)  (/opt/claude-langfuse/claude)
set -eu

python=${PYTHON:-python3}
node=${CLAUDE_LANGFUSE_NODE:-/opt/claude-langfuse/bin/node}
bundle=${CLAUDE_LANGFUSE_BUNDLE:-/opt/claude-langfuse/claude-langfuse.cjs}
bin=${CLAUDE_LANGFUSE_BIN:-/usr/local/bin/claude-langfuse}
real=${CLAUDE_LANGFUSE_CLI:-/opt/claude-langfuse/claude}

say() { printf 'claude-langfuse install: %s\n' "$*"; }
refuse() { printf 'claude-langfuse install: %s\n' "$*" >&2; exit 1; }
resolved() { readlink -f -- "$1" 2>/dev/null || true; }

# 1. The wrapper: the bundle, run by this image's node.
"$node" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null \
  || refuse "$node is not Node.js 20 or later; set CLAUDE_LANGFUSE_NODE to one."
[ -f "$bundle" ] || refuse "no bundle at $bundle; build it with \`npm run bundle\` (runner-instrumentation/dist/claude-langfuse.cjs)."
mkdir -p "$(dirname -- "$bin")"
{ printf '#!%s\n' "$node"; sed 1d "$bundle"; } > "$bin.tmp.$$"
chmod 0755 "$bin.tmp.$$"
mv -f "$bin.tmp.$$" "$bin"

# 2. The CLI the SDK runs: found through the installed package, where the SDK itself looks
#    (claude_agent_sdk/_internal/transport/subprocess_cli.py, _find_bundled_cli).
bundled=$("$python" -c 'import os, claude_agent_sdk; print(os.path.join(os.path.dirname(os.path.abspath(claude_agent_sdk.__file__)), "_bundled", "claude"))' 2>/dev/null) \
  || refuse "$python cannot import claude_agent_sdk; install the runner (or claude-agent-sdk) first, or set PYTHON to the Python that has it."

wrapper=$(resolved "$bin")
[ "$(resolved "$real")" != "$wrapper" ] || refuse "CLAUDE_LANGFUSE_CLI ($real) is the wrapper itself; point it at a path of its own for the real CLI."

if [ -L "$bundled" ] && [ "$(resolved "$bundled")" = "$wrapper" ]; then
  # Swapped before (this step ran twice, or the base image already has it).
  [ -f "$real" ] && [ -x "$real" ] \
    || refuse "$bundled already runs the wrapper, but the real CLI is not at $real; reinstall claude-agent-sdk (pip install --force-reinstall claude-agent-sdk) and run this step again."
  say "already in place: $bundled runs the wrapper, which runs $real."
elif [ -L "$bundled" ]; then
  refuse "$bundled is a link to $(resolved "$bundled"), which is neither the SDK's CLI nor this wrapper; reinstall claude-agent-sdk."
elif [ ! -f "$bundled" ]; then
  refuse "claude-agent-sdk has no bundled CLI at $bundled (a wheel without one, or another layout); install a platform wheel of claude-agent-sdk."
else
  # A fresh CLI (first run, or the SDK reinstalled over an earlier swap): it becomes the real one.
  [ ! -e "$real" ] || say "replacing the CLI at $real with the one claude-agent-sdk bundles now."
  mkdir -p "$(dirname -- "$real")"
  mv -f "$bundled" "$real"
  ln -s "$bin" "$bundled"
  say "$bundled now runs the wrapper ($bin), which runs the real CLI at $real."
fi

# 3. The chain end to end: invoked as `claude`, the wrapper hands --version to the real CLI.
version=$(CLAUDE_LANGFUSE_CLI="$real" "$bundled" --version 2>&1) \
  || refuse "the wrapper in place of $bundled could not run the real CLI: $version"
say "the SDK's CLI answers through the wrapper: $version"
