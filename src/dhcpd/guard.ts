/**
 * "Never two DHCP servers by accident": before server mode binds port 67, ask the
 * interface (the doctor's PXE probe: two DISCOVERs for made-up MACs) whether anything
 * else answers. Any DHCP server answers a DISCOVER; one that does is named in the error.
 */
import { describeHolders, portHolders } from "../doctor/port-owner.js";
import { ProbeError, probePxeServers, type ProbeResult } from "../doctor/pxe-probe.js";

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

/**
 * The check could not run: the probe listens on UDP 68 like a client, and something on this
 * host holds that port without sharing it (a DHCP client on another interface, typically).
 * Starting without the check is the operator's call, as it is with another server.
 */
export class DhcpProbeUnavailableError extends Error {
  override name = "DhcpProbeUnavailableError";
  constructor(readonly why: string) {
    super(
      `cannot look for another DHCP server before serving: ${why}; free UDP port 68 on this host, or set dhcp.server.allowOtherServers (--force-dhcp) to start without the check`,
    );
  }
}

/** Why the probe could not run, naming who holds port 68 when that is the cause. */
function probeFailure(e: ProbeError, clientPort: number): string {
  if (e.code !== "EADDRINUSE") return e.message;
  const holders = portHolders("udp", clientPort);
  return holders.length > 0
    ? `UDP ${clientPort} is held by ${describeHolders(holders)}`
    : e.message;
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

/** What the start-up check found, when it lets serve start. */
export interface GuardResult {
  /** Other servers that answered (only when allowed). */
  readonly others: readonly OtherServer[];
  /** Why the check could not run (only when allowed); null when it ran. */
  readonly unchecked: string | null;
}

/**
 * Throws OtherDhcpServerError naming the other servers, or DhcpProbeUnavailableError when
 * the probe cannot run, unless `allow` (then says what it found, for the log).
 */
export async function refuseOtherServers(
  address: string,
  allow: boolean,
  seconds?: number,
  clientPort = 68,
  serverPort = 67,
): Promise<GuardResult> {
  let others: OtherServer[];
  try {
    others = await findOtherServers(address, seconds, clientPort, serverPort);
  } catch (e) {
    if (!(e instanceof ProbeError)) throw e;
    const why = probeFailure(e, clientPort);
    if (allow) return { others: [], unchecked: why };
    throw new DhcpProbeUnavailableError(why);
  }
  if (others.length > 0 && !allow) throw new OtherDhcpServerError(others);
  return { others, unchecked: null };
}
