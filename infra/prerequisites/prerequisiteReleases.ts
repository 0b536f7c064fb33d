import type { Settings } from "../config";
import { chartLine } from "../langfuse/chartLine";

/** One Helm release the Langfuse chart needs in the cluster before it installs. */
export interface ReleaseSpec {
  /** Helm release name, Pulumi resource name and namespace, as upstream's install guides name them. */
  name: string;
  namespace: string;
  /** OCI chart reference, as the projects publish them. */
  chart: string;
  /** Exact chart version. */
  version: string;
  values: Record<string, unknown>;
  /** How long Helm waits for the release's workloads to become ready. */
  timeoutSeconds: number;
}

export const CERT_MANAGER_CHART = "oci://quay.io/jetstack/charts/cert-manager";
export const CLICKHOUSE_OPERATOR_CHART = "oci://ghcr.io/clickhouse/clickhouse-operator-helm";

export type PrerequisiteSettings = Pick<
  Settings,
  "chartVersion" | "installCertManager" | "certManagerVersion" | "installClickhouseOperator" | "clickhouseOperatorVersion"
>;

/**
 * The cluster-wide releases to install before Langfuse, in install order: chart 2.x renders
 * `ClickHouseCluster` and `KeeperCluster` resources for ClickHouse Inc's operator, whose webhook
 * certificates come from cert-manager. Chart 1.5.x bundles its own ClickHouse and needs neither.
 * A cluster that already runs one of them turns its install off and keeps its own.
 */
export function prerequisiteReleases(s: PrerequisiteSettings): ReleaseSpec[] {
  if (chartLine(s.chartVersion) !== "2.x") return [];
  const releases: ReleaseSpec[] = [];
  if (s.installCertManager) {
    releases.push({
      name: "cert-manager",
      namespace: "cert-manager",
      chart: CERT_MANAGER_CHART,
      version: s.certManagerVersion,
      // The CRDs come with the chart; `keep` leaves them (and every certificate) in place if the
      // release is ever uninstalled.
      values: { crds: { enabled: true, keep: true } },
      timeoutSeconds: 300,
    });
  }
  if (s.installClickhouseOperator) {
    releases.push({
      name: "clickhouse-operator",
      namespace: "clickhouse-operator",
      chart: CLICKHOUSE_OPERATOR_CHART,
      version: s.clickhouseOperatorVersion,
      // cert-manager is a release of its own (or the cluster's): never the chart's bundled copy.
      values: { certManager: { install: false } },
      timeoutSeconds: 300,
    });
  }
  return releases;
}
