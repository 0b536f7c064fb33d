import * as pulumi from "@pulumi/pulumi";
import type { ProjectKeys } from "../projects/projectWiring";
import type { RetryPolicy } from "./langfuseClient";
import { LangfuseProject, OrganizationApiKey, ProjectApiKey } from "./resources";

export interface ProvisionedProjectsArgs {
  /** Langfuse's URL from where `pulumi up` runs. */
  apiUrl: string;
  retry: RetryPolicy;
  /** ADMIN_API_KEY, as Langfuse's web pods read it (secret). */
  adminApiKey: pulumi.Input<string>;
  /** The organisation the projects are created in: the bootstrap organisation's id. */
  organizationId: string;
  /** The platform projects to provision, by namespace, with their display names (kept in each project's metadata). */
  projects: { namespace: string; displayName: string }[];
  /** Delete a removed project's Langfuse project (traces included); otherwise it stays. */
  deleteLangfuseProjects: boolean;
  /** The Langfuse release: every call waits until it is ready. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * With the Enterprise licence: an organisation API key (admin API), then for every platform project
 * a Langfuse project named after its namespace (created, or adopted by name) and a key pair of that
 * project. Removing a project deletes its key pair; its Langfuse project only with
 * `deleteLangfuseProjects`.
 */
export class ProvisionedProjects extends pulumi.ComponentResource {
  /** Each project's provisioned pair (secrets), by namespace. */
  public readonly keys: Record<string, ProjectKeys>;
  /** Each project's Langfuse project id, by namespace. */
  public readonly projectIds: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: ProvisionedProjectsArgs, opts?: pulumi.ComponentResourceOptions) {
    // Recorded for reviews and the plan: where, in which organisation, which projects; never a key.
    const recorded = {
      apiUrl: args.apiUrl,
      organizationId: args.organizationId,
      projects: args.projects.map((p) => p.namespace),
      deleteLangfuseProjects: args.deleteLangfuseProjects,
    };
    super("ambient-langfuse:langfuseApi:ProvisionedProjects", name, recorded, opts);
    const connection = { apiUrl: args.apiUrl, retry: args.retry };
    const stack = `${pulumi.getProject()}/${pulumi.getStack()}`;

    const organizationKey = new OrganizationApiKey(
      `${name}-organization-key`,
      { ...connection, adminApiKey: args.adminApiKey, organizationId: args.organizationId, note: `Pulumi stack ${stack}: projects and key pairs` },
      { parent: this, dependsOn: args.dependsOn },
    );
    const organization = { organizationPublicKey: organizationKey.publicKey, organizationSecretKey: organizationKey.secretKey };

    this.keys = {};
    this.projectIds = {};
    for (const { namespace, displayName } of args.projects) {
      const project = new LangfuseProject(
        `${name}-${namespace}`,
        {
          ...connection,
          ...organization,
          name: namespace,
          metadata: { "ambient-code.io/namespace": namespace, "ambient-code.io/display-name": displayName, "ambient-code.io/managed-by": stack },
          deleteOnRemove: args.deleteLangfuseProjects,
        },
        { parent: this, dependsOn: args.dependsOn },
      );
      const pair = new ProjectApiKey(
        `${name}-${namespace}-keys`,
        { ...connection, ...organization, projectId: project.id, project: namespace, note: `Pulumi stack ${stack}: runners of namespace ${namespace}` },
        { parent: this, dependsOn: args.dependsOn },
      );
      this.keys[namespace] = { publicKey: pair.publicKey, secretKey: pair.secretKey };
      this.projectIds[namespace] = project.id;
    }
    this.registerOutputs({ ...recorded, projectIds: this.projectIds });
  }
}
