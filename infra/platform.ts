import type { Platform } from "./config";

/** What differs between the platforms this program deploys to. */
export interface PlatformProfile {
  /**
   * How users reach the web service: the chart's own Ingress of the configured class (kind), or
   * an OpenShift Route this program creates, since no chart line renders one (route.ts).
   */
  exposure: "ingress" | "route";
  /**
   * The scheme users reach it with, and so NextAuth's URL: the Route terminates TLS at the router
   * (edge) and redirects plain HTTP; kind's Ingress serves plain HTTP on a laptop.
   */
  scheme: "http" | "https";
  /**
   * The platform assigns every pod's UID, GID and fsGroup from the namespace's range and refuses
   * pods that fix their own (OpenShift's restricted-v2 SCC). Then no value we set fixes one, and
   * the ones the store subcharts fix by default are taken away: chart 1.5.x's Bitnami stores
   * through their OpenShift switch (`force`), chart 2.x's PostgreSQL (999) and Valkey (1000) by
   * overriding their defaults with null.
   */
  assignsUids: boolean;
}

export function platformProfile(platform: Platform): PlatformProfile {
  switch (platform) {
    case "kind":
      return { exposure: "ingress", scheme: "http", assignsUids: false };
    case "openshift":
      return { exposure: "route", scheme: "https", assignsUids: true };
  }
}
