/** The firmware captures (copied from the lab's reference set) as parsed DHCP packets. */
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { UNKNOWN, type BootOracle, type BootPlan } from "../../src/boot/plan.js";
import { defaultConfig, type Config } from "../../src/config/config.js";
import { BootUrls } from "../../src/boot/urls.js";
import type { Mac } from "../../src/core/mac.js";
import { Tally } from "../../src/core/tally.js";
import type { DhcpHandlerDeps } from "../../src/dhcp/server/handler.js";
import { replyCache } from "../../src/dhcp/server/reply.js";
import { readPcapUdp, type UdpDatagram } from "../support/pcap.js";
import { installPlan } from "../support/context.js";

const dir = fileURLToPath(new URL("../../../test/fixtures/pcap/", import.meta.url));

export const CAPTURES = ["bios-seabios-ipxe-rom.pcap", "uefi-ovmf-pxe-then-ipxe.pcap"] as const;

export function capture(name: (typeof CAPTURES)[number]): UdpDatagram[] {
  return readPcapUdp(dir + name);
}

export function frame(name: (typeof CAPTURES)[number], index: number): Buffer {
  const d = capture(name).find((x) => x.index === index);
  if (!d) throw new Error(`${name} has no UDP frame ${index}`);
  return d.payload;
}

/** The client requests the tests replay, by what sent them. */
export const EDK2_DISCOVER = () => frame("uefi-ovmf-pxe-then-ipxe.pcap", 1);
export const EDK2_PROXY_REQUEST = () => frame("uefi-ovmf-pxe-then-ipxe.pcap", 6);
export const IPXE_EFI_DISCOVER = () => frame("uefi-ovmf-pxe-then-ipxe.pcap", 8);
export const SEABIOS_IPXE_DISCOVER = () => frame("bios-seabios-ipxe-rom.pcap", 1);
export const CAPTURED_MAC = "52:54:00:12:34:56";

/** A minimal valid request with the given raw option area. */
export function withOptionArea(area: number[], sname: number[] = [], file: number[] = []): Buffer {
  const b = Buffer.alloc(240 + area.length);
  b[0] = 1;
  b[1] = 1;
  b[2] = 6;
  Buffer.from(sname).copy(b, 44);
  Buffer.from(file).copy(b, 108);
  b.writeUInt32BE(0x63825363, 236);
  Buffer.from(area).copy(b, 240);
  return b;
}

/** The appliance address and boot URLs of the handler tests that need no sockets. */
export const OFFLINE_ADDRESS = "10.99.0.3";
export const offlineUrls = new BootUrls(OFFLINE_ADDRESS, 8080);

/**
 * `handleDhcpPacket`'s dependencies without sockets or registry: `bootFor` answers for every
 * MAC, counts and logs go nowhere; `extra` adds or replaces (a sightings sink, say).
 */
export function offlineHandlerDeps(
  bootFor: (mac: Mac) => BootPlan,
  extra: Partial<DhcpHandlerDeps> = {},
): DhcpHandlerDeps {
  return {
    oracle: { bootFor, noteBootStep: () => undefined },
    urls: offlineUrls,
    files: { efi: "snponly.efi", bios: "undionly.kpxe", arm64Efi: null },
    address: OFFLINE_ADDRESS,
    clientPort: 68,
    ports: { dhcp: 67, proxy: 4011 },
    cache: replyCache(OFFLINE_ADDRESS),
    count: () => undefined,
    tally: new Tally(pino({ level: "silent" })),
    log: pino({ level: "silent" }),
    ...extra,
  };
}

/** The default config on loopback with both DHCP ports ephemeral: a started service's. */
export function loopbackDhcpConfig(): Config {
  const config = defaultConfig();
  config.address = "127.0.0.1";
  config.dhcp.port = 0;
  config.dhcp.proxyPort = 0;
  return config;
}

/** An oracle that installs the `armed` MACs and knows no other; steps go to `noteBootStep`. */
export function armedOracle(
  urls: BootUrls,
  armed: readonly Mac[],
  noteBootStep: BootOracle["noteBootStep"] = () => undefined,
): BootOracle {
  return {
    bootFor: (mac) => (armed.includes(mac) ? installPlan(mac, urls) : UNKNOWN),
    noteBootStep,
  };
}
