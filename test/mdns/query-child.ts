/**
 * Not a test: run by advertise.test.ts inside the other namespace as
 * `node query-child.js --run LOCAL_ADDRESS NAME`. Two sockets:
 * - the asker, on an ephemeral port, sends a PTR question for NAME with a fresh random ID
 *   at start and whenever stdin gives a line (a legacy unicast query, RFC 6762 6.7: the
 *   responder answers it by unicast to this port, repeating the ID and the question). A
 *   reply is printed as `{"kind":"answer",...}` only if it carries an ID this querier sent
 *   and repeats its question; each query sent is printed as `asked ID`.
 * - the listener, on 5353 in the group, prints every response that mentions NAME as
 *   `{"kind":"multicast",...}`: announcements and goodbyes, which answer no one.
 * Exits when stdin closes or after 60 s.
 */
import { createSocket } from "node:dgram";
import { randomInt } from "node:crypto";
import { createInterface } from "node:readline";
import { decodeMessage, encodeQuery, TYPE, type DnsMessage } from "../support/dns-wire.js";

if (process.argv[2] === "--run") {
  const local = process.argv[3] ?? "0.0.0.0";
  const name = (process.argv[4] ?? "_landscaper._tcp.local").toLowerCase();
  const asked = new Set<number>();
  const related = (m: DnsMessage) =>
    (m.flags & 0x8000) !== 0 &&
    m.records.some(
      (r) => r.name.toLowerCase() === name || r.name.toLowerCase().endsWith("." + name),
    );
  const print = (kind: string, m: DnsMessage, from: string) =>
    process.stdout.write(JSON.stringify({ kind, from, ...m }) + "\n");
  const parse = (msg: Buffer): DnsMessage | null => {
    try {
      return decodeMessage(msg);
    } catch {
      return null; // not ours to judge
    }
  };

  const listener = createSocket({ type: "udp4", reuseAddr: true });
  listener.on("message", (msg, rinfo) => {
    const m = parse(msg);
    if (m && related(m)) print("multicast", m, rinfo.address);
  });
  const asker = createSocket({ type: "udp4" });
  asker.on("message", (msg, rinfo) => {
    const m = parse(msg);
    const repeatsQuestion = m?.questions.some(
      (q) => q.name.toLowerCase() === name && q.type === TYPE.PTR,
    );
    if (m && related(m) && asked.has(m.id) && repeatsQuestion) print("answer", m, rinfo.address);
  });
  const ask = () => {
    const id = randomInt(1, 0x10000);
    asked.add(id);
    asker.send(encodeQuery(name, TYPE.PTR, false, id), 5353, "224.0.0.251", (err) => {
      if (err) process.stderr.write(`query not sent: ${err.message}\n`);
      else process.stdout.write(`asked ${id}\n`);
    });
  };
  listener.bind(5353, () => {
    listener.addMembership("224.0.0.251", local);
    asker.bind(0, local, () => {
      asker.setMulticastInterface(local);
      process.stdout.write("ready\n");
      ask();
    });
  });
  createInterface({ input: process.stdin }).on("line", ask);
  process.stdin.on("end", () => process.exit(0));
  setTimeout(() => process.exit(0), 60_000).unref();
}
