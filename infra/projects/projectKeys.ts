import type { KeySource } from "../projectSettings";
import type { ProjectKeys } from "./projectWiring";

/** The pairs the program itself holds for a project: the bootstrap pair, and its provisioned pair where it has one. */
export interface ProgramKeys {
  /** The pair Langfuse's headless initialisation creates. */
  bootstrap: ProjectKeys;
  /** The pair created for this project through Langfuse's API (isolation `provisioned`), if any. */
  provisioned?: ProjectKeys;
}

/**
 * The key pair a project's namespace receives, from where its settings say it comes. Every source
 * fills the same Secret (`langfuse-keys`).
 */
export function projectKeys(source: KeySource, keys: ProgramKeys): ProjectKeys {
  switch (source.source) {
    case "shared":
      return keys.bootstrap;
    case "own":
      return { publicKey: source.publicKey, secretKey: source.secretKey };
    case "provisioned":
      // The program provisions a pair for every project whose source says so: a missing one is its own bug.
      if (keys.provisioned === undefined) throw new Error("a project with key source provisioned has no provisioned key pair");
      return keys.provisioned;
    default: {
      // A source added to KeySource without a case here does not compile.
      const unhandled: never = source;
      throw new Error(`no key pair for key source ${JSON.stringify(unhandled)}`);
    }
  }
}
