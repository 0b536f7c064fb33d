import type { PolicyResource } from "@pulumi/policy";
import { type PlannedResource, UNKNOWN_AT_PREVIEW } from "../infra/policies/types";

// @pulumi/policy throws this class when a policy reads a value the engine does not know yet (its
// props proxy); the package exports it at run time, while its type declarations leave it out.
const { UnknownValueError } = require("@pulumi/policy") as { UnknownValueError: new (...args: never[]) => Error };

/**
 * A deep, plain copy of the props the engine passes, with every value unknown at preview replaced
 * by UNKNOWN_AT_PREVIEW. Reading through the engine's proxy one property at a time keeps the rest
 * of a resource readable when one field is unknown (a Secret's data), instead of losing the whole
 * stack check to it.
 */
export function knownProps(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  const read = (key: string | number) => {
    try {
      return knownProps((value as Record<string | number, unknown>)[key]);
    } catch (e) {
      if (e instanceof UnknownValueError) return UNKNOWN_AT_PREVIEW;
      throw e;
    }
  };
  if (Array.isArray(value)) return Array.from({ length: value.length }, (_, i) => read(i));
  return Object.fromEntries(Object.keys(value).map((key) => [key, read(key)]));
}

const id = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
/** The engine's own resources (the stack, providers): not the program's. */
const isEngineResource = (r: PolicyResource) => r.type.startsWith("pulumi:");

/**
 * The resources of a stack, as the engine passes them to a stack policy, in the shape the plan's
 * policies read (infra/policies/types.ts). What the engine does not show is left empty: which
 * props are secrets (unwrapped before a policy sees them), and `retainOnDelete`. `dependsOn` holds
 * every dependency the engine records (explicit and through inputs), which waiting for a resource
 * includes; `propertyDependencies` those of each input, as the plan records them.
 */
export function plannedFromEngine(resources: PolicyResource[]): PlannedResource[] {
  return resources.filter((r) => !isEngineResource(r)).map((r) => ({
    type: r.type,
    name: r.name,
    parent: r.parent === undefined || isEngineResource(r.parent) ? null : id(r.parent),
    inputs: knownProps(r.props),
    secretPaths: [],
    options: {
      protect: r.opts.protect === true,
      retainOnDelete: false,
      ignoreChanges: [...(r.opts.ignoreChanges ?? [])],
      dependsOn: r.dependencies.filter((d) => !isEngineResource(d)).map(id),
    },
    propertyDependencies: Object.fromEntries(
      Object.entries(r.propertyDependencies)
        .map(([property, deps]) => [property, deps.filter((d) => !isEngineResource(d)).map(id)] as const)
        .filter(([, deps]) => deps.length > 0),
    ),
  }));
}

/** The URN of a resource the plan names `<type>::<name>`, for the engine's report. */
export function urnOf(resources: PolicyResource[], resource: string): string | undefined {
  return resources.find((r) => id(r) === resource)?.urn;
}
