import { readSettings } from "./config";
import { langfuseStack } from "./program";

// The Pulumi entry point: validate the stack's config, then compose. Exports are the stack outputs.
export = langfuseStack(readSettings());
