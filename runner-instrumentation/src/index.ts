export { traceSession, type TraceSessionOptions } from "./traceSession";
export { createMapper, type Mapper, type MapperInput, type MapperOptions } from "./mapper";
export type { Observation, ObservationEvent, ObservationLevel, ObservationType, TraceInfo, UsageDetails } from "./events";
export { LangfuseExporter, type Exporter, type LangfuseExporterSettings } from "./exporter";
export { DryRunExporter } from "./dryRunExporter";
export { readConfig, type TracingConfig } from "./config";
export { redactText, redactValue } from "./redact";
export { createTracer, type Tracer } from "./tracer";
export { mapCapture, readCapture, replayFiles } from "./replay";
