import { runPlan } from "./render/planCommand";

// tsx turns source maps on, which makes each `new Error().stack` the Pulumi SDK captures per
// promise (for its leak report) several times slower and the plan grow faster than linearly with
// the number of resources; stack traces then point into the transpiled code instead.
process.setSourceMapsEnabled(false);

/**
 * `npm run plan -- --stack <name> [--root <dir>]`: evaluates the program offline under Pulumi's
 * mock monitor with that stack's settings, writes plan/<name>/ (secrets redacted) and checks
 * every policy (infra/render/planCommand.ts). Exits 1 on a broken stack file, invalid config or
 * any violation, 2 on bad usage.
 */
runPlan(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // Only a bug gets here; its message, not a stack trace that could quote a stack file.
    console.error(`npm run plan: internal error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
