/**
 * A lease as the journal keeps it, and who a client is (RFC 2131 4.2: the client
 * identifier, option 61, when sent; else the hardware address).
 */
import type { DhcpPacket } from "../dhcp/codec/packet.js";
import { clientId } from "../dhcp/codec/options.js";
import { parseMac, type Mac } from "../core/mac.js";
import { formatIp4, parseIp4, type Ip4 } from "../core/ipv4.js";

const DIGITS = Buffer.from("0123456789abcdef", "latin1");
/** "xx:xx:xx:xx:xx:xx": the colons stay, the digits are overwritten per call. */
const MAC_TEXT = Buffer.alloc(17, ":");

/**
 * chaddr's first six bytes as a Mac. It runs per packet: the text is written into one
 * scratch buffer and read out as one flat string (43 bytes allocated, against 330 for a
 * template of eleven parts, whose rope is flattened again when it keys a Map).
 */
export function macOfChaddr(c: Uint8Array): Mac {
  for (let i = 0; i < 6; i++) {
    const b = c[i]!;
    MAC_TEXT[i * 3] = DIGITS[b >> 4]!;
    MAC_TEXT[i * 3 + 1] = DIGITS[b & 15]!;
  }
  return MAC_TEXT.toString("latin1", 0, 17) as Mac;
}

/**
 * Who a client is: "id:HEX" (option 61) or, without one, its MAC itself. A Mac never
 * starts with "id:" (its digits are hex), so the two cannot collide. The MAC is not
 * prefixed in memory: a lease keeps one string for both its MAC and its holder, and
 * every new lease outlives V8's young generation, so each string it holds is copied
 * twice by the collector (docs/benchmarks.md). The journal writes it as "hw:MAC".
 */
export type ClientKey = (string & { readonly __brand: "ClientKey" }) | Mac;

export function clientKeyOf(req: Pick<DhcpPacket, "options">, mac: Mac): ClientKey {
  const id = clientId(req);
  return id ? (`id:${id.toString("hex")}` as ClientKey) : mac;
}

/** An identifier key ("id:..."), not a MAC: a Mac's first character is a hex digit. */
export const isIdKey = (k: string): boolean => k.startsWith("id:");

/** A client key as the journal writes it: "id:HEX", "hw:MAC", or "" (nobody). */
function journalClient(c: ClientKey | ""): string {
  return c === "" || isIdKey(c) ? c : `hw:${c}`;
}

/** The journal's client text back; undefined when it is none of its three forms. */
function clientOfJournal(c: string): ClientKey | "" | undefined {
  if (c === "" || isIdKey(c)) return c as ClientKey | "";
  return c.startsWith("hw:") ? (parseMac(c.slice(3)) ?? undefined) : undefined;
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
  return `{"ip":"${formatIp4(r.ip)}","c":${JSON.stringify(journalClient(r.client))},"m":${m},"s":"${r.state}","e":${r.expiresAt}}`;
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
  const client = typeof o.c === "string" ? clientOfJournal(o.c) : undefined;
  if (client === undefined || typeof o.e !== "number" || !Number.isFinite(o.e)) return null;
  return { ip, client, mac, state, expiresAt: o.e };
}
