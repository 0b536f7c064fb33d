#!/usr/bin/env bash
# End to end on a real cluster: a kind cluster with the admission API, ingress-nginx, this
# program's `pulumi up --stack dev`, a runner-like pod in team-a that traces a session of the
# project's stand-in CLI through the wrapper bundle, `claude-langfuse verify` on that session, and
# the fence: a pod of an unmanaged namespace cannot reach Langfuse. The cluster is deleted at the
# end, also on failure or Ctrl-C.
#
#   bash test/e2e/kind.sh
#
# Needs: kind (0.24 or later: its kindnetd enforces NetworkPolicies), a container engine for it
# (docker, or podman with KIND_EXPERIMENTAL_PROVIDER=podman), kubectl, the Pulumi CLI, Node.js 20+
# and npm, `npm ci` run in this checkout, and about 6 GiB of memory for the node.
# Settings (environment): KIND_NODE_IMAGE (default kindest/node:v1.35.0; Kubernetes 1.34 or
# later), E2E_CLUSTER_NAME (default ambient-langfuse-e2e; must not exist yet).
#
# Your checkout, kube contexts and Pulumi stacks are left alone: the program is deployed from a
# copy of the checkout, with a Pulumi state and a kubeconfig in a temporary directory.
set -euo pipefail

NODE_IMAGE="${KIND_NODE_IMAGE:-kindest/node:v1.35.0}"
CLUSTER="${E2E_CLUSTER_NAME:-ambient-langfuse-e2e}"
SESSION="e2e-kind-session"
RUNNER_POD="e2e-kind-session-runner"
LANGFUSE_WEB="http://langfuse-web.langfuse.svc.cluster.local:3000"
INGRESS_NGINX="https://kind.sigs.k8s.io/examples/ingress/deploy-ingress-nginx.yaml"

say() { printf '\n==> %s\n' "$*"; }
fail() {
  printf 'kind.sh: %s\n' "$*" >&2
  exit 1
}

# ---- Prerequisites, all checked before anything is created. ------------------------------------
engine=docker
if [[ "${KIND_EXPERIMENTAL_PROVIDER:-}" == "podman" ]]; then engine=podman; fi
missing=()
for tool in kind kubectl pulumi node npm "$engine"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]} > 0)); then
  fail "missing on PATH: ${missing[*]}. Install kind (https://kind.sigs.k8s.io), a container engine for it (docker, or podman with KIND_EXPERIMENTAL_PROVIDER=podman), kubectl, the Pulumi CLI (https://www.pulumi.com/docs/install/), Node.js 20 or later and npm."
fi
"$engine" info >/dev/null 2>&1 || fail "$engine is installed but does not answer ($engine info failed): start it, or check that you may use it."

node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || fail "Node.js $(node --version) is too old: the wrapper bundle and this program need Node.js 20 or later."

kind_version="$(kind version | sed -n 's/^kind v\([0-9]*\)\.\([0-9]*\)\..*/\1 \2/p')"
read -r kind_major kind_minor <<<"${kind_version:-0 0}"
if ((kind_major == 0 && kind_minor < 24)); then
  fail "kind $(kind version | cut -d' ' -f2) is too old: from v0.24 its network plugin (kindnetd) enforces NetworkPolicies, which step 7 checks."
fi

k8s_minor="$(sed -n 's/^.*:v1\.\([0-9][0-9]*\)\..*$/\1/p' <<<"$NODE_IMAGE")"
[[ -n "$k8s_minor" ]] || fail "KIND_NODE_IMAGE \"$NODE_IMAGE\" does not name its Kubernetes version (kindest/node:v1.<minor>.<patch>): say which, e.g. kindest/node:v1.35.0."
if ((k8s_minor < 34)); then
  fail "KIND_NODE_IMAGE is Kubernetes 1.$k8s_minor: the runner pods are wired by a MutatingAdmissionPolicy, which needs Kubernetes 1.34 or later (beta in 1.34 and 1.35, GA in 1.36)."
elif ((k8s_minor < 36)); then
  admission_api=v1beta1 # beta: the feature gate and the API version are turned on below
else
  admission_api=v1
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[[ -d "$root/node_modules/@pulumi/pulumi" ]] || fail "run npm ci in $root first (the program and the wrapper bundle are built from its node_modules)."
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  fail "a kind cluster named $CLUSTER exists already; delete it (kind delete cluster --name $CLUSTER) or set E2E_CLUSTER_NAME."
fi

