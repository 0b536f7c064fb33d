import * as pulumi from "@pulumi/pulumi";
import { readSettings } from "./config";
import { langfuseStack } from "./program";

// The Pulumi entry point: validate the stack's config (before any resource exists), say what it
// leaves to the user, compose, and export the stack outputs.
const settings = readSettings();
for (const warning of settings.warnings) void pulumi.log.warn(warning);
const outputs = langfuseStack(settings);

export const externalUrl = outputs.externalUrl;
export const internalUrl = outputs.internalUrl;
export const adminEmail = outputs.adminEmail;
export const adminPassword = outputs.adminPassword;
export const publicKey = outputs.publicKey;
export const secretKey = outputs.secretKey;
export const projects = outputs.projects;
