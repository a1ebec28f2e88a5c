/**
 * DNS wire format for the mDNS tests: a question to ask a responder, and its answer in a
 * form that is easy to assert on and to pass as JSON. Built on the provider's codec
 * (src/provider/dns), which is independent of the mDNS library that answers.
 */
import {
  decodeMessage as decode,
  emptyMessage,
  encodeMessage,
  OPCODE,
  TYPE as DNS_TYPE,
  type ResourceRecord,
} from "../../src/provider/dns/message.js";
import { decodeName, type DnsName } from "../../src/provider/dns/name.js";

export interface DnsRecord {
  name: string;
  type: number;
  cls: number;
  ttl: number;
  /** PTR target, SRV {port, target}, TXT strings, A address; raw bytes otherwise. */
  data: string | { priority: number; weight: number; port: number; target: string } | string[];
}

export const TYPE = { A: 1, PTR: 12, TXT: 16, SRV: 33, ANY: 255 } as const;

/** mDNS names carry spaces and UTF-8 as they are: labels joined by dots, no escapes. */
function text(name: DnsName): string {
  return name.map((l) => l.toString("utf8")).join(".");
}

function labels(name: string): DnsName {
  return name
    .replace(/\.$/, "")
    .split(".")
    .map((l) => Buffer.from(l, "utf8"));
}

/** One question, QM unless `unicastResponse`; `id` 0 is mDNS's, a legacy querier's is its own. */
export function encodeQuery(name: string, type: number, unicastResponse = false, id = 0): Buffer {
  return encodeMessage({
    ...emptyMessage(id, OPCODE.QUERY),
    questions: [{ name: labels(name), type, cls: 1 | (unicastResponse ? 0x8000 : 0) }],
  });
}

function data(r: ResourceRecord): DnsRecord["data"] {
  const rd = r.rdata;
  switch (r.type) {
    case DNS_TYPE.PTR:
      return text(decodeName(rd, 0).name);
    case DNS_TYPE.SRV:
      return {
        priority: rd.readUInt16BE(0),
        weight: rd.readUInt16BE(2),
        port: rd.readUInt16BE(4),
        target: text(decodeName(rd, 6).name),
      };
    case DNS_TYPE.TXT: {
      const strings: string[] = [];
      for (let p = 0; p < rd.length; p += 1 + (rd[p] as number)) {
        strings.push(rd.toString("utf8", p + 1, p + 1 + (rd[p] as number)));
      }
      return strings;
    }
    case DNS_TYPE.A:
      return [...rd].join(".");
    default:
      return rd.toString("hex");
  }
}

export interface DnsMessage {
  id: number;
  flags: number;
  questions: { name: string; type: number }[];
  records: DnsRecord[];
}

/** Parse a message; answers, authority and additional records all land in `records`. */
export function decodeMessage(buf: Buffer): DnsMessage {
  const m = decode(buf);
  return {
    id: m.id,
    flags: buf.readUInt16BE(2),
    questions: m.questions.map((q) => ({ name: text(q.name), type: q.type })),
    records: [...m.answers, ...m.authority, ...m.additional].map((r) => ({
      name: text(r.name),
      type: r.type,
      cls: r.cls & 0x7fff,
      ttl: r.ttl,
      data: data(r),
    })),
  };
}
