import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MANAGED_BY_LABELS } from "../names";
import { MANAGED_NAMESPACE_LABELS } from "../operator/admissionPolicy";
import type { Isolation, KeySourceName } from "../projectSettings";
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
  /** The key pair for this project, from `projectKeys()`: the same Secret whatever its source. */
  keys: ProjectKeys;
  /** Where `keys` come from, recorded (never a key) so that the plan, reviews and policies see it. */
  keySource: KeySourceName;
  /** The stack's isolation, recorded for the same readers: under `strict` no project keeps the bootstrap pair. */
  isolation: Isolation;
  /** Data of the `langfuse-config` ConfigMap, from `projectConfigData()`. */
  config: Record<string, string>;
}

/** One project's namespace contract: Secret `langfuse-keys` and ConfigMap `langfuse-config`. */
export class ProjectWiring extends pulumi.ComponentResource {
  public readonly secretName: pulumi.Output<string>;
  public readonly configMapName: pulumi.Output<string>;

  constructor(name: string, args: ProjectWiringArgs, opts?: pulumi.ComponentResourceOptions) {
    // Recorded on the component so that reviews and policies see which project it is and where its keys come from.
    const recorded = { namespace: args.namespace, keySource: args.keySource, isolation: args.isolation };
    super("ambient-langfuse:projects:ProjectWiring", name, recorded, opts);

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
    // The engine shows a component's registered outputs to stack policies (CrossGuard): what is recorded too.
    this.registerOutputs({ ...recorded, secretName: this.secretName, configMapName: this.configMapName });
  }
}
