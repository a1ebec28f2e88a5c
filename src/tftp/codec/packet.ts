/**
 * TFTP packets (RFC 1350, options RFC 2347) as pure functions over bytes. Parsing never
 * throws: malformed input comes back as `{ ok: false, reason }` naming what is wrong, so the
 * server can drop and count it.
 */

export const Opcode = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

/** RFC 1350 / 2347 error codes. */
export const ErrorCode = {
  NOT_DEFINED: 0,
  FILE_NOT_FOUND: 1,
  ACCESS_VIOLATION: 2,
  DISK_FULL: 3,
  ILLEGAL_OPERATION: 4,
  UNKNOWN_TID: 5,
  FILE_EXISTS: 6,
  NO_SUCH_USER: 7,
  OPTION_REFUSED: 8,
} as const;

/** One option as the client sent it: name lowercased (RFC 2347: case-insensitive), raw value. */
export interface TftpOption {
  readonly name: string;
  readonly value: string;
}

export type TftpPacket =
  | {
      readonly op: "rrq" | "wrq";
      readonly filename: string;
      /** Lowercased transfer mode: "octet", "netascii" or "mail". */
      readonly mode: string;
      readonly options: readonly TftpOption[];
    }
  | { readonly op: "data"; readonly block: number; readonly data: Uint8Array }
  | { readonly op: "ack"; readonly block: number }
  | { readonly op: "error"; readonly code: number; readonly message: string }
  | { readonly op: "oack"; readonly options: readonly TftpOption[] };

export type ParseResult =
  | { readonly ok: true; readonly packet: TftpPacket }
  | { readonly ok: false; readonly reason: string };

const MODES = new Set(["octet", "netascii", "mail"]);
/** Option strings longer than this are not something a real client sends. */
const MAX_STRING = 512;

const latin1 = new TextDecoder("latin1");

function fail(reason: string): ParseResult {
  return { ok: false, reason };
}

/**
 * Reads NUL-terminated strings from `from` to the end of `buf`. Filenames and options are
 * ASCII on the wire (RFC 1350 says netascii); latin1 keeps every byte one character so
 * nothing is lost or replaced before the path checks look at it.
 */
function readStrings(buf: Uint8Array, from: number): string[] | string {
  const out: string[] = [];
  let start = from;
  while (start < buf.length) {
    const end = buf.indexOf(0, start);
    if (end < 0) return `unterminated string at byte ${start}`;
    if (end - start > MAX_STRING) return `string at byte ${start} longer than ${MAX_STRING}`;
    out.push(latin1.decode(buf.subarray(start, end)));
    start = end + 1;
  }
  return out;
}

function parseOptions(strings: readonly string[], what: string): TftpOption[] | string {
  if (strings.length % 2 !== 0) {
    return `${what}: option ${JSON.stringify(strings[strings.length - 1])} has no value`;
  }
  const options: TftpOption[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < strings.length; i += 2) {
    const name = strings[i]!.toLowerCase();
    const value = strings[i + 1]!;
    if (name === "") return `${what}: empty option name`;
    if (seen.has(name)) return `${what}: option ${JSON.stringify(name)} given twice`;
    seen.add(name);
    options.push({ name, value });
  }
  return options;
}

function u16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

