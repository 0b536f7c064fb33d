import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "./config";
import { BootstrapCredentials } from "./langfuse/bootstrapCredentials";
import { chartLine } from "./langfuse/chartLine";
import { chartValues } from "./langfuse/chartValues";
import { InternalSecrets } from "./langfuse/internalSecrets";
import { managedStoreCredentials } from "./langfuse/managedStoreValues";
import { LangfuseRelease } from "./langfuse/release";
import { routeManifest } from "./langfuse/route";
import { sizingFor } from "./langfuse/sizing";
import { storeSecrets } from "./langfuse/storeSecrets";
import {
  BOOTSTRAP_SECRET_NAME,
  INTERNAL_SECRET_NAME,
  MANAGED_BY_LABELS,
  RELEASE_NAME,
  STORE_SECRET_NAMES,
  externalUrl,
  internalWebUrl,
  webServiceName,
} from "./names";
import { LangfuseNetworkPolicies } from "./network/langfuseNetworkPolicies";
import { ingressNamespaceSelector, langfuseNetworkPolicies } from "./network/networkPolicies";
import { platformProfile } from "./platform";
import { PrerequisiteRelease } from "./prerequisites/prerequisiteRelease";
import { CLICKHOUSE_OPERATOR_CHART, prerequisiteReleases } from "./prerequisites/prerequisiteReleases";
import { OperatorEnvIntegration } from "./operator/operatorEnvIntegration";
import { RunnerPodPatch } from "./operator/runnerPodPatch";
import type { KeySourceName } from "./projectSettings";
import { PROJECT_CONFIGMAP_NAME, PROJECT_SECRET_NAME, projectConfigData } from "./projects/projectContract";
import { projectKeys } from "./projects/projectKeys";
import { ProjectWiring } from "./projects/projectWiring";

/** The stack's outputs; the three credentials are Pulumi secrets, and so is a secret adminEmail. */
export interface StackOutputs {
  externalUrl: string;
  internalUrl: string;
  adminEmail: pulumi.Input<string>;
  adminPassword: pulumi.Output<string>;
  publicKey: pulumi.Output<string>;
  secretKey: pulumi.Output<string>;
  /** Per project namespace, the names of the objects its runners read and where its keys come from (never a key). */
  projects: Record<string, { secret: string; configMap: string; keySource: KeySourceName }>;
}

