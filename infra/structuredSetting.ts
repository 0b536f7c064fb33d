/**
 * A structured setting's value as Pulumi hands it to the program (JSON text), parsed; undefined
 * when it is not JSON, so that the caller names the setting and the shape it wants.
 */
export function parseStructuredSetting(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
