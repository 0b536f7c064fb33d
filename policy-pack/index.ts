// The pack's entry, which the Pulumi CLI runs (`pulumi preview --policy-pack policy-pack`):
// constructing the PolicyPack starts the analyzer's gRPC server, so nothing but the CLI loads
// this file; the tests load ./pack.ts, where every policy is.
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, packArgs } from "./pack";

new PolicyPack(PACK_NAME, packArgs);
