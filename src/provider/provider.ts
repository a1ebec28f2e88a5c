import { dnsRecordSet } from "./dns/record-set.js";
import { InputError } from "./inputs.js";
import { pxeNbp } from "./pxe-nbp.js";
import {
  createResponse,
  errorResponse,
  updateResponse,
  type Request,
  type Response,
} from "./protocol.js";
import { ResourceError, type ResourceContext, type ResourceType } from "./resource.js";
import { sshHostPublicKey } from "./ssh-host-public-key.js";
import { sshKeypair } from "./ssh-keypair.js";

/** The resource types, by the name a deployment uses. All of them keep state. */
export const RESOURCE_TYPES: Readonly<Record<string, ResourceType>> = {
  pxe_nbp: pxeNbp,
  ssh_keypair: sshKeypair,
  ssh_host_public_key: sshHostPublicKey,
  dns_record_set: dnsRecordSet,
};

function lookup(type: string): ResourceType {
  const impl = Object.hasOwn(RESOURCE_TYPES, type) ? RESOURCE_TYPES[type] : undefined;
  if (impl === undefined) {
    throw new ResourceError(
      `unknown resource type ${JSON.stringify(type)} (this provider offers ${Object.keys(RESOURCE_TYPES).join(", ")})`,
    );
  }
  return impl;
}

/** Answers one parsed request; every failure becomes an errorResponse, never a throw. */
export async function handleRequest(req: Request, ctx: ResourceContext): Promise<Response> {
  try {
    switch (req.kind) {
      case "create": {
        const { type, inputProperties, isStateful } = req.create;
        const impl = lookup(type);
        if (!isStateful) {
          throw new ResourceError(
            `resource type ${type} keeps state (its outputs must be remembered between applies); declare the resource stateful instead of isStateful: false`,
          );
        }
        return createResponse(await impl.create(inputProperties, ctx));
      }
      case "update": {
        const { resource, inputProperties } = req.update;
        const impl = lookup(resource.type);
        return updateResponse(await impl.update(resource, inputProperties, ctx));
      }
      case "stateResourceEvent":
      case "stateResourceRead":
        throw new ResourceError(
          "this provider is not a state provider (it does not implement stateResourceEvent or stateResourceReadRequest)",
        );
    }
  } catch (e) {
    if (e instanceof InputError || e instanceof ResourceError) {
      ctx.log.error({ err: e.message }, "request failed");
      return errorResponse(e.message);
    }
    ctx.log.error({ err: e }, "unexpected error");
    return errorResponse(`internal error in the landscaper provider: ${(e as Error).message}`);
  }
}
