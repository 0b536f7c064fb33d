import * as fs from "node:fs";
import * as path from "node:path";
import { startSpecServer, type OperationHandler, type SpecServer } from "./specServer";

/** The Langfuse versions whose specs `../shared/reference/` holds. */
export const LANGFUSE_SPEC_VERSIONS = ["3.224.1", "4.16.0"] as const;
export type LangfuseSpecVersion = (typeof LANGFUSE_SPEC_VERSIONS)[number];

/** The shared reference folder beside the repository (never copied into it). */
const REFERENCE = path.resolve(__dirname, "../../../shared/reference");

/** The two documents Langfuse publishes for one version: the public API and the organisations (admin) API. */
export function langfuseSpecFiles(version: LangfuseSpecVersion): { publicApi: string; organizationsApi: string } {
  const files = {
    publicApi: path.join(REFERENCE, `langfuse-${version}.public-api.openapi.yml`),
    organizationsApi: path.join(REFERENCE, `langfuse-${version}.organizations-api.openapi.yml`),
  };
  for (const file of Object.values(files)) {
    if (!fs.existsSync(file)) throw new Error(`Langfuse's OpenAPI spec is not at ${file}: the tests read ../shared/reference beside the repository.`);
  }
  return files;
}

export interface LangfuseSpecServerOptions {
  version: LangfuseSpecVersion;
  /** A project's key pair: the public API's Basic credentials (public key as user, secret key as password). */
  projectKeys?: { publicKey: string; secretKey: string };
  /** The instance's ADMIN_API_KEY: the admin API's Bearer token. */
  adminApiKey?: string;
  /** The answer of each operation, by `operationId` (as in the spec, e.g. `observations_getMany`). */
  operations?: Record<string, OperationHandler>;
}

/** A spec server for one Langfuse version: its public and organisations APIs on one loopback port, as a Langfuse web pod serves them. */
export function startLangfuseSpecServer(options: LangfuseSpecServerOptions): Promise<SpecServer> {
  const { publicApi, organizationsApi } = langfuseSpecFiles(options.version);
  return startSpecServer({
    specs: [publicApi, organizationsApi],
    credentials: {
      basic: options.projectKeys && { username: options.projectKeys.publicKey, password: options.projectKeys.secretKey },
      bearer: options.adminApiKey,
    },
    operations: options.operations,
  });
}
