/**
 * The proxyDHCP server: answers PXE, UEFI HTTP-boot and iPXE clients of armed MACs on
 * port 67 and the PXE boot-server port 4011, never leasing addresses. Sockets in
 * ./sockets.ts, the per-packet decision in ./handler.ts.
 */
import type dgram from "node:dgram";
import type { ServerContext, Service } from "../../core/service.js";
import type { SightingSink } from "../../registry/doors.js";
import type { ArrivalPort, BootFiles } from "./boot-choice.js";
import { handleDhcpPacket, type DhcpHandlerDeps } from "./handler.js";
import { replyCache } from "./reply.js";
import { Tally } from "../../core/tally.js";
import { openPort, type PortSockets } from "./sockets.js";

export interface DhcpServerOptions {
  /** arm64 EFI iPXE name (arch 11 / 19 clients); defaults to `ipxe.arm64`. */
  readonly arm64Efi?: string | null;
  /** Client port for broadcast replies (68; tests may change it). */
  readonly clientPort?: number;
  /** Kernel receive buffer per socket, bytes (bursts of DISCOVERs wait here). */
  readonly recvBufferSize?: number;
  /** Where unregistered network-boot clients are reported (the registry, for discovery). */
  readonly sightings?: SightingSink;
}

export type DhcpService = Service & { readonly ports: { dhcp: number; proxy: number } };

export async function startDhcpServer(
  ctx: ServerContext,
  opts: DhcpServerOptions = {},
): Promise<DhcpService> {
  const { config, oracle, metrics } = ctx;
  const log = ctx.log.child({ service: "dhcp" });
  const address = config.address;
  const clientPort = opts.clientPort ?? 68;
  const rcvbuf = opts.recvBufferSize ?? 4 * 1024 * 1024;
  const files: BootFiles = {
    efi: config.ipxe.efi,
    bios: config.ipxe.bios,
    arm64Efi: opts.arm64Efi ?? config.ipxe.arm64,
  };

  const main = await openPort(address, config.dhcp.port, rcvbuf);
  let proxy: PortSockets;
  try {
    proxy = await openPort(address, config.dhcp.proxyPort, rcvbuf);
  } catch (e) {
    main.receiver.close();
    main.sender?.close();
    throw e;
  }
  const mainPort = main.receiver.address().port;
  const proxyPort = proxy.receiver.address().port;

  const counts = metrics.dhcpPacketCounts;
  const count = (outcome: "answered" | "ignored" | "malformed", client: string) =>
    counts.inc(outcome, client);

  const tally = new Tally(log);
  const deps: DhcpHandlerDeps = {
    oracle,
    urls: ctx.urls,
    files,
    address,
    clientPort,
    ports: { dhcp: mainPort, proxy: proxyPort },
    cache: replyCache(address),
    count,
    tally,
    log,
    sightings: opts.sightings,
  };
  function handle(msg: Buffer, from: dgram.RemoteInfo, arrival: ArrivalPort): void {
    const answer = handleDhcpPacket(deps, msg, from, arrival);
    if (!answer) return;
    const sockets = answer.viaProxyPort ? proxy : main;
    // No callback: a send error surfaces as the socket's "error" event, logged below.
    (sockets.sender ?? sockets.receiver).send(answer.reply, answer.dest.port, answer.dest.address);
  }

  const failures = metrics.internalErrors.labels({ service: "dhcp" });
  failures.inc(0); // the series exists at 0, so a rate() over it works from the start
  const listen = (s: dgram.Socket, arrival: ArrivalPort) => {
    s.on("message", (msg, from) => {
      try {
        handle(msg, from, arrival);
      } catch (e) {
        // A bug in handling one packet must not take the appliance down: that packet is
        // dropped, the stack logged once, the failure counted.
        failures.inc();
        tally.caught("DHCP packet handling", e, { from: from.address, bytes: msg.length });
      }
    });
    s.on("error", (e) => log.error({ err: e.message }, "DHCP socket error"));
  };
  listen(main.receiver, "dhcp");
  if (main.sender) listen(main.sender, "dhcp");
  listen(proxy.receiver, "proxy");
  if (proxy.sender) listen(proxy.sender, "proxy");

  const ports = { dhcp: mainPort, proxy: proxyPort };
  log.info({ address, ports }, "proxyDHCP listening");

  const all = [main.receiver, main.sender, proxy.receiver, proxy.sender].filter(
    (s): s is dgram.Socket => s !== null,
  );
  return {
    name: "dhcp",
    ports,
    close: async () => {
      tally.close();
      await Promise.all(all.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
