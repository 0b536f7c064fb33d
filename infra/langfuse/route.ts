import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/**
 * An OpenShift Route (`route.openshift.io/v1`), typed as far as this program sets it. Neither
 * `@pulumi/kubernetes` nor `kubernetes-models` knows the kind, so the fields come from the Route
 * API (openshift/api, route/v1) and a shape test holds them to it (test/platform.test.ts).
 */
export interface RouteManifest {
  apiVersion: "route.openshift.io/v1";
  kind: "Route";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    host: string;
    to: { kind: "Service"; name: string; weight: number };
    /** A named port of the Service's endpoints. */
    port: { targetPort: string };
    tls: {
      /** TLS ends at the router, with the cluster's certificate for its apps domain. */
      termination: "edge";
      /** Plain HTTP is answered with a redirect to HTTPS. */
      insecureEdgeTerminationPolicy: "Redirect";
    };
    wildcardPolicy: "None";
  };
}

export interface RouteSettings {
  name: string;
  namespace: string;
  /** The public host name; under the cluster's apps domain, the router's wildcard certificate covers it. */
  host: string;
  /** The chart's web Service and its named port. */
  serviceName: string;
  targetPort: string;
  labels: Record<string, string>;
}

/** The Route to Langfuse's web Service: edge TLS, HTTP redirected. Pure. */
export function routeManifest(s: RouteSettings): RouteManifest {
  return {
    apiVersion: "route.openshift.io/v1",
    kind: "Route",
    metadata: { name: s.name, namespace: s.namespace, labels: s.labels },
    spec: {
      host: s.host,
      to: { kind: "Service", name: s.serviceName, weight: 100 },
      port: { targetPort: s.targetPort },
      tls: { termination: "edge", insecureEdgeTerminationPolicy: "Redirect" },
      wildcardPolicy: "None",
    },
  };
}

/** A Route as a custom resource whose arguments are typed by its manifest. */
export class OpenShiftRoute extends k8s.apiextensions.CustomResource {
  constructor(name: string, manifest: RouteManifest, opts?: pulumi.CustomResourceOptions) {
    super(name, manifest, opts);
  }
}
