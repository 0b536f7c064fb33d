/** The Secret the platform's operator reads its Langfuse settings from, in its own namespace. */
export const OPERATOR_SECRET_NAME = "ambient-admin-langfuse-secret";

/**
 * The keys of that Secret, which are also the env var names the operator reads: exactly the four
 * it forwards to runners (components/operator/internal/handlers/sessions.go). It passes on
 * nothing else, so nothing else is written.
 */
export const OPERATOR_SECRET_KEYS = [
  "LANGFUSE_PUBLIC_KEY",
  "LANGFUSE_SECRET_KEY",
  "LANGFUSE_HOST",
  "LANGFUSE_ENABLED",
] as const;

/**
 * The operator container's env: each key read from the Secret as an *optional* reference, so the
 * operator still starts (with tracing off) when the Secret is absent, e.g. after `pulumi destroy`.
 */
export function operatorEnv(secretName: string = OPERATOR_SECRET_NAME) {
  return OPERATOR_SECRET_KEYS.map((key) => ({
    name: key,
    valueFrom: { secretKeyRef: { name: secretName, key, optional: true } },
  }));
}
