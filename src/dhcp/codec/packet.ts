/**
 * DHCPv4 / BOOTP message codec (RFC 2131, 2132, 3396). Pure: bytes in, values out.
 *
 * Reading merges every instance of an option in wire order (RFC 3396: options field, then
 * `file`, then `sname` when option 52 overloads them), so callers see one value per code.
 * The work per datagram is linear in its size, and the size is capped (./gather.ts).
 */
import { Instances, TLV_END, TLV_PAD, walkArea } from "./gather.js";

export const BOOTP_HEADER_LENGTH = 236;
export const MAGIC_COOKIE = 0x63825363;
/** RFC 951: a BOOTP message is at least 300 bytes; some old clients drop shorter replies. */
export const BOOTP_MIN_LENGTH = 300;
/** RFC 2131: every client must accept 576-byte IP datagrams = 548 bytes of DHCP message. */
export const DHCP_DEFAULT_MAX_LENGTH = 576 - 20 - 8;
/** Nothing larger is a plausible DHCP message; bigger datagrams are refused unparsed. */
export const DHCP_MAX_INPUT = 4096;

const SNAME_OFFSET = 44;
const SNAME_LENGTH = 64;
const FILE_OFFSET = 108;
const FILE_LENGTH = 128;
const OPTIONS_OFFSET = 240;

export const OPT_PAD = TLV_PAD;
export const OPT_END = TLV_END;
export const OPT_OVERLOAD = 52;

export interface DhcpPacket {
  readonly op: number;
  readonly htype: number;
  readonly hlen: number;
  readonly hops: number;
  readonly xid: number;
  readonly secs: number;
  readonly flags: number;
  readonly ciaddr: string;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly giaddr: string;
  /** The 16-byte client hardware address field as sent. */
  readonly chaddr: Buffer;
  /** Server host name; empty when option 52 used the field for options. */
  readonly sname: string;
  /** Boot file name; empty when option 52 used the field for options. */
  readonly file: string;
  /**
   * Option values by code, each the concatenation of all its instances (RFC 3396).
   * Values (and chaddr) are views of the parsed bytes: do not modify the input after.
   */
  readonly options: ReadonlyMap<number, Buffer>;
}

export type ParseResult =
  | { readonly ok: true; readonly packet: DhcpPacket }
  | { readonly ok: false; readonly reason: string };

export const BROADCAST_FLAG = 0x8000;

const NO_ADDRESS = "0.0.0.0";

