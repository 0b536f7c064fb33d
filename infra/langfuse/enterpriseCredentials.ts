import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ENTERPRISE_SECRET_NAME, MANAGED_BY_LABELS } from "../names";
import { ENTERPRISE_SECRET_KEYS } from "./secretKeys";

export interface EnterpriseCredentialsArgs {
  /** Namespace of the Secret: the release's own, since the chart's references are namespace-local. */
  namespace: pulumi.Input<string>;
  /** The licence, a plain string read from a secret setting: wrapped as a secret here, its only consumer. */
  licenseKey: string;
  /** Generate the admin API key (ADMIN_API_KEY), for provisioning through Langfuse's admin API. */
  adminApi: boolean;
  /** Protect the Secret against deletion, as the stack's other Secrets Langfuse reads at start. */
  protect: boolean;
}

/**
 * Secret `langfuse-enterprise`: the Enterprise licence (LANGFUSE_EE_LICENSE_KEY through the chart's
 * `langfuse.licenseKey.secretKeyRef`) and, where the program provisions projects, the admin API key
 * (ADMIN_API_KEY), generated once: 48 alphanumeric characters, stable across updates (the web pods
 * read it when they start, and the program calls the admin API with it).
 */
export class EnterpriseCredentials extends pulumi.ComponentResource {
  public readonly secretName: pulumi.Output<string>;
  /** Undefined unless `adminApi`. */
  public readonly adminApiKey: pulumi.Output<string> | undefined;

  constructor(name: string, args: EnterpriseCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ambient-langfuse:langfuse:EnterpriseCredentials", name, { adminApi: args.adminApi }, opts);
    this.adminApiKey = args.adminApi
      ? pulumi.secret(new random.RandomPassword(`${name}-adminApiKey`, { length: 48, special: false }, { parent: this }).result)
      : undefined;
    const secret = new k8s.core.v1.Secret(
      name,
      {
        metadata: { name: ENTERPRISE_SECRET_NAME, namespace: args.namespace, labels: MANAGED_BY_LABELS },
        type: "Opaque",
        stringData: {
          [ENTERPRISE_SECRET_KEYS.licenseKey]: pulumi.secret(args.licenseKey),
          ...(this.adminApiKey ? { [ENTERPRISE_SECRET_KEYS.adminApiKey]: this.adminApiKey } : {}),
        },
      },
      { parent: this, protect: args.protect },
    );
    this.secretName = secret.metadata.name;
    this.registerOutputs({ secretName: this.secretName, adminApi: args.adminApi });
  }
}
