"use strict";
// The least a Node.js wrapper can do: start the CLI, pipe its stdout to ours, end as it ended.
// The benchmark runs it beside the wrapper, so that the latency a Node.js process in the middle
// adds by itself on this machine is printed next to what the wrapper adds.
const { spawn } = require("node:child_process");
const child = spawn(process.argv[2], process.argv.slice(3), { stdio: ["inherit", "pipe", "inherit"] });
child.stdout.pipe(process.stdout);
child.on("close", (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
