import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MANAGED_BY_LABELS } from "../names";
import { MANAGED_NAMESPACE_LABELS } from "../operator/admissionPolicy";
import {
  PROJECT_CONFIGMAP_NAME,
  PROJECT_SECRET_KEYS,
  PROJECT_SECRET_NAME,
} from "./projectContract";

/** The Langfuse key pair one project's runners use. */
export interface ProjectKeys {
  publicKey: pulumi.Input<string>;
  secretKey: pulumi.Input<string>;
}

export interface ProjectWiringArgs {
  /** The project's namespace. */
  namespace: string;
  /** Shown as the namespace's display name when this program creates it. */
  displayName: string;
  /** Create the namespace (labelled as managed); otherwise it must exist and is never touched. */
  createNamespace: boolean;
  /**
   * The key pair for this project: today the bootstrap pair shared by every project (Langfuse OSS
   * creates one); a pair of the project's own later, with no change to what the namespace gets.
   */
  keys: ProjectKeys;
  /** Data of the `langfuse-config` ConfigMap, from `projectConfigData()`. */
  config: Record<string, string>;
}

/** One project's namespace contract: Secret `langfuse-keys` and ConfigMap `langfuse-config`. */
export class ProjectWiring extends pulumi.ComponentResource {
  public readonly secretName: pulumi.Output<string>;
  public readonly configMapName: pulumi.Output<string>;

  constructor(name: string, args: ProjectWiringArgs, opts?: pulumi.ComponentResourceOptions) {
    // The namespace is recorded on the component so that reviews and policies see which project it is.
    super("ambient-langfuse:projects:ProjectWiring", name, { namespace: args.namespace }, opts);

    const dependsOn: pulumi.Resource[] = [];
    if (args.createNamespace) {
      dependsOn.push(
        new k8s.core.v1.Namespace(
          `${name}-namespace`,
          {
            metadata: {
              name: args.namespace,
              labels: { ...MANAGED_BY_LABELS, ...MANAGED_NAMESPACE_LABELS },
              annotations: { "openshift.io/display-name": args.displayName },
            },
          },
          { parent: this },
        ),
      );
    }
    const metadata = (n: string) => ({ name: n, namespace: args.namespace, labels: MANAGED_BY_LABELS });

    const secret = new k8s.core.v1.Secret(
      `${name}-keys`,
      {
        metadata: metadata(PROJECT_SECRET_NAME),
        type: "Opaque",
        stringData: {
          [PROJECT_SECRET_KEYS.publicKey]: pulumi.secret(args.keys.publicKey),
          [PROJECT_SECRET_KEYS.secretKey]: pulumi.secret(args.keys.secretKey),
        },
      },
      { parent: this, dependsOn },
    );
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      { metadata: metadata(PROJECT_CONFIGMAP_NAME), data: args.config },
      { parent: this, dependsOn },
    );

    this.secretName = secret.metadata.name;
    this.configMapName = configMap.metadata.name;
    // The engine shows a component's registered outputs to stack policies (CrossGuard): the recorded namespace too.
    this.registerOutputs({ namespace: args.namespace, secretName: this.secretName, configMapName: this.configMapName });
  }
}