export function parsePacket(buf: Uint8Array): ParseResult {
  if (buf.length < 2) return fail(`datagram of ${buf.length} bytes is shorter than an opcode`);
  const opcode = u16(buf, 0);
  switch (opcode) {
    case Opcode.RRQ:
    case Opcode.WRQ: {
      const op = opcode === Opcode.RRQ ? "rrq" : "wrq";
      const strings = readStrings(buf, 2);
      if (typeof strings === "string") return fail(`${op}: ${strings}`);
      if (strings.length < 2) return fail(`${op}: needs a filename and a mode`);
      const [filename, rawMode, ...rest] = strings as [string, string, ...string[]];
      if (filename === "") return fail(`${op}: empty filename`);
      const mode = rawMode.toLowerCase();
      if (!MODES.has(mode)) return fail(`${op}: unknown mode ${JSON.stringify(rawMode)}`);
      const options = parseOptions(rest, op);
      if (typeof options === "string") return fail(options);
      return { ok: true, packet: { op, filename, mode, options } };
    }
    case Opcode.DATA:
      if (buf.length < 4) return fail(`data: ${buf.length} bytes, shorter than its header`);
      return { ok: true, packet: { op: "data", block: u16(buf, 2), data: buf.subarray(4) } };
    case Opcode.ACK:
      if (buf.length !== 4) return fail(`ack: ${buf.length} bytes, an ACK is exactly 4`);
      return { ok: true, packet: { op: "ack", block: u16(buf, 2) } };
    case Opcode.ERROR: {
      if (buf.length < 4) return fail(`error: ${buf.length} bytes, shorter than its header`);
      // Some clients omit the message's terminating NUL; the code alone is what matters.
      const end = buf.indexOf(0, 4);
      const message = latin1.decode(buf.subarray(4, end < 0 ? buf.length : end));
      return { ok: true, packet: { op: "error", code: u16(buf, 2), message } };
    }
    case Opcode.OACK: {
      const strings = readStrings(buf, 2);
      if (typeof strings === "string") return fail(`oack: ${strings}`);
      const options = parseOptions(strings, "oack");
      if (typeof options === "string") return fail(options);
      return { ok: true, packet: { op: "oack", options } };
    }
    default:
      return fail(`unknown opcode ${opcode}`);
  }
}

function header(opcode: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  buf.writeUInt16BE(opcode, 0);
  return buf;
}

function encodeStrings(opcode: number, strings: readonly string[]): Buffer {
  for (const s of strings) {
    if (s.includes("\0")) throw new RangeError(`TFTP string ${JSON.stringify(s)} contains NUL`);
  }
  const parts = strings.map((s) => Buffer.from(s, "latin1"));
  const buf = header(opcode, 2 + parts.reduce((n, p) => n + p.length + 1, 0));
  let at = 2;
  for (const p of parts) {
    p.copy(buf, at);
    at += p.length + 1;
  }
  return buf;
}

function optionStrings(options: readonly TftpOption[]): string[] {
  return options.flatMap((o) => [o.name, o.value]);
}

export function encodeRequest(
  op: "rrq" | "wrq",
  filename: string,
  mode = "octet",
  options: readonly TftpOption[] = [],
): Buffer {
  const code = op === "rrq" ? Opcode.RRQ : Opcode.WRQ;
  return encodeStrings(code, [filename, mode, ...optionStrings(options)]);
}

export function encodeOack(options: readonly TftpOption[]): Buffer {
  return encodeStrings(Opcode.OACK, optionStrings(options));
}

export function encodeData(block: number, data: Uint8Array): Buffer {
  const buf = header(Opcode.DATA, 4 + data.length);
  buf.writeUInt16BE(block & 0xffff, 2);
  buf.set(data, 4);
  return buf;
}

/** Writes a DATA header in place (the server lays blocks out with 4 bytes of room before each). */
export function writeDataHeader(buf: Uint8Array, at: number, block: number): void {
  buf[at] = 0;
  buf[at + 1] = Opcode.DATA;
  buf[at + 2] = (block >>> 8) & 0xff;
  buf[at + 3] = block & 0xff;
}

export function encodeAck(block: number): Buffer {
  const buf = header(Opcode.ACK, 4);
  buf.writeUInt16BE(block & 0xffff, 2);
  return buf;
}

export function encodeError(code: number, message: string): Buffer {
  // Error text is for humans; keep it ASCII and short enough for any MTU.
  const text = message.replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
  const buf = header(Opcode.ERROR, 4 + text.length + 1);
  buf.writeUInt16BE(code & 0xffff, 2);
  buf.write(text, 4, "latin1");
  return buf;
}
