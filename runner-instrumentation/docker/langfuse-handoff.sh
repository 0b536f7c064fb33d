#!/bin/sh
# Runs the runner's own command with Langfuse tracing handed over to claude-langfuse.
#
# The platform's Python runner traces when LANGFUSE_ENABLED is true, and so would claude-langfuse:
# each session would be traced twice. The pod's environment (the operator's Secret, the project's
# langfuse-config) cannot be changed by the image, so the hand-off happens here, at start: the
# setting moves to CLAUDE_LANGFUSE_ENABLED, which claude-langfuse reads instead of LANGFUSE_ENABLED,
# and LANGFUSE_ENABLED=false switches the Python tracer off. The Python Agent SDK passes its whole
# environment to the CLI it starts, so claude-langfuse sees both.
set -eu
if [ -z "${CLAUDE_LANGFUSE_ENABLED+set}" ]; then
  CLAUDE_LANGFUSE_ENABLED="${LANGFUSE_ENABLED-}"
  export CLAUDE_LANGFUSE_ENABLED
fi
LANGFUSE_ENABLED=false
export LANGFUSE_ENABLED
exec "$@"
