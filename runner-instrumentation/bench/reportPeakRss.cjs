"use strict";
// Preloaded with `node -r` by the benchmark: reports the process's peak resident memory when it
// exits, on stderr, where the benchmark looks for it.
process.on("exit", () => {
  require("node:fs").writeSync(2, `\npeak-rss-kb=${process.resourceUsage().maxRSS}\n`);
});
