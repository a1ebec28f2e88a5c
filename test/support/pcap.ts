/**
 * A minimal capture reader for the firmware captures in test/fixtures/pcap: classic pcap
 * (24-byte global header, 16-byte record headers) and pcapng (what tshark/dumpcap write;
 * the fixtures are pcapng), Ethernet or Linux cooked frames, IPv4/UDP only.
 */
import { readFileSync } from "node:fs";

export interface UdpDatagram {
  /** 1-based frame number, as tshark counts. */
  readonly index: number;
  readonly srcIp: string;
  readonly dstIp: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Buffer;
}

const ip = (b: Buffer, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

const LINK_ETHERNET = 1;
const LINK_SLL = 113;
const LINK_SLL2 = 276;

/** Offset of the IPv4 header in a frame, or null when the frame is not IPv4. */
function ipv4Offset(frame: Buffer, linktype: number): number | null {
  if (linktype === LINK_ETHERNET) {
    if (frame.length < 14) return null;
    let off = 12;
    let type = frame.readUInt16BE(off);
    if (type === 0x8100 && frame.length >= 18) {
      off += 4;
      type = frame.readUInt16BE(off);
    }
    return type === 0x0800 ? off + 2 : null;
  }
  if (linktype === LINK_SLL)
    return frame.length >= 16 && frame.readUInt16BE(14) === 0x0800 ? 16 : null;
  if (linktype === LINK_SLL2)
    return frame.length >= 20 && frame.readUInt16BE(0) === 0x0800 ? 20 : null;
  throw new Error(`unsupported link type ${linktype}`);
}

function udpOf(frame: Buffer, linktype: number, index: number): UdpDatagram | null {
  const o = ipv4Offset(frame, linktype);
  if (o === null || frame.length < o + 28) return null;
  if (frame[o + 9] !== 17) return null;
  const udp = o + (frame[o]! & 0x0f) * 4;
  const udpLen = frame.readUInt16BE(udp + 4);
  return {
    index,
    srcIp: ip(frame, o + 12),
    dstIp: ip(frame, o + 16),
    srcPort: frame.readUInt16BE(udp),
    dstPort: frame.readUInt16BE(udp + 2),
    payload: Buffer.from(frame.subarray(udp + 8, udp + udpLen)),
  };
}

function readClassic(f: Buffer, le: boolean): UdpDatagram[] {
  const u32 = (o: number) => (le ? f.readUInt32LE(o) : f.readUInt32BE(o));
  const linktype = u32(20);
  const out: UdpDatagram[] = [];
  let off = 24;
  let index = 0;
  while (off + 16 <= f.length) {
    const incl = u32(off + 8);
    const frame = f.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const d = udpOf(frame, linktype, ++index);
    if (d) out.push(d);
  }
  return out;
}

function readNg(f: Buffer): UdpDatagram[] {
  let le = true;
  const linktypes: number[] = [];
  const out: UdpDatagram[] = [];
  let off = 0;
  let index = 0;
  while (off + 12 <= f.length) {
    const type = f.readUInt32LE(off);
    if (type === 0x0a0d0d0a) {
      le = f.readUInt32LE(off + 8) === 0x1a2b3c4d;
      linktypes.length = 0;
    }
    const u32 = (o: number) => (le ? f.readUInt32LE(o) : f.readUInt32BE(o));
    const u16 = (o: number) => (le ? f.readUInt16LE(o) : f.readUInt16BE(o));
    const len = u32(off + 4);
    if (len < 12 || off + len > f.length) throw new Error(`pcapng: bad block length at ${off}`);
    const blockType = u32(off);
    if (blockType === 1) linktypes.push(u16(off + 8));
    else if (blockType === 6) {
      const iface = u32(off + 8);
      const caplen = u32(off + 20);
      const frame = f.subarray(off + 28, off + 28 + caplen);
      const d = udpOf(frame, linktypes[iface] ?? LINK_ETHERNET, ++index);
      if (d) out.push(d);
    } else if (blockType === 3) {
      const frame = f.subarray(off + 12, off + len - 4);
      const d = udpOf(frame, linktypes[0] ?? LINK_ETHERNET, ++index);
      if (d) out.push(d);
    }
    off += len;
  }
  return out;
}

export function readPcapUdp(path: string): UdpDatagram[] {
  const f = readFileSync(path);
  if (f.length < 24) throw new Error(`${path}: too short for a capture file`);
  const magic = f.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) return readNg(f);
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) return readClassic(f, true);
  if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) return readClassic(f, false);
  throw new Error(`${path}: neither pcap nor pcapng`);
}
