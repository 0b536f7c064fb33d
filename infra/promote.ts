import { runPromote } from "./render/promoteCommand";

// As in plan.ts: source maps make the Pulumi SDK's per-promise stack captures slow.
process.setSourceMapsEnabled(false);

/**
 * `npm run promote -- --from <stack> --to <stack> [--dry-run] [--root <dir>]`: copies the versions
 * the source stack pins into the target's stack file, in place, once both plan cleanly with them
 * (infra/render/promoteCommand.ts). Exits 1 when refused or a stack file is broken, 2 on bad usage.
 */
runPromote(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // Only a bug gets here; its message, not a stack trace that could quote a stack file.
    console.error(`npm run promote: internal error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
