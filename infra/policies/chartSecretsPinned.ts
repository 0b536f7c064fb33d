import { chartMajor, isLangfuseRelease, type PlannedResource, type Policy, valueAt, violations } from "./types";

/** A chart secret that must be given, and what the chart does when it is not. */
interface PinRule {
  /** Values path of the secret field (an app secret) or of a store's `auth` block. */
  at: string;
  kind: "app" | "store" | "subchart";
  /** For a store: the field holding a literal password beside `existingSecret`. */
  passwordField?: string;
  /** For a subchart Secret name: the store whose `auth.existingSecret` makes it ours to give. */
  store?: string;
  /** What happens when it is left empty. */
  otherwise: string;
}

/** What the chart does with an empty secret it generates: a value nobody pinned. */
const generates = (who: string, where: string) =>
  `${who} would generate it into ${where} with \`lookup\`, a new value wherever the cluster cannot be read (helm template, a GitOps render)`;

/**
 * Written from each chart line's templates (chart 2.0.0: langfuse-app-secret.yaml, the store
 * secret templates and validations.yaml; chart 1.5.x: its required values and the Bitnami
 * subcharts' password helpers), not from this program's values.
 */
const RULES: Record<number, PinRule[]> = {
  2: [
    { at: "langfuse.salt", kind: "app", otherwise: generates("the chart", "<release>-app") + "; it hashes every API key" },
    { at: "langfuse.encryptionKey", kind: "app", otherwise: generates("the chart", "<release>-app") + "; it encrypts stored credentials" },
    { at: "langfuse.nextauth.secret", kind: "app", otherwise: generates("the chart", "<release>-app") },
    { at: "postgresql.auth", kind: "store", passwordField: "password", otherwise: generates("the chart", "langfuse-postgresql-auth") },
    { at: "redis.auth", kind: "store", passwordField: "password", otherwise: generates("the chart", "langfuse-redis-auth") + " (or runs Valkey without a password)" },
    { at: "clickhouse.auth", kind: "store", passwordField: "password", otherwise: generates("the chart", "<release>-clickhouse-auth") },
    { at: "s3.auth", kind: "store", passwordField: "rootPassword", otherwise: generates("the chart", "langfuse-s3-auth") },
    // With auth.existingSecret set, the chart creates none of these: the subchart must be given ours.
    { at: "postgresql.settings.existingSecret", kind: "subchart", store: "postgresql", otherwise: "PostgreSQL would mount the chart's langfuse-postgresql-auth, which the chart no longer creates" },
    { at: "postgresql.userDatabase.existingSecret", kind: "subchart", store: "postgresql", otherwise: "PostgreSQL would mount the chart's langfuse-postgresql-auth, which the chart no longer creates" },
    { at: "redis.auth.usersExistingSecret", kind: "subchart", store: "redis", otherwise: "Valkey would mount the chart's langfuse-redis-auth, which the chart no longer creates" },
    { at: "s3.allInOne.s3.existingConfigSecret", kind: "subchart", store: "s3", otherwise: "SeaweedFS would mount the chart's langfuse-s3-auth, which the chart no longer creates" },
  ],
  1: [
    { at: "langfuse.salt", kind: "app", otherwise: "the chart refuses to render; it hashes every API key" },
    { at: "langfuse.encryptionKey", kind: "app", otherwise: "Langfuse cannot store LLM connection credentials" },
    { at: "langfuse.nextauth.secret", kind: "app", otherwise: "the chart refuses to render" },
    { at: "postgresql.auth", kind: "store", passwordField: "password", otherwise: "the chart refuses to render" },
    { at: "redis.auth", kind: "store", passwordField: "password", otherwise: generates("Bitnami Valkey", "langfuse-redis") },
    { at: "clickhouse.auth", kind: "store", passwordField: "password", otherwise: "the chart refuses to render" },
    { at: "s3.auth", kind: "store", passwordField: "rootPassword", otherwise: generates("Bitnami MinIO", "langfuse-s3") },
  ],
};

const given = (v: unknown) => typeof v === "string" && v !== "";

/** Whether a rule's secret is given, or undefined when the rule does not apply (an external store). */
function pinned(rule: PinRule, values: any): boolean | undefined {
  const store = rule.at.split(".")[0];
  if (rule.kind !== "app" && valueAt(values, `${store}.deploy`) === false) return undefined;
  switch (rule.kind) {
    case "app": {
      const field = valueAt(values, rule.at) ?? {};
      return given(field.value) || (given(field.secretKeyRef?.name) && given(field.secretKeyRef?.key));
    }
    case "store": {
      const auth = valueAt(values, rule.at) ?? {};
      return given(auth.existingSecret) || given(auth[rule.passwordField!]);
    }
    case "subchart":
      if (!given(valueAt(values, `${rule.store}.auth.existingSecret`))) return undefined;
      return given(valueAt(values, rule.at));
  }
}

export const chartSecretsPinned: Policy = {
  name: "chart-secrets-pinned",
  description:
    "No secret of the Langfuse chart is left empty: each one the chart (or a store subchart) would otherwise generate, or fail without, is given.",
  check(resources) {
    const found: [PlannedResource, string][] = [];
    for (const release of resources.filter(isLangfuseRelease)) {
      const major = chartMajor(release);
      const rules = major === undefined ? undefined : RULES[major];
      if (rules === undefined) {
        found.push([release, `chart ${release.inputs.version} is of a line this policy has no rules for: add them from its templates`]);
        continue;
      }
      const values = release.inputs.values ?? {};
      for (const rule of rules) {
        if (pinned(rule, values) !== false) continue;
        const what = rule.kind === "store" ? `values.${rule.at} has neither existingSecret nor ${rule.passwordField}` : `values.${rule.at} is left empty`;
        found.push([release, `${what}: ${rule.otherwise}; give it by reference to a Secret this program creates`]);
      }
    }
    return violations(this.name, found);
  },
};
