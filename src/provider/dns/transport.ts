import { createSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { connect } from "node:net";

/**
 * Sending one DNS message to a server and getting its answer: UDP first, TCP when the
 * answer comes back truncated (RFC 1035 4.2.1, RFC 7766) or is too big to send by UDP.
 * Owns the sockets and timers; knows nothing of what the bytes mean beyond the header.
 */

export interface ServerAddress {
  host: string;
  port: number;
}

export function serverText(s: ServerAddress): string {
  return s.host.includes(":") ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}

/** No answer in time; retried by the caller. */
export class DnsTimeoutError extends Error {
  override name = "DnsTimeoutError";
}

const UDP_LIMIT = 512;
const TCP_LIMIT = 65535;

function udp(address: string, family: number, port: number, msg: Buffer, timeoutMs: number) {
  return new Promise<Buffer>((resolve, reject) => {
    const sock = createSocket(family === 6 ? "udp6" : "udp4");
    const id = msg.readUInt16BE(0);
    const done = (f: () => void): void => {
      clearTimeout(timer);
      sock.close();
      f();
    };
    const timer = setTimeout(
      () => done(() => reject(new DnsTimeoutError(`no UDP answer within ${timeoutMs} ms`))),
      timeoutMs,
    );
    sock.on("error", (e) => done(() => reject(e)));
    sock.on("message", (data, rinfo) => {
      // Anything not from the server, or not answering this ID, is someone else's.
      if (rinfo.port !== port || rinfo.address !== address) return;
      if (data.length < 12 || data.readUInt16BE(0) !== id || (data[2] as number) < 0x80) return;
      done(() => resolve(data));
    });
    sock.send(msg, port, address);
  });
}

function tcp(address: string, port: number, msg: Buffer, timeoutMs: number) {
  return new Promise<Buffer>((resolve, reject) => {
    const sock = connect({ host: address, port });
    let got = Buffer.alloc(0);
    const done = (f: () => void): void => {
      clearTimeout(timer);
      sock.destroy();
      f();
    };
    const timer = setTimeout(
      () => done(() => reject(new DnsTimeoutError(`no TCP answer within ${timeoutMs} ms`))),
      timeoutMs,
    );
    sock.on("error", (e) => done(() => reject(e)));
    sock.on("connect", () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      sock.write(Buffer.concat([len, msg]));
    });
    sock.on("data", (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length < 2) return;
      const n = got.readUInt16BE(0);
      if (got.length >= 2 + n) done(() => resolve(got.subarray(2, 2 + n)));
    });
    sock.on("end", () =>
      done(() => reject(new Error("the server closed the TCP connection without an answer"))),
    );
  });
}

/** One exchange, bounded by `timeoutMs` per transport. */
export async function exchange(
  server: ServerAddress,
  msg: Buffer,
  timeoutMs: number,
): Promise<Buffer> {
  if (msg.length > TCP_LIMIT) throw new Error(`message of ${msg.length} bytes is too big`);
  const { address, family } = await lookup(server.host);
  if (msg.length <= UDP_LIMIT) {
    const answer = await udp(address, family, server.port, msg, timeoutMs);
    if (((answer[2] as number) & 0x02) === 0) return answer; // TC clear
  }
  return tcp(address, server.port, msg, timeoutMs);
}
