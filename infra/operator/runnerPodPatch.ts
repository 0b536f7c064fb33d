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
 * ConfigMap. `@pulumi/kubernetes` types both API versions (v1, GA in Kubernetes 1.36; v1beta1 for
 * 1.34/1.35), so the manifests are checked against the API's fields at compile time. Each class
 * registers the type token a generic resource of that apiVersion and kind would
 * (`kubernetes:admissionregistration.k8s.io/<version>:<kind>`), under the same names: a stack
 * that registered them generically sees no replacement.
 */
export class RunnerPodPatch extends pulumi.ComponentResource {
  constructor(name: string, args: RunnerPodPatchArgs, opts?: pulumi.ComponentResourceOptions) {
    // Recorded so that reviews and policies can check what the policy targets.
    super("ambient-langfuse:operator:RunnerPodPatch", name, { runnerContainer: args.runnerContainer }, opts);
    const policyName = `${name}-policy`;
    const bindingName = `${name}-binding`;
    if (args.apiVersion === "v1beta1") {
      const settings: RunnerPatchSettings<"v1beta1"> = { ...args, apiVersion: "v1beta1" };
      const policy = new k8s.admissionregistration.v1beta1.MutatingAdmissionPolicy(policyName, admissionPolicyManifest(settings), {
        parent: this,
      });
      new k8s.admissionregistration.v1beta1.MutatingAdmissionPolicyBinding(bindingName, admissionPolicyBindingManifest(settings), {
        parent: this,
        dependsOn: [policy],
      });
    } else {
      const settings: RunnerPatchSettings<"v1"> = { ...args, apiVersion: "v1" };
      const policy = new k8s.admissionregistration.v1.MutatingAdmissionPolicy(policyName, admissionPolicyManifest(settings), {
        parent: this,
      });
      new k8s.admissionregistration.v1.MutatingAdmissionPolicyBinding(bindingName, admissionPolicyBindingManifest(settings), {
        parent: this,
        dependsOn: [policy],
      });
    }
    // The engine shows a component's registered outputs to stack policies (CrossGuard): the recorded container too.
    this.registerOutputs({ runnerContainer: args.runnerContainer });
  }
}
