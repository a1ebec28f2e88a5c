import { decodeName, DnsFormatError, encodeName, type DnsName } from "./name.js";

/**
 * DNS messages (RFC 1035 section 4; RFC 2136 reuses the four sections as zone,
 * prerequisite, update and additional). Pure. Records carry their RDATA uncompressed:
 * names inside the RDATA of the types this module knows are expanded while decoding, so
 * RDATA can be compared, printed and signed without the message around it.
 */

export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  TSIG: 250,
} as const;
export const OPCODE = { QUERY: 0, UPDATE: 5 } as const;

export interface Question {
  name: DnsName;
  type: number;
  cls: number;
}

export interface ResourceRecord {
  name: DnsName;
  type: number;
  cls: number;
  ttl: number;
  rdata: Buffer;
}

export interface Message {
  id: number;
  /** QR: a response */
  response: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  rcode: number;
  /** question, or zone in an UPDATE */
  questions: Question[];
  /** answer, or prerequisite */
  answers: ResourceRecord[];
  /** authority, or update */
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

export interface DecodedMessage extends Message {
  /** Offset of each additional record in the bytes, for TSIG (which signs what precedes it). */
  additionalOffsets: number[];
}

export function encodeRecord(r: ResourceRecord): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(r.type, 0);
  fixed.writeUInt16BE(r.cls, 2);
  fixed.writeUInt32BE(r.ttl, 4);
  fixed.writeUInt16BE(r.rdata.length, 8);
  return Buffer.concat([encodeName(r.name), fixed, r.rdata]);
}

export function encodeMessage(m: Message): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(m.id, 0);
  h.writeUInt16BE(
    (m.response ? 0x8000 : 0) |
      ((m.opcode & 0xf) << 11) |
      (m.authoritative ? 0x0400 : 0) |
      (m.truncated ? 0x0200 : 0) |
      (m.recursionDesired ? 0x0100 : 0) |
      (m.rcode & 0xf),
    2,
  );
  h.writeUInt16BE(m.questions.length, 4);
  h.writeUInt16BE(m.answers.length, 6);
  h.writeUInt16BE(m.authority.length, 8);
  h.writeUInt16BE(m.additional.length, 10);
  const parts: Buffer[] = [h];
  for (const q of m.questions) {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(q.type, 0);
    t.writeUInt16BE(q.cls, 2);
    parts.push(encodeName(q.name), t);
  }
  for (const r of [...m.answers, ...m.authority, ...m.additional]) parts.push(encodeRecord(r));
  return Buffer.concat(parts);
}

/** A message with no records, for building queries and updates. */
export function emptyMessage(id: number, opcode: number): Message {
  return {
    id,
    response: false,
    opcode,
    authoritative: false,
    truncated: false,
    recursionDesired: false,
    rcode: 0,
    questions: [],
    answers: [],
    authority: [],
    additional: [],
  };
}

function need(msg: Buffer, offset: number, n: number, what: string): void {
  if (offset + n > msg.length) {
    throw new DnsFormatError(`${what} at offset ${offset} runs past the end (${msg.length} bytes)`);
  }
}

/** Names inside RDATA are expanded, so the RDATA stands alone (RFC 3597 section 4). */
function expandRdata(msg: Buffer, type: number, start: number, end: number): Buffer {
  // Empty RDATA is how UPDATE says "the whole set" (RFC 2136 2.4.1, 2.5.2).
  if (start === end) return Buffer.alloc(0);
  const name = (at: number): { wire: Buffer; next: number } => {
    const { name, next } = decodeName(msg, at);
    if (next > end) throw new DnsFormatError(`RDATA at offset ${start} overruns its length`);
    return { wire: encodeName(name), next };
  };
  switch (type) {
    case TYPE.CNAME:
    case TYPE.PTR:
    case TYPE.NS: {
      const n = name(start);
      if (n.next !== end) throw new DnsFormatError(`RDATA at offset ${start}: bytes after name`);
      return n.wire;
    }
    case TYPE.MX: {
      need(msg, start, 2, "MX RDATA");
      const n = name(start + 2);
      return Buffer.concat([msg.subarray(start, start + 2), n.wire]);
    }
    case TYPE.SRV: {
      need(msg, start, 6, "SRV RDATA");
      const n = name(start + 6);
      return Buffer.concat([msg.subarray(start, start + 6), n.wire]);
    }
    case TYPE.SOA: {
      const m = name(start);
      const r = name(m.next);
      need(msg, r.next, 20, "SOA RDATA");
      return Buffer.concat([m.wire, r.wire, msg.subarray(r.next, r.next + 20)]);
    }
    case TYPE.TSIG: {
      const a = name(start);
      return Buffer.concat([a.wire, msg.subarray(a.next, end)]);
    }
    default:
      return Buffer.from(msg.subarray(start, end));
  }
}