function ipAt(buf: Uint8Array, off: number): string {
  // Most requests carry zeros in three or all four address fields: no string built for them.
  if ((buf[off]! | buf[off + 1]! | buf[off + 2]! | buf[off + 3]!) === 0) return NO_ADDRESS;
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

/** A NUL-terminated field as text (latin1: one byte, one character, never invalid). */
function cString(buf: Uint8Array, off: number, len: number): string {
  if (buf[off] === 0) return "";
  let end = off;
  while (end < off + len && buf[end] !== 0) end++;
  return Buffer.from(buf.buffer, buf.byteOffset + off, end - off).toString("latin1");
}

export function parsePacket(input: Uint8Array): ParseResult {
  if (input.length < OPTIONS_OFFSET)
    return { ok: false, reason: `too short for a DHCP message: ${input.length} bytes` };
  if (input.length > DHCP_MAX_INPUT)
    return { ok: false, reason: `too long for a DHCP message: ${input.length} bytes` };
  // A datagram from node:dgram is a Buffer already: no second view of it per packet.
  const buf = Buffer.isBuffer(input)
    ? input
    : Buffer.from(input.buffer, input.byteOffset, input.length);
  const op = buf[0]!;
  if (op !== 1 && op !== 2) return { ok: false, reason: `bad op ${op}` };
  const hlen = buf[2]!;
  if (hlen > 16) return { ok: false, reason: `bad hlen ${hlen}` };
  if (buf.readUInt32BE(236) !== MAGIC_COOKIE) return { ok: false, reason: "no DHCP magic cookie" };

  const instances = new Instances(buf);
  const err = walkArea(buf, OPTIONS_OFFSET, buf.length, "options", instances);
  if (err) return { ok: false, reason: err };

  // Option 52 may only appear in the options field; it says which header fields hold more.
  let overload = 0;
  if (instances.has(OPT_OVERLOAD)) {
    const v = instances.singleByte(OPT_OVERLOAD);
    if (v === null || v < 1 || v > 3)
      return { ok: false, reason: "option 52 (overload) must be one byte 1, 2 or 3" };
    overload = v;
  }
  if (overload & 1) {
    const e = walkArea(buf, FILE_OFFSET, FILE_OFFSET + FILE_LENGTH, "file", instances);
    if (e) return { ok: false, reason: e };
  }
  if (overload & 2) {
    const e = walkArea(buf, SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH, "sname", instances);
    if (e) return { ok: false, reason: e };
  }
  const options = instances.join(OPT_OVERLOAD);

  return {
    ok: true,
    packet: {
      op,
      htype: buf[1]!,
      hlen,
      hops: buf[3]!,
      xid: buf.readUInt32BE(4),
      secs: buf.readUInt16BE(8),
      flags: buf.readUInt16BE(10),
      ciaddr: ipAt(buf, 12),
      yiaddr: ipAt(buf, 16),
      siaddr: ipAt(buf, 20),
      giaddr: ipAt(buf, 24),
      chaddr: buf.subarray(28, 44),
      sname: overload & 2 ? "" : cString(buf, SNAME_OFFSET, SNAME_LENGTH),
      file: overload & 1 ? "" : cString(buf, FILE_OFFSET, FILE_LENGTH),
      options,
    },
  };
}

/** What to encode: header fields (defaults 0 / empty) and options in the order given. */
export interface EncodeInput {
  op: number;
  htype?: number;
  hlen?: number;
  hops?: number;
  xid: number;
  secs?: number;
  flags?: number;
  ciaddr?: string;
  yiaddr?: string;
  siaddr?: string;
  giaddr?: string;
  chaddr: Uint8Array;
  sname?: string;
  file?: string;
  /** [code, value] in wire order; values over 255 bytes are split into instances (RFC 3396). */
  options: ReadonlyArray<readonly [number, Uint8Array]>;
}

export class EncodeError extends Error {
  override name = "EncodeError";
}

/** Dotted quad into 4 bytes; hand-rolled because it runs several times per reply. */
function writeIp(buf: Buffer, off: number, ip: string | undefined, field: string): void {
  if (ip === undefined || ip === "0.0.0.0") return;
  let k = 0;
  let n = -1;
  for (let i = 0; i <= ip.length; i++) {
    const c = i < ip.length ? ip.charCodeAt(i) : 46;
    if (c === 46) {
      if (n < 0 || k > 3) throw new EncodeError(`${field}: not an IPv4 address: ${ip}`);
      buf[off + k++] = n;
      n = -1;
    } else if (c >= 48 && c <= 57) {
      n = n < 0 ? c - 48 : n * 10 + (c - 48);
      if (n > 255) throw new EncodeError(`${field}: not an IPv4 address: ${ip}`);
    } else throw new EncodeError(`${field}: not an IPv4 address: ${ip}`);
  }
  if (k !== 4) throw new EncodeError(`${field}: not an IPv4 address: ${ip}`);
}

function writeField(buf: Buffer, off: number, len: number, text: string | undefined, f: string) {
  if (!text) return;
  const bytes = Buffer.from(text, "latin1");
  // Keep a terminating NUL: clients read these as C strings.
  if (bytes.length > len - 1)
    throw new EncodeError(`${f}: ${bytes.length} bytes does not fit (max ${len - 1})`);
  if (bytes.includes(0)) throw new EncodeError(`${f}: contains a NUL byte`);
  bytes.copy(buf, off);
}

/**
 * Encodes a message, padded to the 300-byte BOOTP minimum. Throws EncodeError when the
 * message would exceed `maxLength` (default 548, what every client accepts) or a field
 * does not fit: the caller built something no client could take.
 */
export function encodePacket(p: EncodeInput, maxLength = DHCP_DEFAULT_MAX_LENGTH): Buffer {
  let optLen = 1; // END
  for (const [code, value] of p.options) {
    if (code === OPT_PAD || code === OPT_END || code === OPT_OVERLOAD || code < 0 || code > 255)
      throw new EncodeError(`option code ${code} cannot be encoded as an option`);
    const instances = Math.max(1, Math.ceil(value.length / 255));
    optLen += instances * 2 + value.length;
  }
  const total = Math.max(BOOTP_MIN_LENGTH, OPTIONS_OFFSET + optLen);
  if (total > maxLength)
    throw new EncodeError(`message of ${total} bytes exceeds the limit of ${maxLength}`);
  if (p.chaddr.length > 16) throw new EncodeError(`chaddr: ${p.chaddr.length} bytes (max 16)`);

  // From node's buffer pool (Buffer.alloc maps a fresh ArrayBuffer each time), zeroed.
  const buf = Buffer.allocUnsafe(total).fill(0);
  buf[0] = p.op;
  buf[1] = p.htype ?? 1;
  buf[2] = p.hlen ?? 6;
  buf[3] = p.hops ?? 0;
  buf.writeUInt32BE(p.xid >>> 0, 4);
  buf.writeUInt16BE(p.secs ?? 0, 8);
  buf.writeUInt16BE(p.flags ?? 0, 10);
  writeIp(buf, 12, p.ciaddr, "ciaddr");
  writeIp(buf, 16, p.yiaddr, "yiaddr");
  writeIp(buf, 20, p.siaddr, "siaddr");
  writeIp(buf, 24, p.giaddr, "giaddr");
  buf.set(p.chaddr, 28);
  writeField(buf, SNAME_OFFSET, SNAME_LENGTH, p.sname, "sname");
  writeField(buf, FILE_OFFSET, FILE_LENGTH, p.file, "file");
  buf.writeUInt32BE(MAGIC_COOKIE, 236);

  let i = OPTIONS_OFFSET;
  for (const [code, value] of p.options) {
    let off = 0;
    do {
      const n = Math.min(255, value.length - off);
      buf[i++] = code;
      buf[i++] = n;
      // Nearly every option is one instance: copied whole, without a view object.
      buf.set(n === value.length ? value : value.subarray(off, off + n), i);
      i += n;
      off += n;
    } while (off < value.length);
  }
  buf[i] = OPT_END;
  return buf;
}
