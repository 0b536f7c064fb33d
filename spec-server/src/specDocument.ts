import * as fs from "node:fs";
import YAML from "yaml";

/** An OpenAPI document as parsed: plain JSON values. */
export type OpenApiDocument = {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, { type: string; scheme?: string }> };
  security?: Array<Record<string, string[]>>;
  [key: string]: unknown;
};

/**
 * Reads an OpenAPI document from YAML. Langfuse's specs reuse one `security` list through
 * hundreds of YAML aliases, past the parser's default guard against alias bombs; these files are
 * upstream data we read, not input from a stranger, so the guard is lifted.
 */
export function readOpenApiDocument(file: string): OpenApiDocument {
  const doc = YAML.parse(fs.readFileSync(file, "utf8"), { maxAliasCount: -1 }) as OpenApiDocument;
  if (typeof doc?.openapi !== "string" || !String(doc.openapi).startsWith("3.") || typeof doc.paths !== "object") {
    throw new Error(`${file} is not an OpenAPI 3 document (no "openapi: 3.x" and "paths")`);
  }
  return jsonSchemaNullables(doc);
}

/**
 * OpenAPI 3.0's `nullable` in a form a JSON Schema validator (Ajv) accepts, with the meaning the
 * spec's authors gave it. Langfuse's generated specs write `nullable: true` beside a `$ref`
 * (`level: {$ref: ObservationLevel, nullable: true}`), on schemas without a `type` (any JSON) and
 * beside an `enum`; Ajv refuses the first two and would refuse `null` for the third. So:
 * beside `$ref`, the schema becomes "the reference, or null"; without a `type` the keyword goes
 * (such a schema already takes null); with an `enum`, null joins the enumeration. A schema with
 * a `type` keeps `nullable`, which Ajv reads as OpenAPI does.
 *
 * Pure: returns a new document.
 */
export function jsonSchemaNullables<T>(node: T): T {
  if (Array.isArray(node)) return node.map((n) => jsonSchemaNullables(n)) as T;
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = jsonSchemaNullables(value);
  // Only the keyword: a property *named* "nullable" holds a schema, not a boolean.
  if (typeof out.nullable !== "boolean") return out as T;
  const { nullable, ...rest } = out;
  if (!nullable) return rest as T;
  if (typeof rest.$ref === "string") {
    const { $ref, ...annotations } = rest;
    return { ...annotations, anyOf: [{ $ref }, { type: "null" }] } as T;
  }
  if (rest.type === undefined) return rest as T;
  if (Array.isArray(rest.enum) && !rest.enum.includes(null)) return { ...rest, nullable, enum: [...rest.enum, null] } as T;
  return out as T;
}
