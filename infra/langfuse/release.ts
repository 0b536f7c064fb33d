import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHART_NAME, CHART_REPO, RELEASE_NAME } from "../names";

export interface LangfuseReleaseArgs {
  /** Namespace the chart is installed into. */
  namespace: pulumi.Input<string>;
  /** Exact chart version. */
  chartVersion: string;
  /** Values from `chartValues()`. */
  values: Record<string, unknown>;
  /** Resources the chart's pods read at start (the Secrets it references). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The official Langfuse chart, installed with a fixed release name. */
export class LangfuseRelease extends pulumi.ComponentResource {
  public readonly releaseName: pulumi.Output<string>;

  constructor(name: string, args: LangfuseReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ambient-langfuse:langfuse:LangfuseRelease", name, {}, opts);
    const release = new k8s.helm.v3.Release(
      name,
      {
        name: RELEASE_NAME, // fixed: the chart's service names derive from it
        namespace: args.namespace,
        chart: CHART_NAME,
        version: args.chartVersion,
        repositoryOpts: { repo: CHART_REPO },
        values: args.values,
        // ClickHouse and its keeper take minutes to become ready on a laptop.
        timeout: 900,
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.releaseName = release.name;
    this.registerOutputs({ releaseName: this.releaseName });
  }
}
