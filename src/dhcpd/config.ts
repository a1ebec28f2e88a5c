/**
 * `dhcp.server.*`: what an authoritative DHCP server hands out, checked as a pure function.
 * The first (top-level) subnet is the one the appliance's interface is on; `relayed` lists
 * subnets behind DHCP relays, chosen by the relay's giaddr. Errors name the key.
 */
import { ConfigError } from "../config/error.js";
import { formatIp4, inSubnet, parseCidr, parseIp4, type Cidr, type Ip4 } from "../core/ipv4.js";

export interface Subnet extends Cidr {
  /** As written in the config, for logs and errors. */
  readonly cidr: string;
  /** The dynamic pool, inclusive; null: only reserved machines get addresses here. */
  readonly range: { readonly first: Ip4; readonly last: Ip4 } | null;
  readonly router: Ip4 | null;
  readonly dns: readonly Ip4[];
  readonly domain: string | null;
  readonly leaseSeconds: number;
}

export interface ServerConfig {
  /** The subnet of the appliance's own interface: broadcast (unrelayed) clients get it. */
  readonly local: Subnet;
  /** Subnets behind relays, chosen by giaddr. */
  readonly relayed: readonly Subnet[];
  /** How long an OFFER holds its address for a REQUEST. */
  readonly offerSeconds: number;
  /** How long a DECLINEd (or ping-answering) address stays out of the pool. */
  readonly declineSeconds: number;
  /** ICMP echo wait before offering a fresh pool address; 0 disables the check. */
  readonly pingMs: number;
  /** Start even when another DHCP server answers on the interface. */
  readonly allowOtherServers: boolean;
  /** true: an ACK waits for fdatasync (power-loss safe); false: for write(2) (kill -9 safe). */
  readonly fsync: boolean;
}

/** Largest pool the allocator accepts (its tables are a few bytes per address). */
export const MAX_POOL = 1 << 20;

const SUBNET_KEYS = ["subnet", "range", "router", "dns", "domain", "leaseSeconds"] as const;
const TOP_KEYS = [
  ...SUBNET_KEYS,
  "relayed",
  "offerSeconds",
  "declineSeconds",
  "pingMs",
  "allowOtherServers",
  "fsync",
] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const fail = (key: string, what: string, v: unknown): never => {
  throw new ConfigError(`${key}: ${what}, got ${JSON.stringify(v)}`);
};

function intIn(v: unknown, key: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    fail(key, `expected an integer ${min}..${max}`, v);
  return v as number;
}

function hostIn(c: Subnet | Cidr, v: unknown, key: string, cidr: string): Ip4 {
  const ip = typeof v === "string" ? parseIp4(v) : null;
  if (ip === null) return fail(key, "expected an IPv4 address", v);
  if (!inSubnet(c, ip)) throw new ConfigError(`${key}: ${v as string} is not a host of ${cidr}`);
  return ip;
}

/** "A-B" (inclusive, both in the subnet, A <= B). */
function parseRange(c: Cidr, v: unknown, key: string, cidr: string): Subnet["range"] {
  if (v === null || v === undefined) return null;
  if (typeof v !== "string" || !v.includes("-"))
    return fail(key, 'expected "FIRST-LAST" such as "10.0.0.100-10.0.0.199"', v);
  const [a, b] = v.split("-").map((s) => s.trim());
  const first = hostIn(c, a, key, cidr);
  const last = hostIn(c, b, key, cidr);
  if (last < first) throw new ConfigError(`${key}: ${v} ends before it starts`);
  if (last - first + 1 > MAX_POOL)
    throw new ConfigError(`${key}: ${last - first + 1} addresses exceed the limit of ${MAX_POOL}`);
  return { first, last };
}

