import { randomBytes, randomUUID } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT, readSettings } from "../config";
import { langfuseStack } from "../program";
import type { PlannedOptions, PlannedResource } from "../policies/types";
import { redactSecrets } from "./redact";
import type { StackConfig } from "./stackConfig";

export interface Rendering {
  stack: string;
  /** In registration order, each with the options the program set (which never reach the mock monitor). */
  resources: PlannedResource[];
  /** Stack outputs, unwrapped, with which ones are secret. */
  outputs: Record<string, { value: unknown; secret: boolean }>;
  /** Every value the mock generated for a random resource: must never appear in the plan's files. */
  generatedValues: string[];
  /**
   * Inputs as the mock monitor received them, secrets still wrapped: for tests that check a
   * generated value's format. Never written anywhere.
   */
  rawInputs: Map<string, any>;
  /**
   * Managed-store credentials the stack file leaves unset (`externalPostgres.password`, …): the
   * plan stood in for each, and `pulumi up` needs each set first.
   */
  unsetCredentials: string[];
  /**
   * What each component registered as its outputs (`registerOutputs`), by `<type>::<name>`: the
   * engine's record of a component, which stack policies (CrossGuard) see instead of its inputs.
   */
  registeredOutputs: Map<string, Record<string, unknown>>;
  /** What the settings leave to the user (Settings.warnings): `pulumi up` logs each as a warning. */
  warnings: string[];
  /**
   * Projects whose own key pair the plan could not decrypt, by entry (`projects[0]`) and
   * namespace: stood in for, their shapes and duplicates are left to `pulumi preview`.
   */
  encryptedKeyPairs: { entry: string; namespace: string }[];
}

export interface RenderOptions {
  /**
   * Evaluate as `pulumi preview` does before anything exists: the random provider's results stay
   * unknown (and with them every input derived from them), and the stack outputs are not read.
   */
  preview?: boolean;
}

const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";

