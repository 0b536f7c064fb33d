import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MANAGED_BY_LABELS } from "../names";
import { OPERATOR_SECRET_NAME, operatorEnv } from "./operatorEnv";

export interface OperatorEnvIntegrationArgs {
  /** Namespace, Deployment and container of the platform's operator. */
  operatorNamespace: string;
  operatorDeployment: string;
  operatorContainer: string;
  /** The shared key pair (the operator copies one Secret into every session namespace). */
  publicKey: pulumi.Input<string>;
  secretKey: pulumi.Input<string>;
  /** In-cluster URL of the Langfuse web service. */
  host: string;
}

/**
 * The `operator-env` integration, for clusters without MutatingAdmissionPolicy: the operator's own
 * mechanism. A Secret in the operator's namespace, and a server-side-apply patch that makes the
 * operator container read each of its keys as an optional env reference.
 *
 * Deleting the stack keeps the patch (`retainOnDelete`, as pulumi-eks keeps its patches): the
 * operator is not restarted by a destroy, and since every reference is optional, its next start
 * simply finds no Langfuse settings once the Secret is gone.
 */
export class OperatorEnvIntegration extends pulumi.ComponentResource {
  constructor(name: string, args: OperatorEnvIntegrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ambient-langfuse:operator:OperatorEnvIntegration", name, {}, opts);
    const secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: { name: OPERATOR_SECRET_NAME, namespace: args.operatorNamespace, labels: MANAGED_BY_LABELS },
        type: "Opaque",
        stringData: {
          LANGFUSE_PUBLIC_KEY: pulumi.secret(args.publicKey),
          LANGFUSE_SECRET_KEY: pulumi.secret(args.secretKey),
          LANGFUSE_HOST: args.host,
          LANGFUSE_ENABLED: "true",
        },
      },
      { parent: this },
    );
    new k8s.apps.v1.DeploymentPatch(
      `${name}-deployment`,
      {
        metadata: {
          name: args.operatorDeployment,
          namespace: args.operatorNamespace,
          annotations: { "pulumi.com/patchForce": "true" },
        },
        spec: {
          template: {
            spec: { containers: [{ name: args.operatorContainer, env: operatorEnv(OPERATOR_SECRET_NAME) }] },
          },
        },
      },
      { parent: this, dependsOn: [secret], retainOnDelete: true },
    );
    this.registerOutputs({});
  }
}
