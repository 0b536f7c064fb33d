import { randomBytes } from "node:crypto";

/** Where the mapper gets trace and span ids; tests pass a counter to get stable ids. */
export interface IdSource {
  traceId(): string;
  spanId(): string;
}

/**
 * Random ids in OpenTelemetry's hex format (all-zero ids are invalid there, hence the retry).
 * Random bytes are drawn a few kilobytes at a time: one system call per id cost more than the
 * rest of tracing a message.
 */
export const randomIds: IdSource = {
  traceId: () => nonZeroHex(16),
  spanId: () => nonZeroHex(8),
};

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function nonZeroHex(bytes: number): string {
  for (;;) {
    if (poolOffset + bytes > pool.length) {
      pool = randomBytes(POOL_BYTES);
      poolOffset = 0;
    }
    const hex = pool.toString("hex", poolOffset, poolOffset + bytes);
    poolOffset += bytes;
    if (/[^0]/.test(hex)) return hex;
  }
}

/** Deterministic ids: trace n is n in 32 hex digits, span n is n in 16. */
export function sequentialIds(): IdSource {
  let trace = 0;
  let span = 0;
  return {
    traceId: () => (++trace).toString(16).padStart(32, "0"),
    spanId: () => (++span).toString(16).padStart(16, "0"),
  };
}
