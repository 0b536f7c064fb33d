import type { KeySource } from "../projectSettings";
import type { ProjectKeys } from "./projectWiring";

/**
 * The key pair a project's namespace receives, from where its settings say it comes. Every source
 * fills the same Secret (`langfuse-keys`); the bootstrap pair is the one Langfuse's headless
 * initialisation creates, passed in by the caller.
 */
export function projectKeys(source: KeySource, bootstrap: ProjectKeys): ProjectKeys {
  switch (source.source) {
    case "shared":
      return bootstrap;
    case "own":
      return { publicKey: source.publicKey, secretKey: source.secretKey };
    default: {
      // A source added to KeySource without a case here does not compile.
      const unhandled: never = source;
      throw new Error(`no key pair for key source ${JSON.stringify(unhandled)}`);
    }
  }
}