/** Composes the stack from validated settings. Wiring only: every decision lives in a pure function. */
export function langfuseStack(settings: Settings): StackOutputs {
  // cert-manager, then the ClickHouse operator, then Langfuse: each release waits for the one before.
  let previousRelease: pulumi.Resource | undefined;
  for (const spec of prerequisiteReleases(settings)) {
    previousRelease = new PrerequisiteRelease(spec.name, {
      spec,
      dependsOn: previousRelease ? [previousRelease] : [],
    }).release;
  }

  const namespace = new k8s.core.v1.Namespace(
    "langfuse",
    { metadata: { name: settings.namespace, labels: MANAGED_BY_LABELS } },
    { protect: settings.protect },
  );
  const ns = namespace.metadata.name;

  const managed = managedStoreCredentials(settings.externalStores);
  const internal = new InternalSecrets("internal", {
    namespace: ns,
    nextauthSecretVersion: settings.nextauthSecretVersion,
    existing: settings.existingSecrets,
    managed: managed.values,
    omitted: managed.omitted,
    protect: settings.protect,
    // settings.chartVersion is validated: its line is known.
    storeSecrets: storeSecrets(chartLine(settings.chartVersion)!, settings.externalStores),
  });
  const adminEmail = settings.adminEmailSecret ? pulumi.secret(settings.adminEmail) : settings.adminEmail;
  const bootstrap = new BootstrapCredentials("bootstrap", { namespace: ns, adminEmail, protect: settings.protect });

  const profile = platformProfile(settings.platform);
  // Fenced before any Langfuse pod starts: the release waits for its NetworkPolicies.
  const fence = new LangfuseNetworkPolicies("langfuse", {
    policies: langfuseNetworkPolicies({
      namespace: settings.namespace,
      releaseName: RELEASE_NAME,
      chartLine: chartLine(settings.chartVersion)!,
      bundled: {
        postgresql: settings.externalStores.postgres === undefined,
        redis: settings.externalStores.redis === undefined,
        s3: settings.externalStores.s3 === undefined,
        clickhouse: true,
      },
      ingressNamespaces: ingressNamespaceSelector(profile, settings.ingressControllerNamespace),
      clickhouseOperatorNamespace: prerequisiteReleases(settings).find((r) => r.chart === CLICKHOUSE_OPERATOR_CHART)?.namespace,
      labels: MANAGED_BY_LABELS,
    }),
    dependsOn: [namespace],
  });
  new LangfuseRelease("langfuse", {
    namespace: ns,
    chartVersion: settings.chartVersion,
    platform: settings.platform,
    production: settings.production,
    values: chartValues(
      settings,
      profile,
      { internalSecretName: INTERNAL_SECRET_NAME, bootstrapSecretName: BOOTSTRAP_SECRET_NAME, storeSecretNames: STORE_SECRET_NAMES },
      sizingFor(settings.production),
    ),
    route:
      profile.exposure === "route"
        ? routeManifest({
            name: RELEASE_NAME,
            namespace: settings.namespace,
            host: settings.hostname,
            serviceName: webServiceName(),
            targetPort: "http",
            labels: MANAGED_BY_LABELS,
          })
        : undefined,
    dependsOn: [internal, bootstrap, fence, ...(previousRelease ? [previousRelease] : [])],
  });

  // Langfuse OSS creates exactly one key pair headlessly: a project without a pair of its own (made
  // in the UI) shares it. The namespace contract is the same whatever the pair's source.
  const bootstrapKeys = { publicKey: bootstrap.publicKey, secretKey: bootstrap.secretKey };
  for (const project of settings.projects) {
    new ProjectWiring(`project-${project.namespace}`, {
      namespace: project.namespace,
      displayName: project.displayName,
      createNamespace: settings.createProjectNamespaces,
      keys: projectKeys(project.keys, bootstrapKeys),
      keySource: project.keys.source,
      isolation: settings.isolation,
      config: projectConfigData({
        namespace: project.namespace,
        langfuseNamespace: settings.namespace,
        maskMessages: settings.maskMessages,
      }),
    });
  }

  if (settings.operatorIntegration === "admission-policy") {
    new RunnerPodPatch("runner-pod-patch", {
      apiVersion: settings.admissionPolicyApiVersion,
      runnerContainer: settings.runnerContainer,
      keysSecretName: PROJECT_SECRET_NAME,
      configMapName: PROJECT_CONFIGMAP_NAME,
      policyName: "ambient-langfuse-runner-env",
      labels: MANAGED_BY_LABELS,
    });
  } else if (settings.operatorIntegration === "operator-env") {
    new OperatorEnvIntegration("operator-env", {
      operatorNamespace: settings.operatorNamespace,
      operatorDeployment: settings.operatorDeployment,
      operatorContainer: settings.operatorContainer,
      publicKey: bootstrap.publicKey,
      secretKey: bootstrap.secretKey,
      host: internalWebUrl(settings.namespace),
    });
  }

  return {
    externalUrl: externalUrl(settings.hostname, profile.scheme),
    internalUrl: internalWebUrl(settings.namespace),
    adminEmail,
    adminPassword: bootstrap.adminPassword,
    publicKey: bootstrap.publicKey,
    secretKey: bootstrap.secretKey,
    projects: Object.fromEntries(
      settings.projects.map((p) => [p.namespace, { secret: PROJECT_SECRET_NAME, configMap: PROJECT_CONFIGMAP_NAME, keySource: p.keys.source }]),
    ),
  };
}
