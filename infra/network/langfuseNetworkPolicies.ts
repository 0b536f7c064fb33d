import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { NetworkPolicyManifest } from "./networkPolicies";

export interface LangfuseNetworkPoliciesArgs {
  /** From `langfuseNetworkPolicies()`. */
  policies: NetworkPolicyManifest[];
  /** The namespace must exist first. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * The Langfuse namespace's NetworkPolicies. The Langfuse release waits for this component, so
 * the namespace is fenced before any pod of it starts.
 */
export class LangfuseNetworkPolicies extends pulumi.ComponentResource {
  constructor(name: string, args: LangfuseNetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ambient-langfuse:network:LangfuseNetworkPolicies", name, {}, opts);
    for (const manifest of args.policies) {
      new k8s.networking.v1.NetworkPolicy(manifest.metadata.name, manifest, { parent: this, dependsOn: args.dependsOn });
    }
    this.registerOutputs({});
  }
}
