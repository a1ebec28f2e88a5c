/**
 * What one datagram costs the DHCP codec: a real OVMF DISCOVER against the costliest shapes
 * a LAN host can build (test/support/hostile-dhcp.ts) at 1,500 bytes, at the 4 KiB input
 * limit, and at 64 KiB. Each figure is parse + the client classification the server does on
 * every packet, the median of 7 timed runs. Prints a Markdown table; exits 1 when a case
 * costs more than 20x the DISCOVER.
 *
 *   npm run build && node dist/scripts/bench/dhcp-parse.js
 */
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { classifyClient } from "../../src/dhcp/codec/client.js";
import { ipxeEncapsulated, pxeVendorOptions } from "../../src/dhcp/codec/options.js";
import { parsePacket } from "../../src/dhcp/codec/packet.js";
import { worstCases } from "../../test/support/hostile-dhcp.js";
import { readPcapUdp } from "../../test/support/pcap.js";

const pcap = fileURLToPath(
  new URL("../../../test/fixtures/pcap/uefi-ovmf-pxe-then-ipxe.pcap", import.meta.url),
);
const discover = readPcapUdp(pcap).find((d) => d.index === 1)!.payload;

let sink = 0;
function once(b: Buffer): void {
  const r = parsePacket(b);
  if (!r.ok) return;
  sink += classifyClient(r.packet).arch ?? 0;
  sink += pxeVendorOptions(r.packet)?.discoveryControl ?? 0;
  sink += ipxeEncapsulated(r.packet)?.size ?? 0;
}

/** Nanoseconds per datagram, over enough iterations for about 20 ms. */
function run(b: Buffer, n: number): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) once(b);
  return ((performance.now() - t) * 1e6) / n;
}

function iterations(b: Buffer): number {
  let n = 500;
  while (run(b, n) * n < 20e6) n *= 2;
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * A case's cost and its ratio to the DISCOVER, timed alternately (9 pairs) so that load
 * from other processes hits both alike; the ratio is the median of the 9 pair ratios.
 */
function cost(b: Buffer): { ns: number; ratio: number } {
  const nb = iterations(discover);
  const nc = iterations(b);
  const ns: number[] = [];
  const ratios: number[] = [];
  for (let k = 0; k < 9; k++) {
    const base = run(discover, nb);
    const c = run(b, nc);
    ns.push(c);
    ratios.push(c / base);
  }
  return { ns: median(ns), ratio: median(ratios) };
}

const base = median([1, 2, 3, 4, 5].map(() => run(discover, iterations(discover))));
console.log(`OVMF PXE DISCOVER (${discover.length} bytes): ${base.toFixed(0)} ns`);
console.log("| datagram | 1,500 bytes | 4,096 bytes | 65,507 bytes |");
console.log("|---|---|---|---|");
const sizes = [1500, 4096, 65507];
const table = sizes.map((s) => worstCases(s));
let worst = 0;
for (const name of Object.keys(table[0]!)) {
  const cells = table.map((cases) => {
    const c = cost(cases[name]!);
    worst = Math.max(worst, c.ratio);
    return `${c.ns.toFixed(0)} ns (${c.ratio.toFixed(1)}x)`;
  });
  console.log(`| ${name} | ${cells.join(" | ")} |`);
}
console.log(`worst: ${worst.toFixed(1)}x the DISCOVER (limit 20x); checksum ${sink}`);
process.exitCode = worst > 20 ? 1 : 0;
