import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { BOOTSTRAP_SECRET_NAME, MANAGED_BY_LABELS } from "../names";
import { BOOTSTRAP_SECRET_KEYS } from "./secretKeys";

export interface BootstrapCredentialsArgs {
  /** Namespace of the Secret: the release's own. */
  namespace: pulumi.Input<string>;
  /** The admin user's email; a Pulumi secret when the stack gives it as one. */
  adminEmail: pulumi.Input<string>;
  /** Protect the Secret against deletion: its key pair is what every project's runners authenticate with. */
  protect: boolean;
}

/**
 * The API key pair and admin password that Langfuse's headless initialisation creates, in
 * Langfuse's own key format (`pk-lf-<uuid>`, `sk-lf-<uuid>`), and the admin's email, kept in one
 * Secret that the chart references.
 */
export class BootstrapCredentials extends pulumi.ComponentResource {
  public readonly secretName: pulumi.Output<string>;
  public readonly publicKey: pulumi.Output<string>;
  public readonly secretKey: pulumi.Output<string>;
  public readonly adminPassword: pulumi.Output<string>;

  constructor(name: string, args: BootstrapCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ambient-langfuse:langfuse:BootstrapCredentials", name, {}, opts);
    const secretUuid = (id: string) =>
      new random.RandomUuid(`${name}-${id}`, {}, { parent: this, additionalSecretOutputs: ["result"] }).result;

    this.publicKey = pulumi.secret(pulumi.interpolate`pk-lf-${secretUuid("publicKey")}`);
    this.secretKey = pulumi.secret(pulumi.interpolate`sk-lf-${secretUuid("secretKey")}`);
    this.adminPassword = pulumi.secret(
      new random.RandomPassword(`${name}-adminPassword`, { length: 32, special: false }, { parent: this }).result,
    );

    const secret = new k8s.core.v1.Secret(
      name,
      {
        metadata: { name: BOOTSTRAP_SECRET_NAME, namespace: args.namespace, labels: MANAGED_BY_LABELS },
        type: "Opaque",
        stringData: {
          [BOOTSTRAP_SECRET_KEYS.publicKey]: this.publicKey,
          [BOOTSTRAP_SECRET_KEYS.secretKey]: this.secretKey,
          [BOOTSTRAP_SECRET_KEYS.adminPassword]: this.adminPassword,
          [BOOTSTRAP_SECRET_KEYS.adminEmail]: args.adminEmail,
        },
      },
      { parent: this, protect: args.protect },
    );

    this.secretName = secret.metadata.name;
    this.registerOutputs({ secretName: this.secretName });
  }
}
