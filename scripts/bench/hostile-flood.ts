/**
 * A hostile LAN host: sends mutated real-firmware DHCP packets (the captures in
 * test/fixtures/pcap: byte flips, truncation, length lies, repeated options, 64 KiB
 * datagrams, worst-case shapes) as fast as one socket goes, to ports 67 (broadcast) and
 * 4011 (unicast), for `seconds`. Deterministic for a seed. Prints one JSON line.
 *
 *   node dist/scripts/bench/hostile-flood.js '{"server":"10.98.3.1","seconds":30}'
 *   ... '{"server":..., "seconds":30, "without":["repeat","worst"]}'  (no repeated options)
 */
import dgram from "node:dgram";
import { fileURLToPath } from "node:url";
import { MUTATIONS, mutate, rng, type Mutation } from "../../test/support/hostile-dhcp.js";
import { readPcapUdp } from "../../test/support/pcap.js";

interface Args {
  server: string;
  seconds: number;
  seed?: number;
  without?: Mutation[];
  /** Where the port-67 share goes (default the limited broadcast) and the ports (tests). */
  to67?: string;
  dhcpPort?: number;
  proxyPort?: number;
}
const a = JSON.parse(process.argv[2] ?? "{}") as Args;
const seconds = Math.min(Math.max(a.seconds, 0.1), 120);
const kinds = MUTATIONS.filter((k) => !(a.without ?? []).includes(k));
const dir = fileURLToPath(new URL("../../../test/fixtures/pcap/", import.meta.url));
const seeds = ["uefi-ovmf-pxe-then-ipxe.pcap", "bios-seabios-ipxe-rom.pcap"]
  .flatMap((f) => readPcapUdp(dir + f))
  .filter((d) => d.dstPort === 67 || d.dstPort === 4011)
  .map((d) => d.payload);

// A pool of mutated packets made up front, so sending is all the sender does.
const r = rng(a.seed ?? 13);
const pool: Buffer[] = [];
for (let i = 0; i < 4096; i++)
  pool.push(mutate(seeds[i % seeds.length]!, kinds[Math.floor(r() * kinds.length)]!, r));

const sock = dgram.createSocket({ type: "udp4" });
await new Promise<void>((res) => sock.bind(0, res));
sock.setBroadcast(true);
sock.on("error", () => undefined);

const to67 = a.to67 ?? "255.255.255.255";
const dhcpPort = a.dhcpPort ?? 67;
const proxyPort = a.proxyPort ?? 4011;
let sent = 0;
let bytes = 0;
let inFlight = 0;
const end = Date.now() + seconds * 1000;
const MAX_IN_FLIGHT = 64;
// Sends until the deadline with a bounded number queued in libuv: as fast as one socket
// takes them, without growing a queue in memory.
await new Promise<void>((done) => {
  const pump = () => {
    if (Date.now() >= end) {
      if (inFlight === 0) done();
      return;
    }
    while (inFlight < MAX_IN_FLIGHT) {
      const p = pool[sent % pool.length]!;
      const toProxy = sent % 4 === 3;
      inFlight++;
      sent++;
      bytes += p.length;
      sock.send(p, toProxy ? proxyPort : dhcpPort, toProxy ? a.server : to67, () => {
        inFlight--;
        if (inFlight === 0) setImmediate(pump);
      });
    }
  };
  pump();
});
sock.close();
process.stdout.write(
  JSON.stringify({ sent, bytes, rate: Math.round(sent / seconds), kinds }) + "\n",
);
