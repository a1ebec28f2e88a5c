import { ControlError, controlRequest, type ControlResponse } from "../control/client.js";
import { isObject, type JsonObject } from "./protocol.js";
import { ResourceError } from "./resource.js";
import type { ProviderSource } from "../registry/views.js";

/**
 * The provider's calls to the control socket. Failures become ResourceErrors that say
 * what was being done, on which socket, and (from the client) what to check.
 */
export async function control(
  socket: string,
  what: string,
  method: string,
  path: string,
  body?: unknown,
  okStatuses: readonly number[] = [],
  timeoutMs = 60_000,
): Promise<ControlResponse> {
  let timer: NodeJS.Timeout | undefined;
  // The client has no deadline of its own; a server that never answers must not hang an apply.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ResourceError(
            `${what}: the control socket ${socket} did not answer within ${Math.round(timeoutMs / 1000)} s`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([controlRequest(socket, method, path, body, okStatuses), deadline]);
  } catch (e) {
    if (e instanceof ControlError) {
      const where =
        e.status === null ? "" : ` (control socket ${socket}, HTTP ${e.status} ${e.code})`;
      throw new ResourceError(`${what}: ${e.message}${where}`);
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** The subset of the registry's MachineView the provider reads. */
export type MachineView = ProviderSource & JsonObject;

/** Checks that an answer is a MachineView, so a protocol mismatch gives a clear error. */
export function machineView(body: unknown, what: string): MachineView {
  const m = isObject(body) && isObject(body.machine) && !("state" in body) ? body.machine : body;
  if (
    !isObject(m) ||
    typeof m.state !== "string" ||
    typeof m.generation !== "number" ||
    typeof m.bootUrl !== "string" ||
    typeof m.installationHostPublicKey !== "string"
  ) {
    throw new ResourceError(`${what}: the control API answered something that is not a machine`);
  }
  return m as MachineView;
}
