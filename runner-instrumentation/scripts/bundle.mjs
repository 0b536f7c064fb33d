// `npm run bundle`: dist/claude-langfuse.cjs, one file that plain `node` runs with no node_modules.
// Two builds: the tracing thread's code (tracer, mapping, OTLP export), carried as text inside the
// main build and started as the thread's source, so the wrapper's main thread, which starts the
// CLI, never loads it; and the main build (the commands, exec, replay).
import * as esbuild from "esbuild";
import * as fs from "node:fs";
import * as path from "node:path";

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, "..");
const outfile = path.join(root, "dist/claude-langfuse.cjs");
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  minify: true,
  keepNames: true,
  legalComments: "none",
  // The packages' ES module builds: only what is used is kept (OpenTelemetry's CommonJS builds
  // bring every semantic convention along).
  mainFields: ["module", "main"],
  logLevel: "warning",
};

const thread = await esbuild.build({ ...common, entryPoints: [path.join(root, "src/exec/tracerThreadMain.ts")], write: false });

// The bundle's thread runs the text above; the workspace bin's path to the sources stays out.
const noSourceThread = {
  name: "no-source-thread",
  setup(build) {
    build.onResolve({ filter: /\/exec\/tracerWorker$/ }, (args) => (args.importer.endsWith("bundleEntry.ts") ? { path: args.path, namespace: "no-source-thread" } : undefined));
    build.onLoad({ filter: /.*/, namespace: "no-source-thread" }, () => ({ contents: 'throw new Error("the bundle runs its tracing thread from its own source");', loader: "js" }));
  },
};

await esbuild.build({
  ...common,
  entryPoints: [path.join(root, "src/bundleEntry.ts")],
  outfile,
  banner: { js: "#!/usr/bin/env node" },
  define: { TRACER_THREAD_SOURCE: JSON.stringify(thread.outputFiles[0].text) },
  plugins: [noSourceThread],
});
fs.chmodSync(outfile, 0o755);
console.log(`${path.relative(process.cwd(), outfile)}: ${Math.round(fs.statSync(outfile).size / 1024)} KB (of which the tracing thread ${Math.round(thread.outputFiles[0].text.length / 1024)} KB)`);
