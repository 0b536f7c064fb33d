#!/usr/bin/env node
"use strict";
// Runs the TypeScript sources directly through tsx, so the bin works right after `npm ci` with
// no build step. The runner image gets a self-contained bundle instead.
require("tsx/cjs/api").register();
const { main } = require("../src/cli.ts");

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`claude-langfuse: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
