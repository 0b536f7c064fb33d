import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { EXISTING_SECRET_KEYS, type ExistingSecretKey } from "../config";
import { INTERNAL_SECRET_NAME, MANAGED_BY_LABELS } from "../names";
import { INTERNAL_SECRET_KEYS } from "./secretKeys";
import type { StoreCredentials, StoreSecretSpec } from "./storeSecrets";

export interface InternalSecretsArgs {
  /** Namespace of the Secret: the release's own, since the chart's references are namespace-local. */
  namespace: pulumi.Input<string>;
  /** Bumping it replaces only the NextAuth secret. */
  nextauthSecretVersion: number;
  /** Values to adopt instead of generating (plain strings from a secret setting). */
  existing: Partial<Record<ExistingSecretKey, string>>;
  /** Managed stores' credentials, by the key they fill (plain strings from secret settings): never generated. */
  managed: Partial<Record<ExistingSecretKey, string>>;
  /** Keys nothing reads (an S3 reached through a role holds no keys): neither generated nor kept. */
  omitted: ExistingSecretKey[];
  /** Protect the generated values and the Secret against deletion. */
  protect: boolean;
  /** Secrets the chart line's bundled stores read, derived from the values here (`storeSecrets()`). */
  storeSecrets: StoreSecretSpec[];
}

/**
 * Every internal secret of the chart, generated once (or adopted, or taken from a managed store's
 * settings) and kept in one Kubernetes Secret. The random resources have no inputs that change on
 * a later `pulumi up`, so their values stay put; the NextAuth secret alone has a keeper (its
 * version) and is never protected, because rotating it means replacing it. The store Secrets hold
 * nothing new: each is computed from these values, so it is as stable as they are.
 */
export class InternalSecrets extends pulumi.ComponentResource {
  /** Name of the Kubernetes Secret holding every internal secret. */
  public readonly secretName: pulumi.Output<string>;

  constructor(name: string, args: InternalSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    // Where each value comes from, by name only: reviewable in the plan.
    const kept = (k: ExistingSecretKey) => !args.omitted.includes(k);
    const adopted = EXISTING_SECRET_KEYS.filter((k) => kept(k) && args.existing[k] !== undefined);
    const managed = EXISTING_SECRET_KEYS.filter((k) => kept(k) && args.existing[k] === undefined && args.managed[k] !== undefined);
    const generated = EXISTING_SECRET_KEYS.filter((k) => kept(k) && args.existing[k] === undefined && args.managed[k] === undefined);
    const omitted = EXISTING_SECRET_KEYS.filter((k) => !kept(k));
    super("ambient-langfuse:langfuse:InternalSecrets", name, { adopted, managed, generated, omitted }, opts);
    const protectedChild = { parent: this, protect: args.protect };
    const adopt = (key: ExistingSecretKey, generate: () => pulumi.Output<string>): pulumi.Output<string> | undefined => {
      if (!kept(key)) return undefined;
      const value = args.existing[key] ?? args.managed[key];
      return value !== undefined ? pulumi.secret(value) : pulumi.secret(generate());
    };
    const password = (key: ExistingSecretKey, length = 40) =>
      adopt(key, () => new random.RandomPassword(`${name}-${key}`, { length, special: false }, protectedChild).result);

    const values: Record<keyof typeof INTERNAL_SECRET_KEYS, pulumi.Output<string> | undefined> = {
      // 32 random bytes as 64 hex characters: the 256-bit key Langfuse requires. Never rotated.
      encryptionKey: adopt("encryptionKey", () => new random.RandomBytes(`${name}-encryptionKey`, { length: 32 }, protectedChild).hex),
      salt: adopt("salt", () => new random.RandomBytes(`${name}-salt`, { length: 32 }, protectedChild).base64),
      nextauthSecret: adopt("nextauthSecret", () =>
        new random.RandomBytes(
          `${name}-nextauthSecret`,
          { length: 32, keepers: { version: String(args.nextauthSecretVersion) } },
          { parent: this },
        ).base64,
      ),
      postgresPassword: password("postgresPassword"),
      clickhousePassword: password("clickhousePassword"),
      redisPassword: password("redisPassword"),
      s3User: adopt("s3User", () =>
        new random.RandomString(`${name}-s3User`, { length: 32, special: false, upper: false }, protectedChild).result,
      ),
      s3Password: password("s3Password"),
    };

    const stringData: Record<string, pulumi.Output<string>> = {};
    for (const [field, key] of Object.entries(INTERNAL_SECRET_KEYS)) {
      const value = values[field as keyof typeof INTERNAL_SECRET_KEYS];
      if (value !== undefined) stringData[key] = value;
    }
    const secret = new k8s.core.v1.Secret(
      name,
      {
        metadata: { name: INTERNAL_SECRET_NAME, namespace: args.namespace, labels: MANAGED_BY_LABELS },
        type: "Opaque",
        stringData,
      },
      protectedChild,
    );

    // Only the bundled stores' Secrets are built from these; each store is bundled only where its values are kept.
    const credentials = pulumi
      .all({ postgresPassword: values.postgresPassword, redisPassword: values.redisPassword, s3User: values.s3User, s3Password: values.s3Password })
      .apply((c) => c as unknown as StoreCredentials);
    for (const spec of args.storeSecrets) {
      const data = credentials.apply((c) => spec.data(c));
      new k8s.core.v1.Secret(
        `${name}-${spec.store}`,
        {
          metadata: { name: spec.name, namespace: args.namespace, labels: MANAGED_BY_LABELS },
          type: "Opaque",
          stringData: Object.fromEntries(spec.keys.map((k) => [k, pulumi.secret(data.apply((d) => d[k]))])),
        },
        { parent: this },
      );
    }

    this.secretName = secret.metadata.name;
    this.registerOutputs({ secretName: this.secretName });
  }
}
