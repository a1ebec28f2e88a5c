/**
 * IPv4 addresses as unsigned 32-bit numbers: the lease tables index by number (a Map key
 * that is a small integer is cheaper than a string) and subnet tests are one mask.
 */
import { isIPv4 } from "node:net";

/** An IPv4 address as an unsigned 32-bit integer. */
export type Ip4 = number & { readonly __brand: "Ip4" };

export function parseIp4(text: string): Ip4 | null {
  if (!isIPv4(text)) return null;
  let n = 0;
  for (const part of text.split(".")) n = n * 256 + Number(part);
  return n as Ip4;
}

export function formatIp4(ip: Ip4): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

export function ip4FromBytes(b: Uint8Array, off = 0): Ip4 {
  return (((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0) as Ip4;
}

export function ip4Bytes(ip: Ip4): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(ip, 0);
  return b;
}

export interface Cidr {
  /** The network address (host bits zero). */
  readonly network: Ip4;
  readonly prefix: number;
  readonly mask: Ip4;
  readonly broadcast: Ip4;
}

/** "10.0.0.0/24" (host bits must be zero: "10.0.0.5/24" is more likely a typo than a subnet). */
export function parseCidr(text: string): Cidr | string {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  if (!m) return `expected a subnet such as "10.0.0.0/24", got ${JSON.stringify(text)}`;
  const ip = parseIp4(m[1]!);
  const prefix = Number(m[2]);
  if (ip === null) return `not an IPv4 address: ${JSON.stringify(m[1])}`;
  if (prefix < 8 || prefix > 30) return `prefix /${prefix} is outside /8../30`;
  const mask = (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0) as Ip4;
  if ((ip & ~mask) >>> 0 !== 0)
    return `${text} has host bits set (the subnet is ${formatIp4(((ip & mask) >>> 0) as Ip4)}/${prefix})`;
  return { network: ip, prefix, mask, broadcast: ((ip | ~mask) >>> 0) as Ip4 };
}

/** True when `ip` is a usable host address of the subnet (not its network or broadcast). */
export function inSubnet(c: Cidr, ip: Ip4): boolean {
  return (ip & c.mask) >>> 0 === c.network && ip !== c.network && ip !== c.broadcast;
}

/**
 * A dotted quad the codec produced (always valid) as a number; for hot paths. Text that
 * is not a dotted quad gives 0.0.0.0.
 */
export function ipOf(dotted: string): Ip4 {
  let n = 0;
  let part = 0;
  let dots = 0;
  for (let i = 0; i < dotted.length; i++) {
    const c = dotted.charCodeAt(i);
    if (c === 46) {
      n = n * 256 + part;
      part = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && part < 256) part = part * 10 + (c - 48);
    else return 0 as Ip4;
  }
  if (dots !== 3 || part > 255) return 0 as Ip4;
  return (n * 256 + part) as Ip4;
}

/**
 * Why `ip` cannot be one machine's own address (a DHCP reservation), or null when it can:
 * what no host may hold ("this network", loopback, multicast, the reserved class E with
 * the broadcast address) and link-local, which RFC 3927 says a DHCP server never hands out.
 */
export function hostAddressProblem(ip: Ip4): string | null {
  const a = ip >>> 24;
  if (a === 0) return "is in 0.0.0.0/8 (this network)";
  if (a === 127) return "is a loopback address";
  if (a >= 224 && a < 240) return "is a multicast address";
  if (a >= 240) return "is reserved (240.0.0.0/4, with the broadcast address)";
  if (ip >>> 16 === 0xa9fe) return "is link-local (169.254.0.0/16), never handed out by DHCP";
  return null;
}

/** A machine's own IPv4 address from its dotted text, or why it is none (naming the value). */
export function parseHostIp4(text: unknown): Ip4 | string {
  const ip = typeof text === "string" ? parseIp4(text) : null;
  if (ip === null)
    return `expected an IPv4 unicast address such as "10.0.0.5", got ${JSON.stringify(text)}`;
  const why = hostAddressProblem(ip);
  return why === null ? ip : `${text as string} ${why}, not a machine's address`;
}
