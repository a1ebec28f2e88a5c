/**
 * Load generator for scripts/bench/dhcp: EDK2-like PXE DISCOVERs (answered by an OFFER) or
 * port-4011 REQUESTs (answered by an ACK), with a fixed number in flight, or a storm of
 * distinct clients all at once. Bounded in count and time. Prints one JSON line.
 *
 *   node dist/scripts/bench/dhcp-load.js '{"server":"10.98.0.1","client":"10.98.0.2",
 *     "mode":"discover","depth":16,"seconds":3}'
 *   ... '{"server":..., "client":..., "mode":"discover","storm":2000}'
 */
import dgram from "node:dgram";
import { performance } from "node:perf_hooks";
import { edk2Request } from "./edk2-request.js";

interface Args {
  server: string;
  client: string;
  mode: "discover" | "proxy";
  depth?: number;
  seconds?: number;
  storm?: number;
  /** First client MAC; the server must know `macCount` MACs counting up from it. */
  macBase?: string;
  macCount?: number;
  /** A request unanswered after this long is lost (and, in rate mode, replaced). */
  timeoutMs?: number;
}

const a = JSON.parse(process.argv[2] ?? "{}") as Args;
const macBase = BigInt("0x" + (a.macBase ?? "02:be:00:00:00:00").replace(/:/g, ""));
const macCount = a.macCount ?? 2048;
const timeoutMs = a.timeoutMs ?? 500;
const MAX_REQUESTS = 2_000_000;

const template = edk2Request(a.mode, a.client);

const sock = dgram.createSocket({ type: "udp4", reuseAddr: true });
const dstPort = a.mode === "discover" ? 67 : 4011;
const dst = a.mode === "discover" ? "255.255.255.255" : a.server;
const sentAt = new Map<number, number>();
const latencies = new Float64Array(MAX_REQUESTS);
let answered = 0;
let sent = 0;
let lost = 0;
let xidSeq = (process.pid & 0xff) << 24;

function send(): void {
  if (sent >= MAX_REQUESTS) return;
  const buf = Buffer.from(template);
  const xid = (xidSeq = (xidSeq + 1) >>> 0);
  buf.writeUInt32BE(xid, 4);
  const mac = macBase + BigInt(sent % macCount);
  for (let k = 0; k < 6; k++) buf[28 + k] = Number((mac >> BigInt(8 * (5 - k))) & 0xffn);
  sentAt.set(xid, performance.now());
  sent++;
  sock.send(buf, dstPort, dst);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  await new Promise<void>((r) =>
    sock.bind(a.mode === "discover" ? 68 : 4011, a.mode === "discover" ? "0.0.0.0" : a.client, r),
  );
  sock.setBroadcast(true);
  sock.setRecvBufferSize(4 * 1024 * 1024);
  let running = true;
  let onAnswer = () => {};
  sock.on("message", (msg) => {
    if (msg.length < 240 || msg[0] !== 2) return;
    const xid = msg.readUInt32BE(4);
    const t0 = sentAt.get(xid);
    if (t0 === undefined) return;
    sentAt.delete(xid);
    if (answered < MAX_REQUESTS) latencies[answered] = performance.now() - t0;
    answered++;
    onAnswer();
  });

  const start = performance.now();
  let elapsed: number;
  let answeredInTime: number;
  if (a.storm) {
    const n = Math.min(a.storm, macCount);
    for (let i = 0; i < n; i++) send();
    const deadline = start + 10_000;
    while (answered < n && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    // Give stragglers the timeout, then count the rest as lost.
    await new Promise((r) => setTimeout(r, timeoutMs));
    elapsed = performance.now() - start;
    answeredInTime = answered;
    lost = sentAt.size;
  } else {
    const depth = a.depth ?? 1;
    const seconds = Math.min(a.seconds ?? 3, 60);
    onAnswer = () => {
      if (running) send();
    };
    for (let i = 0; i < depth; i++) send();
    const reaper = setInterval(() => {
      const now = performance.now();
      for (const [xid, t0] of sentAt) {
        if (now - t0 > timeoutMs) {
          sentAt.delete(xid);
          lost++;
          if (running) send();
        }
      }
    }, 50);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    running = false;
    elapsed = performance.now() - start;
    answeredInTime = answered;
    clearInterval(reaper);
    await new Promise((r) => setTimeout(r, timeoutMs));
    lost += sentAt.size;
  }
  const n = Math.min(answered, MAX_REQUESTS);
  const sorted = latencies.slice(0, n).sort();
  process.stdout.write(
    JSON.stringify({
      mode: a.mode,
      depth: a.depth ?? null,
      storm: a.storm ?? null,
      sent,
      answered,
      lost,
      rate: Math.round((answeredInTime / elapsed) * 1000),
      p50ms: +percentile(sorted, 50).toFixed(3),
      p99ms: +percentile(sorted, 99).toFixed(3),
      maxms: +(sorted[n - 1] ?? NaN).toFixed(3),
      seconds: +(elapsed / 1000).toFixed(2),
    }) + "\n",
  );
  sock.close();
}

await main();
