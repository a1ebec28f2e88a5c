/**
 * The yardstick for `scripts/bench/tftp`: the least a Node TFTP server can do per block.
 * Whole files in memory with every DATA packet built in advance, one socket per transfer
 * connected to its client, blksize and windowsize and nothing else, no timers, no path
 * checks, no logging. Not a server to deploy (it trusts every name and never retransmits
 * on its own); what it measures is what Node's dgram costs per datagram, which no amount of
 * work in Landscaper's own code can get under.
 * Usage: node dist/scripts/bench/tftp-floor.js ROOT HOST PORT
 */
import { createSocket, type RemoteInfo } from "node:dgram";
import { readFileSync } from "node:fs";
import path from "node:path";

const [root = ".", host = "127.0.0.1", port = "0"] = process.argv.slice(2);

/** Every DATA packet of a file at one blksize. */
const built = new Map<string, Buffer[]>();

function packets(name: string, blksize: number): Buffer[] {
  const key = `${name}/${blksize}`;
  let list = built.get(key);
  if (list) return list;
  const data = readFileSync(path.join(root, name));
  list = [];
  for (let n = 1; n <= Math.floor(data.length / blksize) + 1; n++) {
    const chunk = data.subarray((n - 1) * blksize, n * blksize);
    const p = Buffer.alloc(4 + chunk.length);
    p.writeUInt16BE(3, 0);
    p.writeUInt16BE(n & 0xffff, 2);
    chunk.copy(p, 4);
    list.push(p);
  }
  built.set(key, list);
  return list;
}

function serve(msg: Buffer, client: RemoteInfo): void {
  const fields = msg.subarray(2).toString("latin1").split("\0");
  const options = new Map<string, number>();
  for (let i = 2; i + 1 < fields.length; i += 2) {
    options.set(fields[i]!.toLowerCase(), Number(fields[i + 1]));
  }
  const blksize = Math.min(options.get("blksize") ?? 512, 1468);
  const window = Math.min(options.get("windowsize") ?? 1, 64);
  const list = packets(fields[0]!.replace(/^\//, ""), blksize);
  const oack: string[] = [];
  if (options.has("blksize")) oack.push("blksize", String(blksize));
  if (options.has("windowsize")) oack.push("windowsize", String(window));
  const socket = createSocket("udp4");
  let acked = oack.length > 0 ? -1 : 0;
  const pump = () => {
    for (let n = acked + 1; n <= Math.min(acked + window, list.length); n++) {
      socket.send(list[n - 1]!);
    }
  };
  socket.on("message", (m) => {
    if (m.length !== 4 || m[1] !== 4) return;
    const wire = (m[2]! << 8) | m[3]!;
    const block = acked < 0 ? wire : acked + ((wire - acked) & 0xffff);
    if (block === list.length) return socket.close();
    // A repeated ACK asks for what follows it again; a new one slides the window.
    if (block === acked && window === 1) return;
    acked = block;
    pump();
  });
  socket.bind(0, host, () =>
    socket.connect(client.port, client.address, () => {
      if (oack.length > 0) socket.send(Buffer.from(`\0\x06${oack.join("\0")}\0`, "latin1"));
      else pump();
    }),
  );
}

const listener = createSocket("udp4");
listener.on("message", (msg, client) => {
  if (msg.readUInt16BE(0) === 1) serve(msg, client);
});
listener.bind(Number(port), host, () => {
  process.stdout.write(`${JSON.stringify({ port: listener.address().port })}\n`);
});
process.once("SIGTERM", () => process.exit(0));
