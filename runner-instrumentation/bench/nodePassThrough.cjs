"use strict";
// The least a Node.js wrapper can do: start the CLI, pipe its stdout to ours, end as it ended.
// The benchmark runs it beside the wrapper, so that the latency and CPU a Node.js process in the
// middle adds by itself on this machine are printed next to what the wrapper adds.
// PASS_THROUGH_CHILD_CPU_FILE: where to write the CLI's CPU (ms, its reaped tree), so that the
// benchmark can tell this process's own CPU from the CLI's, as the wrapper's timings file does.
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const child = spawn(process.argv[2], process.argv.slice(3), { stdio: ["inherit", "pipe", "inherit"] });
child.stdout.pipe(process.stdout);
child.on("close", (code, signal) => {
  const cpuFile = process.env.PASS_THROUGH_CHILD_CPU_FILE;
  if (cpuFile) {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    fs.writeFileSync(cpuFile, String(((Number(fields[13]) + Number(fields[14])) * 1000) / 100));
  }
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