/** Parses a whole message; throws DnsFormatError on anything malformed. */
export function decodeMessage(msg: Buffer): DecodedMessage {
  need(msg, 0, 12, "header");
  const flags = msg.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => msg.readUInt16BE(o));
  let pos = 12;
  const questions: Question[] = [];
  for (let i = 0; i < (counts[0] as number); i++) {
    const { name, next } = decodeName(msg, pos);
    need(msg, next, 4, "question");
    questions.push({ name, type: msg.readUInt16BE(next), cls: msg.readUInt16BE(next + 2) });
    pos = next + 4;
  }
  const offsets: number[] = [];
  const sections: ResourceRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < (counts[s + 1] as number); i++) {
      if (s === 2) offsets.push(pos);
      const { name, next } = decodeName(msg, pos);
      need(msg, next, 10, "record");
      const type = msg.readUInt16BE(next);
      const rdlen = msg.readUInt16BE(next + 8);
      need(msg, next + 10, rdlen, "RDATA");
      const rdata = expandRdata(msg, type, next + 10, next + 10 + rdlen);
      sections[s]?.push({
        name,
        type,
        cls: msg.readUInt16BE(next + 2),
        ttl: msg.readUInt32BE(next + 4),
        rdata,
      });
      pos = next + 10 + rdlen;
    }
  }
  return {
    id: msg.readUInt16BE(0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    rcode: flags & 0xf,
    questions,
    answers: sections[0] as ResourceRecord[],
    authority: sections[1] as ResourceRecord[],
    additional: sections[2] as ResourceRecord[],
    additionalOffsets: offsets,
  };
}

/** RCODE names (RFC 1035, RFC 2136, RFC 8945) and what each means for an update. */
export const RCODES: Readonly<Record<number, { name: string; meaning: string }>> = {
  0: { name: "NOERROR", meaning: "no error" },
  1: { name: "FORMERR", meaning: "the server could not parse the request" },
  2: { name: "SERVFAIL", meaning: "the server failed internally" },
  3: { name: "NXDOMAIN", meaning: "a name that should exist does not" },
  4: { name: "NOTIMP", meaning: "the server does not implement this operation" },
  5: {
    name: "REFUSED",
    meaning:
      "the server refused: this key or client may not update this name and type, or the server does not accept the TSIG key or secret (PowerDNS answers REFUSED to those), or a zone check failed; the server's log says which",
  },
  6: { name: "YXDOMAIN", meaning: "a name that should not exist does" },
  7: { name: "YXRRSET", meaning: "a record set that should not exist does" },
  8: { name: "NXRRSET", meaning: "a record set that should exist does not (or differs)" },
  9: {
    name: "NOTAUTH",
    meaning: "the server is not authoritative for the zone, or the request was not authenticated",
  },
  10: { name: "NOTZONE", meaning: "a name is not within the zone" },
  16: { name: "BADSIG", meaning: "the TSIG signature did not verify (wrong secret?)" },
  17: { name: "BADKEY", meaning: "the server does not know this TSIG key name/algorithm" },
  18: { name: "BADTIME", meaning: "the TSIG time is outside the fudge window (clock skew?)" },
  19: { name: "BADMODE", meaning: "bad TKEY mode" },
  20: { name: "BADNAME", meaning: "duplicate key name" },
  21: { name: "BADALG", meaning: "algorithm not supported" },
  22: { name: "BADTRUNC", meaning: "bad truncation of the TSIG MAC" },
};

export function rcodeText(rcode: number): string {
  const r = RCODES[rcode];
  return r === undefined ? `RCODE ${rcode}` : `${r.name} (${r.meaning})`;
}
