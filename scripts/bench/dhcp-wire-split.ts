/**
 * Reads a capture taken on the client's side of a DHCP server benchmark (tcpdump -w, one
 * namespace pair, 1 exchange in flight) and splits every complete DORA, by xid, into what
 * the wire saw: DISCOVER->OFFER and REQUEST->ACK (the server's part), OFFER->REQUEST (the
 * load generator's) and DISCOVER->ACK (the whole). With a GC log (./gc-log.ts) of the
 * server, counts how many of the server segments over 1 ms overlapped a collection.
 * Prints one JSON line.
 *
 *   node dist/scripts/bench/dhcp-wire-split.js CAPTURE.pcap [GC_LOG]
 */
import { existsSync, readFileSync } from "node:fs";
import { parsePacket } from "../../src/dhcp/codec/packet.js";
import { messageType } from "../../src/dhcp/codec/options.js";

/** pcap (not pcapng), Ethernet, IPv4 without options, UDP: what tcpdump -w writes here. */
const UDP_PAYLOAD = 14 + 20 + 8;
const TYPES: Record<number, keyof Dora> = { 1: "d", 2: "o", 3: "r", 5: "a" };

interface Dora {
  d?: number;
  o?: number;
  r?: number;
  a?: number;
}

/** First time each message type of each xid was seen, in milliseconds. */
function readCapture(file: string): Map<number, Dora> {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`${file}: not a pcap file`);
  const nano = magic === 0xa1b23c4d;
  const byXid = new Map<number, Dora>();
  for (let off = 24; off + 16 <= b.length;) {
    const t = b.readUInt32LE(off) * 1e3 + b.readUInt32LE(off + 4) / (nano ? 1e6 : 1e3);
    const incl = b.readUInt32LE(off + 8);
    const p = off + 16;
    off = p + incl;
    if (incl <= UDP_PAYLOAD || off > b.length) continue;
    const parsed = parsePacket(b.subarray(p + UDP_PAYLOAD, p + incl));
    if (!parsed.ok) continue;
    const key = TYPES[messageType(parsed.packet) ?? 0];
    if (!key) continue;
    const xid = parsed.packet.xid;
    let e = byXid.get(xid);
    if (!e) byXid.set(xid, (e = {}));
    e[key] ??= t;
  }
  return byXid;
}

function quantiles(xs: number[]) {
  const v = [...xs].sort((a, b) => a - b);
  const q = (f: number) =>
    v.length ? Number(v[Math.min(v.length - 1, Math.floor(f * v.length))]!.toFixed(3)) : null;
  return { p50: q(0.5), p99: q(0.99), over1ms: v.filter((x) => x > 1).length };
}

const [file, gcFile] = process.argv.slice(2);
if (!file) throw new Error("usage: dhcp-wire-split.js CAPTURE.pcap [GC_LOG]");
const gcs =
  gcFile && existsSync(gcFile)
    ? readFileSync(gcFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(" ").map(Number) as [number, number, number])
    : null;
const server: number[] = [];
const discoverToOffer: number[] = [];
const requestToAck: number[] = [];
const client: number[] = [];
const whole: number[] = [];
let first = Infinity;
let last = 0;
let slow = 0;
let slowInGc = 0;
for (const e of readCapture(file).values()) {
  if (e.d === undefined || e.o === undefined || e.r === undefined || e.a === undefined) continue;
  discoverToOffer.push(e.o - e.d);
  requestToAck.push(e.a - e.r);
  client.push(e.r - e.o);
  server.push(e.o - e.d + (e.a - e.r));
  whole.push(e.a - e.d);
  first = Math.min(first, e.d);
  last = Math.max(last, e.a);
  for (const [from, to] of [
    [e.d, e.o],
    [e.r, e.a],
  ] as const) {
    if (to - from <= 1) continue;
    slow++;
    if (gcs?.some(([start, ms]) => start < to && start + ms > from)) slowInGc++;
  }
}
const inRun = gcs?.filter(([start]) => start >= first && start <= last) ?? [];
process.stdout.write(
  JSON.stringify({
    doras: whole.length,
    discoverToOffer: quantiles(discoverToOffer),
    requestToAck: quantiles(requestToAck),
    server: quantiles(server),
    client: quantiles(client),
    dora: quantiles(whole),
    serverSegmentsOver1ms: slow,
    ...(gcs
      ? {
          overlappingGc: slowInGc,
          gcs: inRun.length,
          gcMsP50: quantiles(inRun.map((g) => g[1])).p50,
          gcMsMax: inRun.length ? Math.max(...inRun.map((g) => g[1])) : null,
        }
      : {}),
  }) + "\n",
);
