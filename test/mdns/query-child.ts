/**
 * Not a test: run by advertise.test.ts inside the other namespace as
 * `node query-child.js --run LOCAL_ADDRESS NAME`. Joins the mDNS group on LOCAL_ADDRESS,
 * sends a PTR question for NAME at start and whenever stdin gives a line, and prints every
 * message that mentions NAME as one JSON line. Exits when stdin closes or after 60 s.
 */
import { createSocket } from "node:dgram";
import { createInterface } from "node:readline";
import { decodeMessage, encodeQuery, TYPE } from "../support/dns-wire.js";

if (process.argv[2] === "--run") {
  const local = process.argv[3] ?? "0.0.0.0";
  const name = (process.argv[4] ?? "_landscaper._tcp.local").toLowerCase();
  const sock = createSocket({ type: "udp4", reuseAddr: true });
  sock.on("message", (msg, rinfo) => {
    try {
      const m = decodeMessage(msg);
      const related = m.records.some(
        (r) => r.name.toLowerCase() === name || r.name.toLowerCase().endsWith("." + name),
      );
      if ((m.flags & 0x8000) !== 0 && related)
        process.stdout.write(JSON.stringify({ from: rinfo.address, ...m }) + "\n");
    } catch {
      /* not ours to judge */
    }
  });
  const ask = () => sock.send(encodeQuery(name, TYPE.PTR), 5353, "224.0.0.251");
  sock.bind(5353, () => {
    sock.addMembership("224.0.0.251", local);
    sock.setMulticastInterface(local);
    sock.setMulticastTTL(255);
    process.stdout.write("ready\n");
    ask();
  });
  createInterface({ input: process.stdin }).on("line", ask);
  process.stdin.on("end", () => process.exit(0));
  setTimeout(() => process.exit(0), 60_000).unref();
}
