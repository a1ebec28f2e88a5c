/**
 * A lease as the journal keeps it, and who a client is (RFC 2131 4.2: the client
 * identifier, option 61, when sent; else the hardware address).
 */
import type { DhcpPacket } from "../dhcp/codec/packet.js";
import { clientId } from "../dhcp/codec/options.js";
import { parseMac, type Mac } from "../core/mac.js";
import { formatIp4, parseIp4, type Ip4 } from "../core/ipv4.js";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** chaddr's first six bytes as a Mac; a table lookup per byte (it runs per packet). */
export function macOfChaddr(c: Uint8Array): Mac {
  return `${HEX[c[0]!]}:${HEX[c[1]!]}:${HEX[c[2]!]}:${HEX[c[3]!]}:${HEX[c[4]!]}:${HEX[c[5]!]}` as Mac;
}

/** "id:HEX" (option 61) or "hw:MAC". */
export type ClientKey = string & { readonly __brand: "ClientKey" };

export function clientKeyOf(req: Pick<DhcpPacket, "options">, mac: Mac): ClientKey {
  const id = clientId(req);
  return (id ? `id:${id.toString("hex")}` : `hw:${mac}`) as ClientKey;
}

export interface LeaseRecord {
  readonly ip: Ip4;
  /** "" for a quarantined address. */
  readonly client: ClientKey | "";
  readonly mac: Mac | null;
  /** bound: held until expiresAt; released: given back (holder remembered); declined: quarantined. */
  readonly state: "bound" | "released" | "declined";
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/**
 * One journal line. Field names are short: a busy server writes many. The same text as
 * JSON.stringify({ ip, c, m, s, e }), built without the object: it runs per ACK and for
 * every lease in a compaction. A Mac, an address and a state need no escaping; the client
 * key is escaped anyway (it is "" or "id:"/"hw:" and hex, but it came off the wire).
 */
export function encodeRecord(r: LeaseRecord): string {
  const m = r.mac === null ? "null" : `"${r.mac}"`;
  return `{"ip":"${formatIp4(r.ip)}","c":${JSON.stringify(r.client)},"m":${m},"s":"${r.state}","e":${r.expiresAt}}`;
}

/** A journal line back; null when it is not one (a torn or foreign line). */
export function decodeRecord(line: string): LeaseRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  const ip = typeof o.ip === "string" ? parseIp4(o.ip) : null;
  const mac = o.m === null ? null : typeof o.m === "string" ? parseMac(o.m) : undefined;
  const state = o.s === "bound" || o.s === "released" || o.s === "declined" ? o.s : null;
  if (ip === null || mac === undefined || state === null) return null;
  if (typeof o.c !== "string" || typeof o.e !== "number" || !Number.isFinite(o.e)) return null;
  return { ip, client: o.c as ClientKey | "", mac, state, expiresAt: o.e };
}
