import { createSocket, type Socket } from "node:dgram";
import { randomBytes } from "node:crypto";
import {
  decodeProbeAnswer,
  encodePxeDiscover,
  type ProbeAnswer,
  type ProbeClient,
} from "./pxe-probe-messages.js";

export interface ProbeResult {
  /** The made-up MACs asked for, by client kind. */
  macs: Record<ProbeClient, string>;
  answers: (ProbeAnswer & { from: string; client: ProbeClient })[];
}

export class ProbeError extends Error {
  override name = "ProbeError";
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

function bindUdp(port: number, address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: "udp4", reuseAddr: true });
    s.once("error", (e) => {
      s.close();
      reject(e);
    });
    s.bind({ port, address }, () => {
      s.removeAllListeners("error");
      resolve(s);
    });
  });
}

/** A locally administered unicast MAC no real NIC has, so only "answer everyone" servers reply. */
function madeUpMac(): Uint8Array {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfc) | 0x02;
  return b;
}

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");

/**
 * Broadcast a BIOS and a UEFI PXE DHCPDISCOVER for made-up MACs and collect every answer for
 * `seconds`. Answers are broadcast to port 68 (we set the broadcast flag), so this needs
 * port 68: a running DHCP client on this host holds it.
 */
export async function probePxeServers(
  address: string,
  seconds: number,
  clientPort = 68,
  serverPort = 67,
): Promise<ProbeResult> {
  let rx: Socket;
  try {
    rx = await bindUdp(clientPort, "0.0.0.0");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ProbeError(`cannot bind UDP ${clientPort}: ${err.code ?? err.message}`, err.code);
  }
  let tx: Socket | null = null;
  try {
    // Sending from a socket bound to the configured address makes the kernel put the
    // limited broadcast on that address's interface.
    tx = await bindUdp(clientPort, address).catch(() => null);
    const sender = tx ?? rx;
    sender.setBroadcast(true);
    const macs = { bios: madeUpMac(), efi: madeUpMac() };
    const xids = { bios: randomBytes(4).readUInt32BE(), efi: randomBytes(4).readUInt32BE() };
    const result: ProbeResult = { macs: { bios: hex(macs.bios), efi: hex(macs.efi) }, answers: [] };
    const onMessage = (msg: Buffer, rinfo: { address: string }) => {
      const a = decodeProbeAnswer(msg);
      if (!a) return;
      const client = a.xid === xids.bios ? "bios" : a.xid === xids.efi ? "efi" : null;
      if (client === null) return;
      result.answers.push({ ...a, from: rinfo.address, client });
    };
    rx.on("message", onMessage);
    tx?.on("message", onMessage);
    const send = (client: ProbeClient) =>
      new Promise<void>((resolve) => {
        const pkt = encodePxeDiscover({ xid: xids[client], mac: macs[client], client });
        sender.send(pkt, serverPort, "255.255.255.255", () => resolve());
      });
    // Twice, as firmware does, in case the first is lost.
    await send("bios");
    await send("efi");
    await new Promise((r) => setTimeout(r, Math.min(1000, (seconds * 1000) / 3)));
    await send("bios");
    await send("efi");
    await new Promise((r) => setTimeout(r, Math.max(0, seconds * 1000 - 1000)));
    return result;
  } finally {
    rx.close();
    tx?.close();
  }
}
