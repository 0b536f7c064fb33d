/**
 * What loading the Langfuse SDK costs a process, as the tracer uses it: the benchmark bundles this
 * file alone and runs it in a fresh process (minus an empty one). It loads the exporter (the only
 * code that knows the SDK), creates the span processor and tracer provider, and shuts them down.
 */
import { LangfuseExporter } from "../src/exporter";

void new LangfuseExporter({ publicKey: "pk-lf-bench", secretKey: "sk-lf-bench", baseUrl: "http://127.0.0.1:9" }).shutdown(1_000);
