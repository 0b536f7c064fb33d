import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MANAGED_BY_LABELS } from "../names";
import type { ReleaseSpec } from "./prerequisiteReleases";

export interface PrerequisiteReleaseArgs {
  /** What to install, from `prerequisiteReleases()`. */
  spec: ReleaseSpec;
  /** The release this one must follow (the previous prerequisite), if any. */
  dependsOn: pulumi.Resource[];
}

/** A cluster-wide prerequisite of the Langfuse chart: its own namespace and a pinned Helm release in it. */
export class PrerequisiteRelease extends pulumi.ComponentResource {
  /** The Helm release: what the next release in the chain depends on. */
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: PrerequisiteReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ambient-langfuse:cluster:PrerequisiteRelease", name, {}, opts);
    const { spec } = args;
    const namespace = new k8s.core.v1.Namespace(
      name,
      { metadata: { name: spec.namespace, labels: MANAGED_BY_LABELS } },
      { parent: this },
    );
    this.release = new k8s.helm.v3.Release(
      name,
      {
        name: spec.name,
        namespace: namespace.metadata.name,
        chart: spec.chart,
        version: spec.version,
        values: spec.values,
        timeout: spec.timeoutSeconds,
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.registerOutputs({});
  }
}
