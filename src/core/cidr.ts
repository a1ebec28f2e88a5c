/** IPv4 networks written as CIDR ("10.1.0.0/16"): parsing and membership. Pure. */
import { isIPv4 } from "node:net";

export interface Cidr {
  readonly base: number;
  readonly mask: number;
}

function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((n, part) => (n << 8) | Number(part), 0) >>> 0;
}

/** The network, or null when `text` is not `a.b.c.d/n` with n in 0..32. */
export function parseCidr(text: string): Cidr | null {
  const [ip = "", bits = "", ...rest] = text.split("/");
  if (rest.length > 0 || !isIPv4(ip) || !/^\d{1,2}$/.test(bits) || Number(bits) > 32) return null;
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  return { base: (ipv4ToInt(ip) & mask) >>> 0, mask };
}

/**
 * The IPv4 address a socket reports, without the `::ffff:` of a dual-stack socket; null for
 * IPv6 and for a socket that has no peer any more.
 */
export function plainIPv4(address: string | undefined): string | null {
  if (address === undefined) return null;
  const ip = address.startsWith("::ffff:") ? address.slice(7) : address;
  return isIPv4(ip) ? ip : null;
}

export function inCidr(ip: string, net: Cidr): boolean {
  return isIPv4(ip) && (ipv4ToInt(ip) & net.mask) >>> 0 === net.base;
}
