#!/usr/bin/env node
"use strict";
// Runs the TypeScript sources directly through tsx, so the bin works right after `npm ci` with
// no build step. The runner image gets a self-contained bundle instead (src/bundleEntry.ts).
require("tsx/cjs/api").register();
require("../src/bundleEntry.ts");
