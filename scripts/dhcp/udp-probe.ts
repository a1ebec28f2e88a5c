/**
 * A scripted DHCP peer for the namespace tests: binds one UDP socket, sends the given
 * datagrams, collects what comes back for a bounded time, prints it as one JSON line.
 * Usage: node dist/scripts/dhcp/udp-probe.js '{"bind":{"address":"0.0.0.0","port":68},
 *   "sends":[{"to":"255.255.255.255","port":67,"hex":"..."}],"waitMs":800}'
 */
import dgram from "node:dgram";

interface Args {
  bind: { address: string; port: number };
  sends: Array<{ to: string; port: number; hex: string }>;
  waitMs: number;
  /** Stop as soon as this many datagrams came back. */
  stopAfter?: number;
}

const args = JSON.parse(process.argv[2] ?? "{}") as Args;
const replies: Array<{ from: string; port: number; hex: string }> = [];
const errors: string[] = [];
const s = dgram.createSocket({ type: "udp4", reuseAddr: true });
const done = () => {
  process.stdout.write(JSON.stringify({ replies, errors }) + "\n");
  s.close();
};
const timer = setTimeout(done, Math.min(args.waitMs, 30_000));
s.on("message", (msg, from) => {
  replies.push({ from: from.address, port: from.port, hex: msg.toString("hex") });
  if (args.stopAfter !== undefined && replies.length >= args.stopAfter) {
    clearTimeout(timer);
    done();
  }
});
s.bind(args.bind.port, args.bind.address, () => {
  s.setBroadcast(true);
  for (const m of args.sends) {
    s.send(Buffer.from(m.hex, "hex"), m.port, m.to, (err) => {
      if (err) errors.push(err.message);
    });
  }
});
