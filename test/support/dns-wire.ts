/**
 * Just enough DNS wire format (RFC 1035, with name compression) for tests to ask an mDNS
 * responder a question and read its answer, independently of the library that answers.
 */

export interface DnsRecord {
  name: string;
  type: number;
  cls: number;
  ttl: number;
  /** PTR target, SRV {port, target}, TXT strings, A address; raw bytes otherwise. */
  data: string | { priority: number; weight: number; port: number; target: string } | string[];
}

export const TYPE = { A: 1, PTR: 12, TXT: 16, SRV: 33, ANY: 255 } as const;

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, "").split(".");
  const out: Buffer[] = [];
  for (const p of parts) {
    const b = Buffer.from(p, "utf8");
    out.push(Buffer.from([b.length]), b);
  }
  out.push(Buffer.from([0]));
  return Buffer.concat(out);
}

/** One question, QM unless `unicastResponse`; `id` 0 is mDNS's, a legacy querier's is its own. */
export function encodeQuery(name: string, type: number, unicastResponse = false, id = 0): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(1 | (unicastResponse ? 0x8000 : 0), 2);
  return Buffer.concat([header, encodeName(name), tail]);
}

function readName(buf: Buffer, offset: number): [string, number] {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  for (let hops = 0; hops < 64; hops++) {
    const len = buf.readUInt8(pos);
    if (len === 0) {
      pos += 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (end < 0) end = pos + 2;
      pos = buf.readUInt16BE(pos) & 0x3fff;
      continue;
    }
    labels.push(buf.toString("utf8", pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return [labels.join("."), end < 0 ? pos : end];
}

export interface DnsMessage {
  id: number;
  flags: number;
  questions: { name: string; type: number }[];
  records: DnsRecord[];
}

/** Parse a message; answers, authority and additional records all land in `records`. */
export function decodeMessage(buf: Buffer): DnsMessage {
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  const rr = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
  let pos = 12;
  const questions: DnsMessage["questions"] = [];
  for (let i = 0; i < qd; i++) {
    const [name, next] = readName(buf, pos);
    questions.push({ name, type: buf.readUInt16BE(next) });
    pos = next + 4;
  }
  const records: DnsRecord[] = [];
  for (let i = 0; i < rr; i++) {
    const [name, next] = readName(buf, pos);
    const type = buf.readUInt16BE(next);
    const cls = buf.readUInt16BE(next + 2) & 0x7fff;
    const ttl = buf.readUInt32BE(next + 4);
    const rdlen = buf.readUInt16BE(next + 8);
    const rd = next + 10;
    let data: DnsRecord["data"];
    if (type === TYPE.PTR) data = readName(buf, rd)[0];
    else if (type === TYPE.SRV)
      data = {
        priority: buf.readUInt16BE(rd),
        weight: buf.readUInt16BE(rd + 2),
        port: buf.readUInt16BE(rd + 4),
        target: readName(buf, rd + 6)[0],
      };
    else if (type === TYPE.TXT) {
      const strings: string[] = [];
      for (let p = rd; p < rd + rdlen;) {
        const l = buf.readUInt8(p);
        strings.push(buf.toString("utf8", p + 1, p + 1 + l));
        p += 1 + l;
      }
      data = strings;
    } else if (type === TYPE.A) data = [...buf.subarray(rd, rd + 4)].join(".");
    else data = buf.subarray(rd, rd + rdlen).toString("hex");
    records.push({ name, type, cls, ttl, data });
    pos = rd + rdlen;
  }
  return { id, flags, questions, records };
}
