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
  /**
   * The key pairs the public API takes as Basic credentials (public key as user, secret key as
   * password): one project's pair, or a check of each pair, for a server that creates keys as the
   * test goes (organisation and project keys).
   */
  projectKeys?: { publicKey: string; secretKey: string } | ((publicKey: string, secretKey: string) => boolean);
  /** The instance's ADMIN_API_KEY: the admin API's Bearer token. */
  adminApiKey?: string;
  /** The answer of each operation, by `operationId` (as in the spec, e.g. `observations_getMany`). */
  operations?: Record<string, OperationHandler>;
  /** The loopback port to listen on; by default one the system picks. */
  port?: number;
}

/** A spec server for one Langfuse version: its public and organisations APIs on one loopback port, as a Langfuse web pod serves them. */
export function startLangfuseSpecServer(options: LangfuseSpecServerOptions): Promise<SpecServer> {
  const { publicApi, organizationsApi } = langfuseSpecFiles(options.version);
  return startSpecServer({
    specs: [publicApi, organizationsApi],
    credentials: {
      basic: typeof options.projectKeys === "function" ? options.projectKeys : options.projectKeys && { username: options.projectKeys.publicKey, password: options.projectKeys.secretKey },
      bearer: options.adminApiKey,
    },
    operations: options.operations,
    port: options.port,
  });
}
