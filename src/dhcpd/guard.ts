/**
 * "Never two DHCP servers by accident": before server mode binds port 67, ask the
 * interface (the doctor's PXE probe: two DISCOVERs for made-up MACs) whether anything
 * else answers. Any DHCP server answers a DISCOVER; one that does is named in the error.
 */
import { probePxeServers, type ProbeResult } from "../doctor/pxe-probe.js";

export interface OtherServer {
  /** Source address of the answer. */
  readonly from: string;
  /** Its option 54, when it sent one. */
  readonly serverId: string | null;
  /** The address it offered. */
  readonly offered: string;
}

export class OtherDhcpServerError extends Error {
  override name = "OtherDhcpServerError";
  constructor(readonly servers: readonly OtherServer[]) {
    super(
      `another DHCP server answers on this network: ${servers
        .map((s) => `${s.serverId ?? s.from} (from ${s.from}, offered ${s.offered})`)
        .join(
          ", ",
        )}; stop it, use dhcp.mode "proxy", or set dhcp.server.allowOtherServers (--force-dhcp)`,
    );
  }
}

/** The DHCP servers other than `address` that answered within `seconds`. */
export async function findOtherServers(
  address: string,
  seconds = 3,
  clientPort = 68,
  serverPort = 67,
): Promise<OtherServer[]> {
  return otherServers(await probePxeServers(address, seconds, clientPort, serverPort), address);
}

/**
 * The servers in a probe's answers other than `address`, one per server (by option 54,
 * else source): a proxyDHCP counts too, as it answers on port 67 beside ours. `doctor`
 * reads a probe the same way, so it says what `serve` will do.
 */
export function otherServers(result: ProbeResult, address: string): OtherServer[] {
  const seen = new Map<string, OtherServer>();
  for (const a of result.answers) {
    if (a.from === address || a.serverId === address) continue;
    const key = a.serverId ?? a.from;
    if (!seen.has(key)) seen.set(key, { from: a.from, serverId: a.serverId, offered: a.yiaddr });
  }
  return [...seen.values()];
}

/** Throws OtherDhcpServerError naming them, unless `allow` (then returns them to log). */
export async function refuseOtherServers(
  address: string,
  allow: boolean,
  seconds?: number,
): Promise<OtherServer[]> {
  const others = await findOtherServers(address, seconds);
  if (others.length > 0 && !allow) throw new OtherDhcpServerError(others);
  return others;
}
