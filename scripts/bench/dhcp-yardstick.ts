/**
 * Node's own floor for the DHCP server benchmark: a bare node:dgram server on 67 that
 * answers every DISCOVER with an OFFER and every REQUEST with an ACK, broadcast to 68,
 * with no parse beyond finding option 53, no lease table, no journal, no registry. The
 * offered address is taken from the client's MAC, so a REQUEST needs no state. What
 * Landscaper's server mode adds to a DORA is measured against this, beside Kea.
 *
 *   node dist/scripts/bench/dhcp-yardstick.js '{"address":"10.92.0.1"}'
 */
import dgram from "node:dgram";

interface Args {
  /** The server's address: option 54 of every reply. */
  address: string;
}
const a = JSON.parse(process.argv[2] ?? "{}") as Args;
const server = Buffer.from(a.address.split(".").map(Number));
const DISCOVER = 1;
const REQUEST = 3;

/** Option 53's value, walking the options field only; 0 when absent or malformed. */
function messageType(m: Buffer): number {
  for (let i = 240; i + 1 < m.length;) {
    const code = m[i]!;
    if (code === 0) {
      i++;
      continue;
    }
    if (code === 255) return 0;
    const len = m[i + 1]!;
    if (code === 53 && len === 1 && i + 2 < m.length) return m[i + 2]!;
    i += 2 + len;
  }
  return 0;
}

const sock = dgram.createSocket({ type: "udp4", reuseAddr: true });
// Replies leave from a socket bound to the address, so the kernel sends a limited
// broadcast out of the interface that owns it (as Landscaper's server does).
const tx = dgram.createSocket({ type: "udp4", reuseAddr: true });
sock.on("message", (m) => {
  if (m.length < 244 || m[0] !== 1 || m.readUInt32BE(236) !== 0x63825363) return;
  const type = messageType(m);
  if (type !== DISCOVER && type !== REQUEST) return;
  const r = Buffer.alloc(300);
  r.set([2, 1, 6], 0);
  m.copy(r, 4, 4, 8); // xid
  r.writeUInt16BE(0x8000, 10); // broadcast
  // yiaddr 10.(mac[3]).(mac[4]).(mac[5]), never .0 or .255
  r.set([10, m[31]!, m[32]!, (m[33]! % 253) + 1], 16);
  m.copy(r, 28, 28, 44); // chaddr
  r.writeUInt32BE(0x63825363, 236);
  r.set([53, 1, type === DISCOVER ? 2 : 5, 54, 4, ...server, 51, 4, 0, 0, 0x0e, 0x10, 255], 240);
  tx.send(r, 68, "255.255.255.255");
});
sock.bind(67, () =>
  tx.bind(67, a.address, () => {
    tx.setBroadcast(true);
    process.stdout.write("ready\n");
  }),
);
process.once("SIGTERM", () => {
  sock.close();
  tx.close();
});
