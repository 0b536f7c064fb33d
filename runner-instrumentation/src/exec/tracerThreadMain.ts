import { runTracerWorker } from "./tracerWorker";

// The tracing thread's entry in the bundle: built on its own (scripts/bundle.mjs) and started
// from its text, so that the main thread never loads the tracer.
runTracerWorker();