# ---- Step 8 first: whatever happens from here on, the cluster and the scratch directory go. -----
work="$(mktemp -d "${TMPDIR:-/tmp}/ambient-langfuse-e2e.XXXXXX")"
created=false
cleanup() {
  local code=$?
  trap - EXIT
  if [[ "$created" == true ]]; then
    say "8. deleting the cluster $CLUSTER"
    kind delete cluster --name "$CLUSTER" --kubeconfig "$work/kubeconfig" || printf 'kind.sh: could not delete the cluster: kind delete cluster --name %s\n' "$CLUSTER" >&2
  fi
  rm -rf "$work"
  if ((code == 0)); then say "end to end: every step passed"; else printf '\nkind.sh: failed (exit %s)\n' "$code" >&2; fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export KUBECONFIG="$work/kubeconfig"

# ---- 1. The cluster, with the admission API for its Kubernetes version. --------------------------
say "1. kind cluster $CLUSTER on $NODE_IMAGE (Kubernetes 1.$k8s_minor, MutatingAdmissionPolicy $admission_api)"
{
  printf 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n'
  if [[ "$admission_api" == v1beta1 ]]; then
    printf 'featureGates:\n  MutatingAdmissionPolicy: true\nruntimeConfig:\n  admissionregistration.k8s.io/v1beta1: "true"\n'
  fi
  printf 'nodes:\n  - role: control-plane\n    labels:\n      ingress-ready: "true"\n'
} >"$work/kind-cluster.yaml"
created=true
kind create cluster --name "$CLUSTER" --image "$NODE_IMAGE" --config "$work/kind-cluster.yaml" --kubeconfig "$KUBECONFIG" --wait 180s
kubectl get --raw "/apis/admissionregistration.k8s.io/$admission_api" | grep -q '"mutatingadmissionpolicies"' ||
  fail "the API server does not serve mutatingadmissionpolicies in admissionregistration.k8s.io/$admission_api"

# ---- 2. ingress-nginx (the dev stack's Ingress, and the one namespace besides projects the web port admits). ----
say "2. ingress-nginx"
kubectl apply -f "$INGRESS_NGINX"
kubectl -n ingress-nginx rollout status deployment/ingress-nginx-controller --timeout=300s

# ---- 3. pulumi up --stack dev, from a copy of the checkout, with a throwaway local state. ---------
say "3. pulumi up --stack dev (cert-manager, the ClickHouse operator, then Langfuse; several minutes)"
mkdir -p "$work/project" "$work/state"
tar -C "$root" --exclude=./.git --exclude=node_modules --exclude=./plan --exclude=dist -cf - . | tar -C "$work/project" -xf -
ln -s "$root/node_modules" "$work/project/node_modules"
export PULUMI_BACKEND_URL="file://$work/state"
PULUMI_CONFIG_PASSPHRASE="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export PULUMI_CONFIG_PASSPHRASE
(
  cd "$work/project"
  pulumi stack init dev --non-interactive
  pulumi config set --stack dev admissionPolicyApiVersion "$admission_api"
  pulumi up --stack dev --yes --skip-preview --non-interactive
)

# ---- 4. Every Langfuse pod ready, and selected by a NetworkPolicy. -------------------------------
say "4. Langfuse pods ready and fenced"
kubectl -n langfuse wait pod --all --field-selector=status.phase!=Succeeded --for=condition=Ready --timeout=900s
kubectl -n langfuse get pods,networkpolicies -o json >"$work/langfuse-objects.json"
(cd "$root" && npx --no-install tsx test/e2e/langfusePodsFenced.ts <"$work/langfuse-objects.json")

# ---- 5. A runner-like pod in team-a traces a session through the wrapper bundle. -----------------
say "5. a session in team-a, traced by claude-langfuse around the project's stand-in CLI"
(cd "$root" && npm run bundle >/dev/null)
kubectl apply -f "$root/test/e2e/runner-pod.yaml"
kubectl -n team-a wait "pod/$RUNNER_POD" --for=condition=Ready --timeout=300s
env_from="$(kubectl -n team-a get pod "$RUNNER_POD" -o jsonpath='{.spec.containers[0].envFrom}')"
[[ "$env_from" == *langfuse-keys* && "$env_from" == *langfuse-config* ]] ||
  fail "the admission policy did not give the runner container envFrom langfuse-keys and langfuse-config (envFrom: ${env_from:-none})"
kubectl -n team-a exec -i "$RUNNER_POD" -c ambient-code-runner -- sh -c 'cat >/work/claude-langfuse.cjs' <"$root/runner-instrumentation/dist/claude-langfuse.cjs"
kubectl -n team-a exec -i "$RUNNER_POD" -c ambient-code-runner -- sh -c 'cat >/work/claude-standin.js' <"$root/runner-instrumentation/test/fixtures/claude-standin.js"
# The wrapper's stdout is the CLI's, byte for byte: that is the session's capture.
kubectl -n team-a exec "$RUNNER_POD" -c ambient-code-runner -- env STANDIN_TURNS=2 LANGFUSE_FLUSH_TIMEOUT_MS=20000 sh -c \
  'node /work/claude-langfuse.cjs exec -- node /work/claude-standin.js -p --output-format stream-json --verbose "list the files" >/work/capture.jsonl'
kubectl -n team-a exec "$RUNNER_POD" -c ambient-code-runner -- cat /work/capture.jsonl >"$work/capture.jsonl"
[[ -s "$work/capture.jsonl" ]] || fail "the session wrote no stream-json"

# ---- 6. claude-langfuse verify on that session, with the keys and endpoint the pod was given. ----
say "6. claude-langfuse verify --session $SESSION"
kubectl -n team-a exec "$RUNNER_POD" -c ambient-code-runner -- node /work/claude-langfuse.cjs verify --session "$SESSION" --timeout 300 /work/capture.jsonl

# ---- 7. The fence: a managed namespace reaches Langfuse's web port, an unmanaged one does not. ---
say "7. a pod of a namespace without ambient-code.io/managed=true cannot reach Langfuse"
probe() {
  # Prints REACHED or BLOCKED: whether the web port's health check answered within 5 s.
  kubectl -n "$1" run "fence-probe-$1" --rm -i --restart=Never --quiet --pod-running-timeout=5m --image=busybox:1.36 --command -- \
    sh -c "if wget -qO- -T 5 $LANGFUSE_WEB/api/public/health >/dev/null 2>&1; then echo REACHED; else echo BLOCKED; fi"
}
kubectl create namespace e2e-unmanaged
from_project="$(probe team-a)"
from_unmanaged="$(probe e2e-unmanaged)"
printf 'from team-a: %s\nfrom e2e-unmanaged: %s\n' "$from_project" "$from_unmanaged"
[[ "$from_project" == *REACHED* ]] || fail "the health check did not answer from the project namespace team-a: the probe proves nothing"
[[ "$from_unmanaged" == *BLOCKED* ]] || fail "a pod in e2e-unmanaged reached Langfuse's web port: the NetworkPolicies are not enforced"
