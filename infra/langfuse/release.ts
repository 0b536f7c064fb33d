import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Platform } from "../config";
import { CHART_NAME, CHART_REPO, RELEASE_NAME } from "../names";
import { OpenShiftRoute, type RouteManifest } from "./route";

export interface LangfuseReleaseArgs {
  /** Namespace the chart is installed into. */
  namespace: pulumi.Input<string>;
  /** Exact chart version. */
  chartVersion: string;
  /** Where it runs and whether as production: recorded on the component for reviews and policies. */
  platform: Platform;
  production: boolean;
  /** Values from `chartValues()`. */
  values: Record<string, unknown>;
  /** The Route to the web Service, where the platform exposes it so (OpenShift): no chart line renders one. */
  route: RouteManifest | undefined;
  /** Resources the chart's pods read at start (the Secrets it references). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The official Langfuse chart, installed with a fixed release name, and the Route to it where there is one. */
export class LangfuseRelease extends pulumi.ComponentResource {
  public readonly releaseName: pulumi.Output<string>;

  constructor(name: string, args: LangfuseReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ambient-langfuse:langfuse:LangfuseRelease", name, { platform: args.platform, production: args.production }, opts);
    const release = new k8s.helm.v3.Release(
      name,
      {
        name: RELEASE_NAME, // fixed: the chart's service names derive from it
        namespace: args.namespace,
        chart: CHART_NAME,
        version: args.chartVersion,
        repositoryOpts: { repo: CHART_REPO },
        values: args.values,
        // On a platform that assigns UIDs, null deletes the UIDs the store subcharts fix by default.
        allowNullValues: true,
        // ClickHouse and its keeper take minutes to become ready on a laptop.
        timeout: 900,
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    if (args.route !== undefined) {
      // After the release: the Route names the chart's web Service.
      new OpenShiftRoute(name, args.route, { parent: this, dependsOn: [release] });
    }
    this.releaseName = release.name;
    // The engine shows a component's registered outputs to stack policies (CrossGuard): the recorded facts too.
    this.registerOutputs({ releaseName: this.releaseName, platform: args.platform, production: args.production });
  }
}
