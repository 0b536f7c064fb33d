import { ensureBundle } from "./shippedBundle";

/** vitest global setup: the wrapper's tests run the bundle that ships, built once before any of them. */
export default function setup(): void {
  ensureBundle();
}
