import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseSettings } from "../infra/config";
import { bootstrapEnv, bootstrapIds } from "../infra/langfuse/bootstrap";
import { chartValues } from "../infra/langfuse/chartValues";
import { externalUrl, internalWebUrl } from "../infra/names";
import { platformProfile } from "../infra/platform";
import { chartHasPath, leafPaths } from "../infra/policies/chartValuePathsExist";

const refs = { internalSecretName: "langfuse-internal", bootstrapSecretName: "langfuse-bootstrap" };
const dev = parseSettings({ adminEmail: "admin@ambient-code.local" });
const kindValues = chartValues(dev, platformProfile("kind"), refs);
const REFERENCE = path.resolve(__dirname, "..", "..", "shared", "reference");

describe("chart values", () => {
  it("hands the chart the application secrets by reference, never by value", () => {
    expect(kindValues.langfuse.salt).toEqual({ secretKeyRef: { name: "langfuse-internal", key: "salt" } });
    expect(kindValues.langfuse.encryptionKey).toEqual({ secretKeyRef: { name: "langfuse-internal", key: "encryption-key" } });
    expect(kindValues.langfuse.nextauth).toEqual({
      url: "http://langfuse.local",
      secret: { secretKeyRef: { name: "langfuse-internal", key: "nextauth-secret" } },
    });
    const { additionalEnv, ...langfuseWithoutEnv } = kindValues.langfuse;
    expect(JSON.stringify({ ...kindValues, langfuse: langfuseWithoutEnv })).not.toMatch(/"(value|password|rootPassword)":/);
  });

  it("hands every store its password through existingSecret with the store's own key field", () => {
    expect(kindValues.postgresql.auth).toEqual({
      existingSecret: "langfuse-internal",
      secretKeys: { userPasswordKey: "postgres-password", adminPasswordKey: "postgres-password" },
    });
    expect(kindValues.clickhouse.auth).toEqual({ existingSecret: "langfuse-internal", existingSecretKey: "clickhouse-password" });
    expect(kindValues.redis.auth).toEqual({ existingSecret: "langfuse-internal", existingSecretPasswordKey: "redis-password" });
    expect(kindValues.s3.auth).toEqual({
      existingSecret: "langfuse-internal",
      rootUserSecretKey: "s3-user",
      rootPasswordSecretKey: "s3-password",
    });
  });

  it("exposes the UI through an Ingress of the configured class on kind", () => {
    expect(kindValues.langfuse.ingress).toEqual({
      enabled: true,
      className: "nginx",
      hosts: [{ host: "langfuse.local", paths: [{ path: "/", pathType: "Prefix" }] }],
    });
  });

  it("creates no Ingress on OpenShift and lets the Bitnami stores drop their fixed UIDs", () => {
    const values = chartValues(dev, platformProfile("openshift"), refs);
    expect(values.langfuse.ingress).toBeUndefined();
    expect(values.global).toEqual({ compatibility: { openshift: { adaptSecurityContext: "force" } } });
  });

  it("sizes ClickHouse for a laptop: one replica, one keeper, small requests", () => {
    expect(kindValues.clickhouse.replicaCount).toBe(1);
    expect(kindValues.clickhouse.zookeeper.replicaCount).toBe(1);
    expect(kindValues.clickhouse.resources.requests).toEqual({ cpu: "250m", memory: "1Gi" });
    const requestedMemoryMi = [
      kindValues.langfuse.web, kindValues.langfuse.worker, kindValues.postgresql.primary, kindValues.clickhouse,
      kindValues.clickhouse.zookeeper, kindValues.redis.primary, kindValues.s3,
    ].map((c) => c.resources.requests.memory).reduce((sum: number, m: string) => sum + (m.endsWith("Gi") ? parseFloat(m) * 1024 : parseFloat(m)), 0);
    expect(requestedMemoryMi).toBeLessThanOrEqual(4096);
  });

  it("sets only paths the chart knows, for both supported chart versions, outside the Bitnami allow-list", () => {
    for (const version of ["1.5.41", "1.5.9"]) {
      const defaults = parse(readFileSync(path.join(REFERENCE, `langfuse-chart-${version}.values.yaml`), "utf8"));
      const unknown = leafPaths(kindValues).filter((p) => !chartHasPath(defaults, p));
      expect(unknown.sort(), version).toEqual(
        [
          "clickhouse.resources.limits.memory",
          "clickhouse.resources.requests.cpu",
          "clickhouse.resources.requests.memory",
          "clickhouse.zookeeper.replicaCount",
          "clickhouse.zookeeper.resources.limits.memory",
          "clickhouse.zookeeper.resources.requests.cpu",
          "clickhouse.zookeeper.resources.requests.memory",
          "postgresql.primary.resources.limits.memory",
          "postgresql.primary.resources.requests.cpu",
          "postgresql.primary.resources.requests.memory",
          "redis.primary.resources.limits.memory",
          "redis.primary.resources.requests.cpu",
          "redis.primary.resources.requests.memory",
          "s3.resources.limits.memory",
          "s3.resources.requests.cpu",
          "s3.resources.requests.memory",
          ...(version === "1.5.9" ? ["postgresql.auth.secretKeys.adminPasswordKey"] : []),
        ].sort(),
      );
    }
  });
});

describe("headless bootstrap", () => {
  it("passes names literally and the key pair, password and email (which may be a secret setting) by reference", () => {
    expect(bootstrapEnv(dev, "langfuse-bootstrap")).toEqual([
      { name: "LANGFUSE_INIT_ORG_ID", value: "ambient-code" },
      { name: "LANGFUSE_INIT_ORG_NAME", value: "ambient-code" },
      { name: "LANGFUSE_INIT_PROJECT_ID", value: "ambient-code-platform" },
      { name: "LANGFUSE_INIT_PROJECT_NAME", value: "ambient-code-platform" },
      { name: "LANGFUSE_INIT_PROJECT_PUBLIC_KEY", valueFrom: { secretKeyRef: { name: "langfuse-bootstrap", key: "public-key" } } },
      { name: "LANGFUSE_INIT_PROJECT_SECRET_KEY", valueFrom: { secretKeyRef: { name: "langfuse-bootstrap", key: "secret-key" } } },
      { name: "LANGFUSE_INIT_USER_EMAIL", valueFrom: { secretKeyRef: { name: "langfuse-bootstrap", key: "admin-email" } } },
      { name: "LANGFUSE_INIT_USER_NAME", value: "Langfuse admin" },
      { name: "LANGFUSE_INIT_USER_PASSWORD", valueFrom: { secretKeyRef: { name: "langfuse-bootstrap", key: "admin-password" } } },
    ]);
    expect(kindValues.langfuse.additionalEnv).toEqual(bootstrapEnv(dev, "langfuse-bootstrap"));
  });

  it("derives readable, stable ids from the configured names", () => {
    expect(bootstrapIds({ ...dev, organizationName: "Red Hat AI", projectName: "ACP / Staging" })).toEqual({
      organizationId: "red-hat-ai",
      projectId: "acp-staging",
    });
  });
});

describe("names", () => {
  it("derives the external URL and the in-cluster web service URL", () => {
    expect(externalUrl("langfuse.local")).toBe("http://langfuse.local");
    expect(internalWebUrl("observability")).toBe("http://langfuse-web.observability.svc.cluster.local:3000");
  });
});
