/**
 * The legitimate side of the hostile-LAN benchmark: an EDK2-style PXE client that, every
 * `intervalMs`, runs a full exchange (DISCOVER broadcast to 67 -> OFFER, then REQUEST to
 * the server's 4011 -> ACK), and optionally probes the server's HTTP and control socket
 * every 50 ms. An exchange not finished within `timeoutMs` is unanswered. Prints one JSON
 * line: fraction answered, p50/p99 of the exchanges, and of the probes.
 *
 *   node dist/scripts/bench/hostile-client.js '{"server":"10.98.3.1","client":"10.98.3.2",
 *     "seconds":30,"http":"http://10.98.3.1/","control":"/tmp/x/control.sock"}'
 */
import dgram from "node:dgram";
import http from "node:http";
import { performance } from "node:perf_hooks";
import { edk2Request } from "./edk2-request.js";

interface Args {
  server: string;
  client: string;
  seconds: number;
  intervalMs?: number;
  timeoutMs?: number;
  /** Client MAC (the server must answer it). */
  mac?: string;
  http?: string;
  control?: string;
}
const a = JSON.parse(process.argv[2] ?? "{}") as Args;
const seconds = Math.min(Math.max(a.seconds, 0.5), 120);
const intervalMs = a.intervalMs ?? 200;
const timeoutMs = a.timeoutMs ?? 1000;
const mac = Buffer.from((a.mac ?? "02:be:ee:00:00:01").replace(/:/g, ""), "hex");

const discover = edk2Request("discover", a.client);
const request = edk2Request("proxy", a.client);
for (const t of [discover, request]) mac.copy(t, 28);

const on68 = dgram.createSocket({ type: "udp4", reuseAddr: true });
const on4011 = dgram.createSocket({ type: "udp4", reuseAddr: true });
await new Promise<void>((r) => on68.bind(68, "0.0.0.0", r));
await new Promise<void>((r) => on4011.bind(4011, a.client, r));
on68.setBroadcast(true);
for (const s of [on68, on4011]) s.setRecvBufferSize(4 * 1024 * 1024);

/** Waiters by xid: the reply type each exchange waits for now. */
const waiting = new Map<number, (type: number) => void>();
const onReply = (msg: Buffer) => {
  if (msg.length < 244 || msg[0] !== 2) return;
  const w = waiting.get(msg.readUInt32BE(4));
  if (!w) return;
  // Option 53 is what both servers put first; a full parse is not needed to tell it.
  const i = msg.indexOf(Buffer.from([53, 1]), 240);
  if (i > 0) w(msg[i + 2]!);
};
on68.on("message", onReply);
on4011.on("message", onReply);

let xidSeq = (process.pid & 0xff) << 24;
function ask(template: Buffer, port: number, dst: string, want: number, via: dgram.Socket) {
  const xid = (xidSeq = (xidSeq + 1) >>> 0);
  const b = Buffer.from(template);
  b.writeUInt32BE(xid, 4);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      waiting.delete(xid);
      resolve(false);
    }, timeoutMs);
    waiting.set(xid, (type) => {
      if (type !== want) return;
      clearTimeout(timer);
      waiting.delete(xid);
      resolve(true);
    });
    via.send(b, port, dst);
  });
}

const exchanges: number[] = [];
let tried = 0;
async function exchange(): Promise<void> {
  tried++;
  const t0 = performance.now();
  if (!(await ask(discover, 67, "255.255.255.255", 2, on68))) return;
  if (!(await ask(request, 4011, a.server, 5, on4011))) return;
  exchanges.push(performance.now() - t0);
}

/** One HTTP GET (over TCP, or the control socket's Unix path); its latency or null. */
function probe(opts: http.RequestOptions): Promise<number | null> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get({ ...opts, timeout: 2000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(performance.now() - t0));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(null));
  });
}

const probes = { http: [] as number[], control: [] as number[], failed: 0 };
async function probeLoop(kind: "http" | "control", opts: http.RequestOptions, until: number) {
  while (performance.now() < until) {
    const ms = await probe(opts);
    if (ms === null) probes.failed++;
    else probes[kind].push(ms);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const start = performance.now();
const until = start + seconds * 1000;
const loops: Promise<void>[] = [];
if (a.http) {
  const u = new URL(a.http);
  loops.push(probeLoop("http", { host: u.hostname, port: u.port || 80, path: u.pathname }, until));
}
if (a.control)
  loops.push(probeLoop("control", { socketPath: a.control, path: "/v1/health" }, until));
const running: Promise<void>[] = [];
while (performance.now() < until) {
  running.push(exchange());
  await new Promise((r) => setTimeout(r, intervalMs));
}
await Promise.all([...running, ...loops]);
on68.close();
on4011.close();

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(2) : null;
};
process.stdout.write(
  JSON.stringify({
    tried,
    answered: exchanges.length,
    fraction: +(exchanges.length / Math.max(1, tried)).toFixed(3),
    p50ms: pct(exchanges, 50),
    p99ms: pct(exchanges, 99),
    http: a.http
      ? { n: probes.http.length, p50ms: pct(probes.http, 50), p99ms: pct(probes.http, 99) }
      : null,
    control: a.control
      ? { n: probes.control.length, p50ms: pct(probes.control, 50), p99ms: pct(probes.control, 99) }
      : null,
    probeFailures: probes.failed,
  }) + "\n",
);