function parseSubnet(
  raw: Record<string, unknown>,
  key: string,
  allowed: readonly string[],
  defaultLease: number,
): Subnet {
  for (const k of Object.keys(raw))
    if (!allowed.includes(k)) throw new ConfigError(`${key}: unknown key "${k}"`);
  if (raw.subnet === undefined) throw new ConfigError(`${key}.subnet: required in server mode`);
  if (typeof raw.subnet !== "string")
    return fail(`${key}.subnet`, "expected a CIDR string", raw.subnet);
  const c = parseCidr(raw.subnet);
  if (typeof c === "string") throw new ConfigError(`${key}.subnet: ${c}`);
  const cidr = raw.subnet;
  const dns = raw.dns ?? [];
  if (!Array.isArray(dns)) return fail(`${key}.dns`, "expected a list of IPv4 addresses", dns);
  const domain = raw.domain ?? null;
  if (domain !== null && (typeof domain !== "string" || !/^[A-Za-z0-9.-]{1,253}$/.test(domain)))
    fail(`${key}.domain`, "expected a DNS domain name", domain);
  return {
    ...c,
    cidr,
    range: parseRange(c, raw.range, `${key}.range`, cidr),
    router:
      raw.router === undefined || raw.router === null
        ? null
        : hostIn(c, raw.router, `${key}.router`, cidr),
    // DNS servers may live anywhere (a site resolver), so only the form is checked.
    dns: dns.map((d, i) => {
      const ip = typeof d === "string" ? parseIp4(d) : null;
      return ip ?? fail(`${key}.dns[${i}]`, "expected an IPv4 address", d);
    }),
    domain: domain as string | null,
    leaseSeconds:
      raw.leaseSeconds === undefined
        ? defaultLease
        : intIn(raw.leaseSeconds, `${key}.leaseSeconds`, 10, 365 * 86400),
  };
}

const overlaps = (a: Cidr, b: Cidr) =>
  (a.network & b.mask) >>> 0 === b.network || (b.network & a.mask) >>> 0 === a.network;

/**
 * Checks `dhcp.server` (an object) and returns it in typed form; throws ConfigError naming
 * the key. `address` (the appliance's, when known) must be a host of the local subnet.
 */
export function parseServerConfig(
  raw: unknown,
  key = "dhcp.server",
  address?: string,
): ServerConfig {
  if (!isObject(raw)) return fail(key, "expected an object", raw);
  const local = parseSubnet(raw, key, TOP_KEYS, 3600);
  if (address !== undefined) checkApplianceAddress(local, address, key);
  const rawRelayed = raw.relayed ?? [];
  if (!Array.isArray(rawRelayed))
    return fail(`${key}.relayed`, "expected a list of subnets", rawRelayed);
  const relayed = rawRelayed.map((r, i) => {
    const k = `${key}.relayed[${i}]`;
    if (!isObject(r)) return fail(k, "expected an object", r);
    return parseSubnet(r, k, SUBNET_KEYS, local.leaseSeconds);
  });
  const all = [local, ...relayed];
  for (let i = 0; i < all.length; i++)
    for (let j = i + 1; j < all.length; j++)
      if (overlaps(all[i]!, all[j]!))
        throw new ConfigError(`${key}: subnets ${all[i]!.cidr} and ${all[j]!.cidr} overlap`);
  const allow = raw.allowOtherServers ?? false;
  if (typeof allow !== "boolean") fail(`${key}.allowOtherServers`, "expected true or false", allow);
  const fsync = raw.fsync ?? true;
  if (typeof fsync !== "boolean") fail(`${key}.fsync`, "expected true or false", fsync);
  return {
    local,
    relayed,
    offerSeconds:
      raw.offerSeconds === undefined ? 30 : intIn(raw.offerSeconds, `${key}.offerSeconds`, 1, 3600),
    declineSeconds:
      raw.declineSeconds === undefined
        ? 600
        : intIn(raw.declineSeconds, `${key}.declineSeconds`, 1, 86400 * 7),
    pingMs: raw.pingMs === undefined ? 300 : intIn(raw.pingMs, `${key}.pingMs`, 0, 5000),
    allowOtherServers: allow as boolean,
    fsync: fsync as boolean,
  };
}

/**
 * The appliance's own address must be a host of the local subnet: unrelayed clients get
 * that subnet, and replies and boot URLs name the address. (A subnet reached only through
 * relays goes in `relayed`, never here.) Throws ConfigError naming `KEY.subnet`.
 */
export function checkApplianceAddress(local: Subnet, address: string, key = "dhcp.server"): void {
  const a = parseIp4(address);
  if (a === null || !inSubnet(local, a))
    throw new ConfigError(
      `${key}.subnet: ${local.cidr} does not hold the appliance address ${address}`,
    );
}

export function describeSubnet(s: Subnet): string {
  return s.range
    ? `${s.cidr} pool ${formatIp4(s.range.first)}-${formatIp4(s.range.last)}`
    : `${s.cidr} (reservations only)`;
}
