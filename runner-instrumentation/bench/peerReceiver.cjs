"use strict";
// The peer benchmark's receiver, in a process of its own: answers what each tracer sends as its
// backend would (OTLP/HTTP at any */v1/traces path for Langfuse and OpenInference; LangSmith's
// /info, /runs/multipart and /runs/batch), counts the bytes of every request body as sent and
// what they carry (OTLP spans, LangSmith run creations). Prints its URL; `GET /_counts` answers
// the counts; stops when its stdin closes (or after 10 minutes at the latest).
const http = require("node:http");

const counts = { requests: 0, bytes: 0, spans: 0, runs: 0 };

function countItems(path, type, body) {
  try {
    if (path.endsWith("/v1/traces") && type.startsWith("application/json")) {
      const doc = JSON.parse(body.toString("utf8"));
      for (const rs of doc.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) counts.spans += (ss.spans ?? []).length;
    } else if (path === "/runs/multipart") {
      // One part named post.<run id> per run created.
      counts.runs += (body.toString("latin1").match(/name="post\.[^".]+"/g) ?? []).length;
    } else if (path === "/runs/batch") {
      counts.runs += (JSON.parse(body.toString("utf8")).post ?? []).length;
    }
  } catch {
    // a body it cannot read is still counted in bytes
  }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const path = (req.url ?? "").split("?")[0];
    const answer = (status, body) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (path === "/_counts") return answer(200, counts);
    const body = Buffer.concat(chunks);
    counts.requests++;
    counts.bytes += body.length;
    countItems(path, String(req.headers["content-type"] ?? ""), body);
    if (path === "/info") {
      return answer(200, { version: "0.10.0", batch_ingest_config: { use_multipart_endpoint: true, size_limit_bytes: 20_971_520, size_limit: 100, scale_up_nthreads_limit: 16, scale_up_qsize_trigger: 1000, scale_down_nempty_trigger: 4 }, instance_flags: {} });
    }
    if (path.startsWith("/runs")) return answer(202, {});
    return answer(200, {});
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(0), 600_000).unref();
