import type { TracingConfig } from "./config";
import type { ObservationEvent } from "./events";
import { LangfuseExporter, type Exporter } from "./exporter";
import { internalErrorText } from "./faultReporter";
import type { IdSource } from "./ids";
import { createMapper, type MapperInput, type MapperOptions } from "./mapper";
import { prepareEvent } from "./mask";

/** Mapper, export filter and exporter in one, with every failure contained. */
export interface Tracer {
  push(input: MapperInput): void;
  end(reason?: string): void;
  flush(deadlineMs: number): Promise<void>;
  shutdown(deadlineMs: number): Promise<void>;
}

export interface TracerSettings {
  config: TracingConfig;
  mapping: Pick<MapperOptions, "turnBoundary" | "assistantLinesHaveFinalUsage">;
  exporter: Exporter;
  ids?: IdSource;
  warn: (message: string) => void;
}

export function mapperOptionsFrom(config: TracingConfig): Omit<MapperOptions, "turnBoundary" | "assistantLinesHaveFinalUsage"> {
  return {
    sessionName: config.sessionName,
    userId: config.userId,
    project: config.project,
    interactive: config.interactive,
    sendCost: config.sendCost,
  };
}

/** The Langfuse exporter for an enabled config; undefined when tracing is off. */
export function langfuseExporterFor(config: TracingConfig, warn: (message: string) => void, onProgress?: () => void): Exporter | undefined {
  if (!config.enabled || !config.publicKey || !config.secretKey || !config.baseUrl) return undefined;
  try {
    return new LangfuseExporter({
      publicKey: config.publicKey,
      secretKey: config.secretKey,
      baseUrl: config.baseUrl,
      maxBacklog: config.maxQueued,
      environment: config.environment,
      release: config.release,
      onProgress,
    });
  } catch (e) {
    warn(`langfuse: tracing is off: the exporter could not be set up (${internalErrorText(e)})`);
    return undefined;
  }
}

export function createTracer(settings: TracerSettings): Tracer {
  const { config, exporter, warn } = settings;
  const mapper = createMapper({ ...mapperOptionsFrom(config), ...settings.mapping, ids: settings.ids });
  let broken = false;

  // A tracing bug must cost the trace, never the session: the first failure turns tracing off.
  const guard = (what: string, work: () => ObservationEvent[]) => {
    if (broken) return;
    try {
      const events = work();
      if (events.length > 0) exporter.emit(events.map((e) => prepareEvent(e, config)));
    } catch (e) {
      broken = true;
      warn(`langfuse: tracing stopped after an internal error while ${what} (${internalErrorText(e)})`);
    }
  };

  return {
    push: (input) => guard("mapping a message", () => mapper.push(input)),
    end: (reason) => guard("ending the trace", () => mapper.end(reason)),
    flush: async (deadlineMs) => {
      try {
        await exporter.flush(deadlineMs);
      } catch {
        // Exporters already report their own failures.
      }
    },
    shutdown: async (deadlineMs) => {
      try {
        await exporter.shutdown(deadlineMs);
      } catch {
        // as above
      }
    },
  };
}
