import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  admissionPolicyBindingManifest,
  admissionPolicyManifest,
  type RunnerPatchSettings,
} from "./admissionPolicy";

export type RunnerPodPatchArgs = RunnerPatchSettings;

/**
 * The `admission-policy` integration: a MutatingAdmissionPolicy and its binding that give every
 * new runner pod in a managed namespace optional `envFrom` of the project's Langfuse Secret and
 * ConfigMap. `@pulumi/kubernetes` types only v1beta1; v1 (GA in Kubernetes 1.36) goes through the
 * provider's generic resource for any apiVersion and kind.
 */
export class RunnerPodPatch extends pulumi.ComponentResource {
  constructor(name: string, args: RunnerPodPatchArgs, opts?: pulumi.ComponentResourceOptions) {
    // Recorded so that reviews and policies can check what the policy targets.
    super("ambient-langfuse:operator:RunnerPodPatch", name, { runnerContainer: args.runnerContainer }, opts);
    const policy = admissionPolicyManifest(args);
    const binding = admissionPolicyBindingManifest(args);

    if (args.apiVersion === "v1beta1") {
      const p = new k8s.admissionregistration.v1beta1.MutatingAdmissionPolicy(`${name}-policy`, policy as any, { parent: this });
      new k8s.admissionregistration.v1beta1.MutatingAdmissionPolicyBinding(`${name}-binding`, binding as any, {
        parent: this,
        dependsOn: [p],
      });
    } else {
      const p = new k8s.apiextensions.CustomResource(`${name}-policy`, policy, { parent: this });
      new k8s.apiextensions.CustomResource(`${name}-binding`, binding, { parent: this, dependsOn: [p] });
    }
    this.registerOutputs({});
  }
}
