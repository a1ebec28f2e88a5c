import { isIPv4, isIPv6 } from "node:net";
import { TYPE } from "./message.js";
import {
  DnsFormatError,
  encodeName,
  decodeName,
  nameToText,
  parseName,
  type DnsName,
} from "./name.js";

/**
 * RDATA of the record types `dns_record_set` manages: presentation form (RFC 1035 section
 * 5.1 and each type's RFC) to wire form and back. Wire to text gives the canonical form
 * (names absolute and lower case, IPv6 as RFC 5952, TXT strings quoted), so two spellings
 * of the same record print the same. Pure.
 */

export const RECORD_TYPES = ["A", "AAAA", "CNAME", "PTR", "TXT", "SRV", "MX"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export function typeCode(t: RecordType): number {
  return TYPE[t];
}

function ipv4(text: string): Buffer {
  if (!isIPv4(text)) throw new DnsFormatError(`${JSON.stringify(text)} is not an IPv4 address`);
  return Buffer.from(text.split(".").map(Number));
}

function ipv6(text: string): Buffer {
  if (!isIPv6(text) || text.includes("%")) {
    throw new DnsFormatError(`${JSON.stringify(text)} is not an IPv6 address`);
  }
  let s = text;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = ipv4(v4[1] as string);
    tail.push(b.readUInt16BE(0), b.readUInt16BE(2));
    s = s.slice(0, -(v4[1] as string).length) + "0"; // placeholder group, dropped below
  }
  const groups = (part: string): number[] =>
    part === "" ? [] : part.split(":").map((g) => parseInt(g, 16));
  const [head, rest] = s.split("::") as [string, string | undefined];
  let words = groups(head);
  if (rest !== undefined) {
    const back = groups(rest);
    if (v4) back.pop();
    const fill = 8 - tail.length - words.length - back.length;
    words = [...words, ...new Array<number>(fill).fill(0), ...back];
  } else if (v4) {
    words.pop();
  }
  words.push(...tail);
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

/** RFC 5952: lower case, no leading zeros, the longest run (>= 2) of zero groups as "::". */
function ipv6Text(b: Buffer): string {
  const w = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

function u16(text: string, what: string): Buffer {
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) {
    throw new DnsFormatError(`${what} ${JSON.stringify(text)} is not a number 0..65535`);
  }
  const b = Buffer.alloc(2);
  b.writeUInt16BE(Number(text));
  return b;
}

function fields(text: string, n: number, form: string): string[] {
  const f = text.trim().split(/\s+/);
  if (f.length !== n) throw new DnsFormatError(`${JSON.stringify(text)} is not "${form}"`);
  return f;
}

/**
 * TXT: one or more <character-string>s, each quoted ("a b") or a bare word; `\"`, `\\`
 * and `\DDD` escapes in both. Each string is at most 255 bytes.
 */
function txt(text: string): Buffer {
  const strings: Buffer[] = [];
  let i = 0;
  const shown = JSON.stringify(text);
  while (i < text.length) {
    if (/\s/.test(text[i] as string)) {
      i++;
      continue;
    }
    const quoted = text[i] === '"';
    if (quoted) i++;
    const bytes: number[] = [];
    for (;;) {
      if (i >= text.length) {
        if (quoted) throw new DnsFormatError(`TXT ${shown}: a quote is not closed`);
        break;
      }
      const c = text[i] as string;
      if (quoted && c === '"') {
        i++;
        break;
      }
      if (!quoted && /\s/.test(c)) break;
      if (!quoted && c === '"') throw new DnsFormatError(`TXT ${shown}: quote inside a bare word`);
      if (c === "\\") {
        const d = text.slice(i + 1, i + 4);
        if (/^[0-9]{3}$/.test(d) && Number(d) <= 255) {
          bytes.push(Number(d));
          i += 4;
          continue;
        }
        if (i + 1 >= text.length) throw new DnsFormatError(`TXT ${shown}: ends in a backslash`);
        i++;
      }
      const cp = text.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(ch, "utf8"));
      i += ch.length;
    }
    if (bytes.length > 255) {
      throw new DnsFormatError(
        `TXT ${shown}: a string is ${bytes.length} bytes (at most 255; split it into several quoted strings)`,
      );
    }
    strings.push(Buffer.from([bytes.length]), Buffer.from(bytes));
  }
  if (strings.length === 0) throw new DnsFormatError(`TXT ${shown} has no strings`);
  return Buffer.concat(strings);
}

function txtText(rdata: Buffer): string {
  const out: string[] = [];
  for (let p = 0; p < rdata.length;) {
    const len = rdata[p] as number;
    if (p + 1 + len > rdata.length) throw new DnsFormatError("TXT RDATA: string runs past the end");
    let s = "";
    for (const b of rdata.subarray(p + 1, p + 1 + len)) {
      if (b === 0x22 || b === 0x5c) s += "\\" + String.fromCharCode(b);
      else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
      else s += "\\" + String(b).padStart(3, "0");
    }
    out.push(`"${s}"`);
    p += 1 + len;
  }
  return out.join(" ");
}

/** Presentation form to wire RDATA; relative names are relative to `origin` (the zone). */
export function rdataFromText(type: RecordType, text: string, origin: DnsName): Buffer {
  const name = (t: string): Buffer => encodeName(parseName(t, origin));
  switch (type) {
    case "A":
      return ipv4(text.trim());
    case "AAAA":
      return ipv6(text.trim());
    case "CNAME":
    case "PTR":
      return name(fields(text, 1, "target.")[0] as string);
    case "MX": {
      const [pref, host] = fields(text, 2, "preference exchange.") as [string, string];
      return Buffer.concat([u16(pref, "MX preference"), name(host)]);
    }
    case "SRV": {
      const [p, w, port, target] = fields(text, 4, "priority weight port target.") as [
        string,
        string,
        string,
        string,
      ];
      return Buffer.concat([
        u16(p, "SRV priority"),
        u16(w, "SRV weight"),
        u16(port, "SRV port"),
        name(target),
      ]);
    }
    case "TXT":
      return txt(text);
  }
}

function wholeName(rdata: Buffer, at: number): string {
  const { name, next } = decodeName(rdata, at);
  if (next !== rdata.length) throw new DnsFormatError("RDATA: bytes after the name");
  return nameToText(name).toLowerCase();
}

/** Wire RDATA (uncompressed) to canonical presentation form. */
export function rdataToText(type: RecordType, rdata: Buffer): string {
  const len = (n: number): void => {
    if (rdata.length < n) throw new DnsFormatError(`${type} RDATA is ${rdata.length} bytes`);
  };
  switch (type) {
    case "A":
      if (rdata.length !== 4) throw new DnsFormatError(`A RDATA is ${rdata.length} bytes`);
      return [...rdata].join(".");
    case "AAAA":
      if (rdata.length !== 16) throw new DnsFormatError(`AAAA RDATA is ${rdata.length} bytes`);
      return ipv6Text(rdata);
    case "CNAME":
    case "PTR":
      return wholeName(rdata, 0);
    case "MX":
      len(3);
      return `${rdata.readUInt16BE(0)} ${wholeName(rdata, 2)}`;
    case "SRV":
      len(7);
      return `${rdata.readUInt16BE(0)} ${rdata.readUInt16BE(2)} ${rdata.readUInt16BE(4)} ${wholeName(rdata, 6)}`;
    case "TXT":
      return txtText(rdata);
  }
}

/** The canonical form of one record given in presentation form. */
export function canonicalRecord(type: RecordType, text: string, origin: DnsName): string {
  return rdataToText(type, rdataFromText(type, text, origin));
}
