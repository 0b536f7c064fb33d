import type * as pulumi from "@pulumi/pulumi";
import { langfuseClient } from "./langfuseClient";
import { type Connection, modelLogic, organizationKeyLogic, projectKeyLogic, projectLogic, type ResourceLogic } from "./provisioning";

/**
 * The dynamic providers of the resources the program keeps in Langfuse (resources.ts).
 *
 * SELF-CONTAINED: Pulumi serializes each provider object with everything it reaches (its closure:
 * this file, provisioning.ts and langfuseClient.ts, captured by value) into the `__provider` input
 * of every resource, and the engine runs that text in a process of its own for create, read, diff,
 * update and delete. So these three files import nothing at run time but each other (the Pulumi
 * import above is a type), use only JavaScript's and Node's globals, and keep no module state; a
 * test serializes the providers as Pulumi does, under the mock monitor and as the Pulumi CLI
 * compiles the program, and calls the result as the engine would.
 */

/** A provider of one kind: the engine's calls turned into the kind's logic on a client for its recorded connection. */
function dynamicProvider<I extends Connection, O extends I>(logic: ResourceLogic<I, O>): pulumi.dynamic.ResourceProvider {
  const connect = (c: Connection) => langfuseClient({ baseUrl: c.apiUrl, retry: c.retry });
  return {
    create: (inputs: I) => logic.create(connect(inputs), inputs),
    // The engine hands read and delete the state only (outputs), which is why it records the connection.
    async read(id: string, state: O) {
      const now = await logic.read(connect(state), id, state);
      // An empty id tells the engine the resource is gone.
      return now === undefined ? { id: "", props: {} } : { id, props: now };
    },
    diff: async (_id: string, state: O, news: I) => logic.diff(state, news),
    update: async (id: string, state: O, news: I) => ({ outs: await logic.update(connect(news), id, state, news) }),
    delete: (id: string, state: O) => logic.delete(connect(state), id, state),
  };
}

export const organizationKeyProvider = dynamicProvider(organizationKeyLogic);
export const projectProvider = dynamicProvider(projectLogic);
export const projectKeyProvider = dynamicProvider(projectKeyLogic);
export const modelProvider = dynamicProvider(modelLogic);
