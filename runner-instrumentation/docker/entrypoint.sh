#!/bin/sh
# The runner image's entrypoint: runs the runner's own command with only its Python Langfuse tracer
# switched off, so that claude-langfuse (which the SDK now runs as its CLI) traces each session once.
#
# The runner starts its tracer when OBSERVABILITY_BACKENDS (a comma list; unset or empty means
# `langfuse`) names langfuse and LANGFUSE_ENABLED is true. LANGFUSE_ENABLED also turns on the
# runner's corrections prompt, its corrections tool and its feedback scores, so it is left as the
# pod has it; langfuse is taken out of OBSERVABILITY_BACKENDS, every other backend (mlflow) stays,
# and with none left the list is `none` (the runner ignores names it does not know).
set -euf

[ "$#" -gt 0 ] || { echo "usage: claude-langfuse-entrypoint <command> [args...]" >&2; exit 2; }

backends=${OBSERVABILITY_BACKENDS-}
case "$backends" in *[!\ \	,]*) ;; *) backends=langfuse ;; esac
kept=
old_ifs=$IFS
IFS=,
for name in $backends; do
  name=$(printf '%s' "$name" | tr -d ' \t' | tr '[:upper:]' '[:lower:]')
  case "$name" in "" | langfuse) ;; *) kept=${kept:+$kept,}$name ;; esac
done
IFS=$old_ifs
OBSERVABILITY_BACKENDS=${kept:-none}
export OBSERVABILITY_BACKENDS
exec "$@"
