import { checkPxeNbpInputs, type PxeNbpInputs } from "./inputs.js";
import { control, machineView, type MachineView } from "./control.js";
import type { ExtantResource, JsonObject } from "./protocol.js";
import { socketPath, type ResourceContext, type ResourceType } from "./resource.js";

/**
 * `pxe_nbp`: a machine's registration in Landscaper. The control API's PUT is an
 * idempotent upsert, so create and update both PUT; `reinstall` is a counter whose change
 * re-arms the machine (a new generation, so it installs again on its next boot).
 */
export const pxeNbp: ResourceType = {
  async create(props, ctx) {
    const inputs = checkPxeNbpInputs(props);
    return outputs(await register(inputs, ctx));
  },

  async update(previous: ExtantResource, props: JsonObject, ctx) {
    const inputs = checkPxeNbpInputs(props);
    const before = previousInputs(previous.inputProperties);
    const socket = socketPath(inputs.socket, ctx.env);
    if (before !== null && before.mac !== inputs.mac) {
      // The resource moved to another machine; an armed entry left behind for the old MAC
      // would still install whatever boots with it.
      ctx.log.info(
        { from: before.mac, to: inputs.mac },
        "pxe_nbp: MAC changed, removing old entry",
      );
      await control(
        socketPath(before.socket, ctx.env),
        `removing the old registration of ${before.mac}`,
        "DELETE",
        `/v1/machines/${encodeURIComponent(before.mac)}`,
        undefined,
        [404],
      );
    }
    let view = await register(inputs, ctx);
    if (before !== null && before.mac === inputs.mac && before.reinstall !== inputs.reinstall) {
      ctx.log.info({ mac: inputs.mac, reinstall: inputs.reinstall }, "pxe_nbp: re-arming");
      const res = await control(
        socket,
        `re-arming ${inputs.mac} for reinstall ${inputs.reinstall}`,
        "POST",
        `/v1/machines/${encodeURIComponent(inputs.mac)}/rearm`,
      );
      view = machineView(res.body, `re-arming ${inputs.mac}`);
    }
    return outputs(view);
  },
};

function previousInputs(props: JsonObject): PxeNbpInputs | null {
  try {
    return checkPxeNbpInputs(props);
  } catch {
    return null;
  }
}

async function register(inputs: PxeNbpInputs, ctx: ResourceContext): Promise<MachineView> {
  const body: JsonObject = { kernel: inputs.kernel, initrd: inputs.initrd };
  if (inputs.cmdline !== undefined) body.cmdline = inputs.cmdline;
  if (inputs.hostname !== undefined) body.hostname = inputs.hostname;
  if (inputs.ipv4 !== undefined) body.ipv4 = inputs.ipv4;
  if (inputs.job !== undefined) body.job = inputs.job;
  if (inputs.installationHostKey !== undefined)
    body.installationHostKey = inputs.installationHostKey;
  if (inputs.bmc !== undefined) body.bmc = { ...inputs.bmc };
  const what = `registering ${inputs.mac}`;
  const res = await control(
    socketPath(inputs.socket, ctx.env),
    what,
    "PUT",
    `/v1/machines/${encodeURIComponent(inputs.mac)}`,
    body,
  );
  const view = machineView(res.body, what);
  ctx.log.info(
    { mac: inputs.mac, generation: view.generation, state: view.state },
    "pxe_nbp: registered",
  );
  return view;
}

function outputs(view: MachineView): JsonObject {
  return {
    bootUrl: view.bootUrl,
    generation: view.generation,
    installationHostPublicKey: view.installationHostPublicKey,
  };
}
