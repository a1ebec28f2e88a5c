import type { Logger } from "../core/log.js";
import type { ExtantResource, JsonObject } from "./protocol.js";

/** What a resource implementation gets besides its inputs. */
export interface ResourceContext {
  readonly log: Logger;
  /** The provider's environment (LANDSCAPER_SOCKET, SSH_AUTH_SOCK). */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * One resource type. Inputs arrive unchecked (the implementation checks them, so that the
 * error names the type and the input); both methods return the output properties.
 * Every type Landscaper offers keeps state, so a stateless create is refused before this.
 */
export interface ResourceType {
  create(inputs: JsonObject, ctx: ResourceContext): Promise<JsonObject>;
  update(previous: ExtantResource, inputs: JsonObject, ctx: ResourceContext): Promise<JsonObject>;
}

/** A failure to report to NixOps4 as an errorResponse, with a message meant for the operator. */
export class ResourceError extends Error {
  override name = "ResourceError";
}

export const DEFAULT_SOCKET = "/run/landscaper/control.sock";

/** The control socket: the `socket` input, else LANDSCAPER_SOCKET, else the appliance default. */
export function socketPath(input: string | undefined, env: NodeJS.ProcessEnv): string {
  return input ?? (env.LANDSCAPER_SOCKET || DEFAULT_SOCKET);
}
