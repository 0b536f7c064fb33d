/**
 * The settings a promotion (`npm run promote`) copies from one stack file to another, in one
 * place: each pins a version of something the stack installs, so a configuration proven on one
 * stack runs the same software on the next. Every other setting describes the stack's own cluster
 * (its platform, host names, stores, sizing, the admission API it has) and never moves.
 *
 * Names are below `ambient-langfuse:`; the order is the order a promotion prints and inserts them.
 */
export const PROMOTABLE_SETTINGS = ["chartVersion", "langfuseVersion", "certManagerVersion", "clickhouseOperatorVersion"] as const;

export type PromotableSetting = (typeof PROMOTABLE_SETTINGS)[number];
