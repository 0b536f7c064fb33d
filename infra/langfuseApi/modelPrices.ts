import * as pulumi from "@pulumi/pulumi";
import type { ModelPriceSetting } from "../modelPriceSettings";
import type { ProjectKeys } from "../projects/projectWiring";
import type { RetryPolicy } from "./langfuseClient";
import { LangfuseModel } from "./resources";

/** A Langfuse project the runners write into, and the pair that reaches it. */
export interface PricedProject {
  /** A platform project's namespace, or the bootstrap project's name. */
  project: string;
  keys: ProjectKeys;
}

export interface ModelPricesArgs {
  apiUrl: string;
  retry: RetryPolicy;
  /** The validated `modelPrices`. */
  prices: ModelPriceSetting[];
  /** Every Langfuse project the stack's runners write into, each once. */
  projects: PricedProject[];
  /** The Langfuse release (and whatever creates the keys): every call waits for it. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** `modelPrices` registered in each Langfuse project, with that project's own key pair. */
export class ModelPrices extends pulumi.ComponentResource {
  constructor(name: string, args: ModelPricesArgs, opts?: pulumi.ComponentResourceOptions) {
    const recorded = { models: args.prices.map((p) => p.modelName), projects: args.projects.map((p) => p.project) };
    super("ambient-langfuse:langfuseApi:ModelPrices", name, recorded, opts);
    for (const { project, keys } of args.projects) {
      for (const price of args.prices) {
        new LangfuseModel(
          `${name}-${project}-${price.modelName}`,
          {
            apiUrl: args.apiUrl,
            retry: args.retry,
            publicKey: keys.publicKey,
            secretKey: keys.secretKey,
            project,
            modelName: price.modelName,
            matchPattern: price.matchPattern,
            startDate: price.startDate,
            prices: price.prices,
          },
          { parent: this, dependsOn: args.dependsOn },
        );
      }
    }
    this.registerOutputs(recorded);
  }
}
