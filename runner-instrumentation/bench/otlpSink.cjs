"use strict";
// A Langfuse stand-in in its own process, for measurements where a receiver sharing the
// benchmark's event loop would delay the benchmark's own reading: answers every export with 200,
// prints its URL, and stops when its stdin closes (or after 10 minutes at the latest).
const http = require("node:http");
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(0), 600_000).unref();
