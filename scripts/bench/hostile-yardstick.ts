/**
 * Node's own ceiling for the hostile-LAN benchmark: a bare node:dgram receiver on 67 and
 * 4011, with the same 4 MiB receive buffer as Landscaper, that does the least a server can.
 * "count" only counts the datagrams it is handed; "answer" also answers the benchmark
 * client's packets (its MAC at chaddr, op 1, the cookie) with a fixed reply carrying their
 * xid: an OFFER broadcast to 68 for port 67, an ACK back to the sender for 4011. No parse,
 * no registry, no metrics: what is left is Node's receive path, the yardstick Landscaper
 * is measured against. It also answers any HTTP GET on port 80 with a 3-byte body, so the
 * client's HTTP probe shows Node's own latency floor under the same flood. Prints one JSON
 * line of counts when sent SIGTERM.
 *
 *   node dist/scripts/bench/hostile-yardstick.js '{"mode":"answer","address":"10.98.7.1"}'
 */
import dgram from "node:dgram";
import http from "node:http";

interface Args {
  mode: "count" | "answer";
  /** The server address (siaddr of the fixed reply). */
  address: string;
  /** The benchmark client's MAC (hostile-client.ts's default). */
  mac?: string;
  recvBufferSize?: number;
}
const a = JSON.parse(process.argv[2] ?? "{}") as Args;
const mac = Buffer.from((a.mac ?? "02:be:ee:00:00:01").replace(/:/g, ""), "hex");
// Landscaper's DHCP sockets ask for the same (src/dhcp/server/server.ts).
const rcvbuf = a.recvBufferSize ?? 16 * 1024 * 1024;

/** A 300-byte BOOTP reply with option 53 first (what the client reads), then END. */
function reply(type: number): Buffer {
  const b = Buffer.alloc(300);
  b[0] = 2;
  b[1] = 1;
  b[2] = 6;
  Buffer.from(a.address.split(".").map(Number)).copy(b, 20);
  mac.copy(b, 28);
  b.writeUInt32BE(0x63825363, 236);
  b.set([53, 1, type, 255], 240);
  return b;
}
const offer = reply(2);
const ack = reply(5);

const counts = { received: 0, bytes: 0, answered: 0 };
const isClient = (m: Buffer) =>
  m.length >= 244 &&
  m[0] === 1 &&
  m.readUInt32BE(236) === 0x63825363 &&
  m.compare(mac, 0, 6, 28, 34) === 0;

async function open(
  port: number,
  onMessage: (m: Buffer, r: dgram.RemoteInfo) => void,
  address = "0.0.0.0",
) {
  const s = dgram.createSocket({ type: "udp4", reuseAddr: true });
  await new Promise<void>((r) => s.bind(port, address, r));
  s.setBroadcast(true);
  s.setRecvBufferSize(rcvbuf);
  s.on("message", (m, r) => {
    counts.received++;
    counts.bytes += m.length;
    onMessage(m, r);
  });
  return s;
}

const answer = a.mode === "answer";
// As in Landscaper's sockets.ts: a broadcast leaves through the interface that owns the
// address the sending socket is bound to (the namespace has no default route).
const sender67 = await open(67, () => undefined, a.address);
const on67 = await open(67, (m) => {
  if (!answer || !isClient(m)) return;
  m.copy(offer, 4, 4, 8);
  counts.answered++;
  sender67.send(offer, 68, "255.255.255.255");
});
const on4011: dgram.Socket = await open(4011, (m, r) => {
  if (!answer || !isClient(m)) return;
  m.copy(ack, 4, 4, 8);
  counts.answered++;
  on4011.send(ack, r.port, r.address);
});

const web = http.createServer((_req, res) => res.end("ok\n"));
await new Promise<void>((r) => web.listen(80, a.address, r));

process.on("SIGTERM", () => {
  process.stdout.write(JSON.stringify(counts) + "\n");
  for (const s of [on67, sender67, on4011]) s.close();
  web.close();
  web.closeAllConnections();
});
process.stdout.write("ready\n");
