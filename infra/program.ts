import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "./config";
import { BootstrapCredentials } from "./langfuse/bootstrapCredentials";
import { chartValues } from "./langfuse/chartValues";
import { InternalSecrets } from "./langfuse/internalSecrets";
import { LangfuseRelease } from "./langfuse/release";
import { BOOTSTRAP_SECRET_NAME, INTERNAL_SECRET_NAME, MANAGED_BY_LABELS, externalUrl, internalWebUrl } from "./names";
import { platformProfile } from "./platform";

/** The stack's outputs; the three credentials are Pulumi secrets. */
export interface StackOutputs {
  externalUrl: string;
  internalUrl: string;
  adminEmail: string;
  adminPassword: pulumi.Output<string>;
  publicKey: pulumi.Output<string>;
  secretKey: pulumi.Output<string>;
}

/** Composes the stack from validated settings. Wiring only: every decision lives in a pure function. */
export function langfuseStack(settings: Settings): StackOutputs {
  const namespace = new k8s.core.v1.Namespace(
    "langfuse",
    { metadata: { name: settings.namespace, labels: MANAGED_BY_LABELS } },
    { protect: settings.protect },
  );
  const ns = namespace.metadata.name;

  const internal = new InternalSecrets("internal", {
    namespace: ns,
    nextauthSecretVersion: settings.nextauthSecretVersion,
    existing: settings.existingSecrets,
    protect: settings.protect,
  });
  const bootstrap = new BootstrapCredentials("bootstrap", { namespace: ns });

  new LangfuseRelease("langfuse", {
    namespace: ns,
    chartVersion: settings.chartVersion,
    values: chartValues(settings, platformProfile(settings.platform), {
      internalSecretName: INTERNAL_SECRET_NAME,
      bootstrapSecretName: BOOTSTRAP_SECRET_NAME,
    }),
    dependsOn: [internal, bootstrap],
  });

  return {
    externalUrl: externalUrl(settings.hostname),
    internalUrl: internalWebUrl(settings.namespace),
    adminEmail: settings.adminEmail,
    adminPassword: bootstrap.adminPassword,
    publicKey: bootstrap.publicKey,
    secretKey: bootstrap.secretKey,
  };
}
