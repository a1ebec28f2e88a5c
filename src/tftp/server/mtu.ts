import { readFileSync } from "node:fs";
import { networkInterfaces, type NetworkInterfaceInfo } from "node:os";

/** What a DATA packet adds around its block: IPv4 (20), UDP (8) and TFTP (4) headers. */
const DATA_OVERHEAD = 20 + 8 + 4;
/** Interfaces and MTUs change rarely; look again at most this often. */
const REFRESH_MS = 5_000;

function ipv4ToInt(ip: string): number | null {
  const parts = ip.split(".");
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

/**
 * The interface whose IPv4 subnet holds `client`, or null (a client behind a relay, or one
 * on no subnet of ours). Pure.
 */
export function interfaceFor(
  client: string,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
): string | null {
  const c = ipv4ToInt(client);
  if (c === null) return null;
  for (const [name, addrs] of Object.entries(interfaces)) {
    for (const a of addrs ?? []) {
      if (a.family !== "IPv4") continue;
      const addr = ipv4ToInt(a.address);
      const mask = ipv4ToInt(a.netmask);
      if (addr === null || mask === null) continue;
      // `>>> 0` keeps the AND unsigned for masks with the top bit set.
      if ((addr & mask) >>> 0 === (c & mask) >>> 0) return name;
    }
  }
  return null;
}

/** The largest block that fits one IP packet on a link of this MTU. Pure. */
export function blksizeForMtu(mtu: number): number {
  return mtu - DATA_OVERHEAD;
}

/**
 * The blksize cap for a client: its link's MTU less the headers, so that a DATA packet is
 * never fragmented on the segment the client is on (fragments are what some firmware and
 * firewalls drop). Null when the client's link is unknown (behind a relay: the path MTU
 * is not ours to know; `tftp.maxBlksize` alone applies).
 */
export class MtuCaps {
  private byInterface = new Map<string, number>();
  private interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = {};
  private readAt = -Infinity;

  constructor(
    private readonly listInterfaces = networkInterfaces,
    private readonly readMtu: (ifname: string) => number | null = sysfsMtu,
  ) {}

  capFor(client: string): number | null {
    const now = Date.now();
    if (now - this.readAt > REFRESH_MS) {
      this.interfaces = this.listInterfaces();
      this.byInterface = new Map();
      this.readAt = now;
    }
    const name = interfaceFor(client, this.interfaces);
    if (name === null) return null;
    let mtu = this.byInterface.get(name);
    if (mtu === undefined) {
      mtu = this.readMtu(name) ?? 0;
      this.byInterface.set(name, mtu);
    }
    return mtu > DATA_OVERHEAD ? blksizeForMtu(mtu) : null;
  }
}

function sysfsMtu(ifname: string): number | null {
  // A name from os.networkInterfaces(); refuse anything that could walk out of the dir.
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(ifname) || ifname.startsWith(".")) return null;
  try {
    const n = Number(readFileSync(`/sys/class/net/${ifname.split(":")[0]}/mtu`, "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}
