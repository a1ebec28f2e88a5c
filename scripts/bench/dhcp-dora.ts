/**
 * Load generator for scripts/bench/dhcp-server and the server-mode tests: full DHCP
 * exchanges (DISCOVER -> OFFER -> REQUEST -> ACK) from distinct MACs, with a fixed number
 * in flight for `seconds`, or `count` exchanges, or a storm of `storm` clients at once.
 * Requests carry the broadcast flag and go to 255.255.255.255:67; replies are read on
 * port 68. Bounded in count and time. Prints one JSON line.
 *
 *   node dist/scripts/bench/dhcp-dora.js '{"depth":16,"seconds":3,"macCount":10000}'
 */
import dgram from "node:dgram";
import { performance } from "node:perf_hooks";
import { parsePacket } from "../../src/dhcp/codec/packet.js";
import { MSG, messageType, serverId } from "../../src/dhcp/codec/options.js";
import { clientMessage } from "../dhcp/client-packets.js";

interface Args {
  depth?: number;
  seconds?: number;
  /** Stop after this many exchanges (instead of, or as well as, `seconds`). */
  count?: number;
  storm?: number;
  /** First client MAC; exchange i uses base + (i mod macCount). */
  macBase?: string;
  macCount?: number;
  /** An exchange without its ACK after this long is lost (and, in rate mode, replaced). */
  timeoutMs?: number;
  /** Print every [mac, ip] acknowledged (tests). */
  printAcks?: boolean;
}

const a = JSON.parse(process.argv[2] ?? "{}") as Args;
const macBase = BigInt("0x" + (a.macBase ?? "02:d0:00:00:00:00").replace(/:/g, ""));
const macCount = a.macCount ?? 10_000;
const timeoutMs = a.timeoutMs ?? 1000;
const MAX = 2_000_000;

interface Exchange {
  mac: string;
  start: number;
  offered: boolean;
  timer: NodeJS.Timeout;
}
const live = new Map<number, Exchange>();
const latencies: number[] = [];
const acks: Array<[string, string]> = [];
let started = 0;
let answered = 0;
let lost = 0;
let naks = 0;
let xidSeq = ((process.pid & 0x7f) << 24) >>> 0;
let stopping = false;

const sock = dgram.createSocket({ type: "udp4", reuseAddr: true });
const macAt = (i: number) =>
  (macBase + BigInt(i % macCount))
    .toString(16)
    .padStart(12, "0")
    .replace(/(..)(?!$)/g, "$1:");
const send = (b: Buffer) => sock.send(b, 67, "255.255.255.255");

function begin(): void {
  if (stopping || started >= MAX || (a.count !== undefined && started >= a.count)) return;
  const xid = (xidSeq = (xidSeq + 1) >>> 0);
  const mac = macAt(started++);
  const ex: Exchange = {
    mac,
    start: performance.now(),
    offered: false,
    timer: setTimeout(() => {
      live.delete(xid);
      lost++;
      if (a.storm === undefined) begin();
      else maybeDone();
    }, timeoutMs),
  };
  live.set(xid, ex);
  send(clientMessage({ type: MSG.DISCOVER, mac, xid, broadcast: true }));
}

sock.on("message", (msg) => {
  const p = parsePacket(msg);
  if (!p.ok || p.packet.op !== 2) return;
  const ex = live.get(p.packet.xid);
  if (!ex) return;
  const type = messageType(p.packet);
  if (type === MSG.OFFER && !ex.offered) {
    ex.offered = true;
    send(
      clientMessage({
        type: MSG.REQUEST,
        mac: ex.mac,
        xid: p.packet.xid,
        broadcast: true,
        requested: p.packet.yiaddr,
        serverId: serverId(p.packet) ?? undefined,
      }),
    );
  } else if (type === MSG.ACK || type === MSG.NAK) {
    clearTimeout(ex.timer);
    live.delete(p.packet.xid);
    if (type === MSG.ACK) {
      answered++;
      latencies.push(performance.now() - ex.start);
      if (a.printAcks) acks.push([ex.mac, p.packet.yiaddr]);
    } else naks++;
    if (a.storm === undefined) begin();
    else maybeDone();
  }
});

let t0 = 0;
let deadline: NodeJS.Timeout | undefined;
function finish(): void {
  if (stopping) return;
  stopping = true;
  clearTimeout(deadline);
  for (const ex of live.values()) clearTimeout(ex.timer);
  const secs = (performance.now() - t0) / 1000;
  latencies.sort((x, y) => x - y);
  const q = (f: number) =>
    latencies.length
      ? Number(
          latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))]!.toFixed(2),
        )
      : null;
  const result: Record<string, unknown> = {
    depth: a.depth ?? null,
    storm: a.storm ?? null,
    sent: started,
    answered,
    naks,
    lost: a.storm === undefined ? lost : started - answered - naks,
    seconds: Number(secs.toFixed(3)),
    rate: Math.round(answered / secs),
    p50ms: q(0.5),
    p90ms: q(0.9),
    p99ms: q(0.99),
    p999ms: q(0.999),
  };
  if (a.printAcks) result.acks = acks;
  process.stdout.write(JSON.stringify(result) + "\n");
  sock.close();
}

function maybeDone(): void {
  if (live.size === 0 && (a.storm !== undefined || (a.count !== undefined && started >= a.count)))
    finish();
}

sock.bind(68, () => {
  sock.setBroadcast(true);
  try {
    sock.setRecvBufferSize(8 * 1024 * 1024);
  } catch {
    // capped by rmem_max
  }
  t0 = performance.now();
  if (a.storm !== undefined) {
    for (let i = 0; i < Math.min(a.storm, 100_000); i++) begin();
    deadline = setTimeout(finish, timeoutMs + 1000);
    return;
  }
  for (let i = 0; i < (a.depth ?? 1); i++) begin();
  deadline = setTimeout(finish, Math.min(a.seconds ?? 60, 600) * 1000);
});