function randomFrom(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/**
 * What the random provider would return: distinct, realistic values, marked secret the way the
 * real engine marks them (the mock monitor itself does not).
 */
function randomState(type: string, inputs: Record<string, any>, remember: (v: string) => string): Record<string, unknown> {
  const length = Number(inputs.length ?? 16);
  switch (type) {
    case "random:index/randomPassword:RandomPassword":
      return { result: pulumi.secret(remember(randomFrom(inputs.special === false ? ALNUM : ALNUM + "!#$%&*()-_=+", length))) };
    case "random:index/randomString:RandomString":
      return { result: remember(randomFrom(inputs.upper === false ? LOWER_ALNUM : ALNUM, length)) };
    case "random:index/randomBytes:RandomBytes": {
      const bytes = randomBytes(length);
      return { hex: pulumi.secret(remember(bytes.toString("hex"))), base64: pulumi.secret(remember(bytes.toString("base64"))) };
    }
    case "random:index/randomUuid:RandomUuid":
      return { result: remember(randomUUID()) };
    default:
      return {};
  }
}

/** `<type>::<name>` of a URN, the key the plan names resources by. */
function resourceKey(urn: string): string {
  // urn:pulumi:<stack>::<project>::<parent types joined by $>::<name>
  const [, , qualifiedType, ...name] = urn.split("::");
  return `${qualifiedType.split("$").pop()}::${name.join("::")}`;
}

/**
 * Evaluates the program under Pulumi's mock monitor with one stack's config and records every
 * resource in registration order. Shared by `npm run plan` and the tests, so both see the same
 * rendering. Rejects with the program's own error (for example a ConfigError).
 */
export async function renderStack(
  stack: string,
  cfg: StackConfig,
  program?: () => unknown,
  options: RenderOptions = {},
): Promise<Rendering> {
  const generatedValues: string[] = [];
  const remember = (v: string) => (generatedValues.push(v), v);
  const seen = new Map<string, any>();
  const registeredOutputs = new Map<string, Record<string, unknown>>();
  const propertyDependencies = new Map<string, Record<string, string[]>>();
  const preview = options.preview === true;
  let registered = 0;

  pulumi.runtime.setAllConfig(cfg.config, cfg.secretKeys);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (args.type !== "pulumi:pulumi:Stack") {
          seen.set(`${args.type}::${args.name}`, args.inputs);
          registered++;
        }
        // At preview the random provider knows no result yet.
        return { id: `${args.name}-id`, state: { ...args.inputs, ...(preview ? {} : randomState(args.type, args.inputs, remember)) } };
      },
      call: (args) => args.inputs,
    },
    PROJECT,
    stack,
    preview,
  );
  // The mock monitor keeps a component's registered outputs as its state; record them as the engine does.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResourceOutputs(req: { getUrn(): string; getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined }, cb: unknown): void;
    registerResource(req: RegisterResourceRequest, cb: unknown): void;
  };
  // The mock hands newResource no dependencies: read them from the request the engine would get.
  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const byProperty: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps, property) => {
      const urns = deps.getUrnsList();
      if (urns.length > 0) byProperty[property] = urns.map(resourceKey);
    });
    propertyDependencies.set(`${req.getType()}::${req.getName()}`, byProperty);
    registerResource(req, cb);
  };
  const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    registeredOutputs.set(resourceKey(req.getUrn()), req.getOutputs()?.toJavaScript() ?? {});
    registerResourceOutputs(req, cb);
  };

  // Invalid config stops here, before even the stack resource exists (as `pulumi up` stops before
  // registering anything); inside the stack a throw would also reject the stack's own outputs.
  // Offline, and only here, a managed store's unset credential is stood in for and reported.
  const settings = readSettings({ unsetCredentials: "defer", undecrypted: cfg.undecrypted });
  const run = program ?? (() => langfuseStack(settings));

  const order: {
    key: string;
    type: string;
    name: string;
    parentUrn?: pulumi.Output<string>;
    options: Omit<PlannedOptions, "dependsOn">;
    dependsOn: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource> | undefined;
  }[] = [];
  let programOutputs: Record<string, unknown> | undefined;
  await pulumi.runtime.runInPulumiStack(async () => {
    // Parents and options reach a stack transformation, never the mock monitor (FACTS.md).
    pulumi.runtime.registerStackTransformation((args) => {
      const opts = args.opts as pulumi.CustomResourceOptions;
      order.push({
        key: `${args.type}::${args.name}`,
        type: args.type,
        name: args.name,
        parentUrn: opts.parent?.urn,
        options: {
          protect: opts.protect === true,
          retainOnDelete: opts.retainOnDelete === true,
          ignoreChanges: [...(opts.ignoreChanges ?? [])],
        },
        dependsOn: opts.dependsOn,
      });
      return undefined;
    });
    programOutputs = (await run()) as Record<string, unknown> | undefined;
    return programOutputs;
  });

  // Registrations not reachable from the outputs may still be in flight.
  const deadline = Date.now() + 20_000;
  while (registered < order.length) {
    if (Date.now() > deadline) throw new Error(`only ${registered} of ${order.length} resources registered`);
    await new Promise((r) => setTimeout(r, 5));
  }

  const keys = new Set<string>();
  const resources: PlannedResource[] = [];
  for (const r of order) {
    if (keys.has(r.key)) throw new Error(`two resources share the type and name ${r.key}`);
    keys.add(r.key);
    const parentUrn = r.parentUrn ? await resolve(r.parentUrn) : undefined;
    const parent = parentUrn === undefined || parentUrn.split("::")[2] === "pulumi:pulumi:Stack" ? null : resourceKey(parentUrn);
    const { inputs, secretPaths } = redactSecrets(seen.get(r.key) ?? {});
    const dependsOn = await Promise.all((await dependencies(r.dependsOn)).map(async (d) => resourceKey(await resolve(d.urn))));
    resources.push({
      type: r.type,
      name: r.name,
      parent,
      inputs,
      secretPaths,
      options: { ...r.options, dependsOn },
      propertyDependencies: propertyDependencies.get(r.key) ?? {},
    });
  }

  const outputs: Rendering["outputs"] = {};
  for (const [k, v] of Object.entries(preview ? {} : (programOutputs ?? {}))) {
    outputs[k] = pulumi.Output.isInstance(v)
      ? { value: await resolve(v), secret: await pulumi.isSecret(v) }
      : { value: v, secret: false };
  }
  return {
    stack,
    resources,
    outputs,
    generatedValues,
    rawInputs: seen,
    unsetCredentials: settings.unsetCredentials,
    registeredOutputs,
    warnings: settings.warnings,
    encryptedKeyPairs: settings.projects.flatMap((p, i) =>
      p.keys.source === "own" && !p.keys.readable ? [{ entry: `projects[${i}]`, namespace: p.namespace }] : [],
    ),
  };
}

/** The resources of a `dependsOn` option, in whichever of its accepted shapes the program gave it. */
async function dependencies(
  option: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource> | undefined,
): Promise<pulumi.Resource[]> {
  if (option === undefined) return [];
  const settle = async <T>(v: pulumi.Input<T>): Promise<T> =>
    pulumi.Output.isInstance(v) ? resolve(v as pulumi.Output<T>) : await v;
  const value = await settle<pulumi.Input<pulumi.Resource>[] | pulumi.Resource>(option);
  return Promise.all((Array.isArray(value) ? value : [value]).map((d) => settle(d)));
}

/** The part of the monitor's RegisterResourceRequest (protobuf) read here. */
interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getPropertydependenciesMap(): { forEach(visit: (deps: { getUrnsList(): string[] }, property: string) => void): void };
}

function resolve<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((r) => o.apply((v) => (r(v), v)));
}

