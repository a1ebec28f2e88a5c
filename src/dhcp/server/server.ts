/**
 * The DHCP service, in one of two modes (docs/dhcp.md). Proxy: answers PXE, UEFI HTTP-boot
 * and iPXE clients of armed MACs on port 67 and the PXE boot-server port 4011, never leasing
 * addresses. Server (`lease` given): port 67 is the lease engine's (./lease-runner.ts),
 * which gives addresses and adds the same boot options; port 4011 is answered as the proxy
 * answers it. Sockets in ./sockets.ts, the proxy's per-packet decision in ./handler.ts.
 */
import type dgram from "node:dgram";
import type { ServerContext, Service } from "../../core/service.js";
import type { SightingSink } from "../../registry/doors.js";
import type { ArrivalPort, BootFiles } from "./boot-choice.js";
import { handleDhcpPacket, type DhcpHandlerDeps } from "./handler.js";
import {
  openLeaseRunner,
  type LeaseOptions,
  type LeaseRunner,
  type Leases,
} from "./lease-runner.js";
import { replyCache } from "./reply.js";
import { Tally } from "../../core/tally.js";
import { openPort, type PortSockets } from "./sockets.js";

/** What each DHCP socket asks the kernel for; the NixOS module raises rmem_max to it. */
export const DEFAULT_RECV_BUFFER = 16 * 1024 * 1024;

export interface DhcpServerOptions {
  /** arm64 EFI iPXE name (arch 11 / 19 clients); defaults to `ipxe.arm64`. */
  readonly arm64Efi?: string | null;
  /** Client port for broadcast replies (68; tests may change it). */
  readonly clientPort?: number;
  /** Kernel receive buffer per socket, bytes (bursts and our own pauses wait here). */
  readonly recvBufferSize?: number;
  /** Server mode: the leases to give; absent, the service is a proxy. */
  readonly lease?: LeaseOptions;
  /** Where unregistered network-boot clients are reported (discovery), in either mode. */
  readonly sightings?: SightingSink;
}

export type DhcpService = Service & {
  readonly ports: { dhcp: number; proxy: number };
  /** Server mode's leases; null for a proxy. */
  readonly leases: Leases | null;
};

export async function startDhcpServer(
  ctx: ServerContext,
  opts: DhcpServerOptions = {},
): Promise<DhcpService> {
  const { config, oracle, metrics } = ctx;
  const log = ctx.log.child({ service: "dhcp" });
  const address = config.address;
  const clientPort = opts.clientPort ?? 68;
  // 16 MiB: under a flood of ~20,000 datagrams/s with 64 KiB ones among them, node's
  // garbage collector pauses the loop for up to ~20 ms several times a second; 4 MiB
  // overflowed in those pauses (2-8 % of a real client's exchanges lost), 16 MiB did not
  // (docs/benchmarks.md, "A flood while a real client boots"). Capped by net.core.rmem_max.
  const rcvbuf = opts.recvBufferSize ?? DEFAULT_RECV_BUFFER;
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
  const all = [main.receiver, main.sender, proxy.receiver, proxy.sender].filter(
    (s): s is dgram.Socket => s !== null,
  );
  const closeSockets = () =>
    Promise.all(all.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  const ports = { dhcp: main.receiver.address().port, proxy: proxy.receiver.address().port };

  const counts = metrics.dhcpPacketCounts;
  const count = (outcome: string, client: string) => counts.inc(outcome, client);

  const tally = new Tally(log);
  const cache = replyCache(address);
  const sightings = opts.sightings ?? null;
  const deps: DhcpHandlerDeps = {
    oracle,
    urls: ctx.urls,
    files,
    address,
    clientPort,
    ports,
    cache,
    count,
    tally,
    log,
    sightings,
  };
  let leases: LeaseRunner | null = null;
  let closed = false;
  if (opts.lease) {
    if (address === "0.0.0.0") {
      await closeSockets();
      throw new Error("DHCP server mode needs `address`: it is option 54 of every reply");
    }
    const sender = main.sender ?? main.receiver;
    try {
      leases = await openLeaseRunner(opts.lease, {
        address,
        oracle,
        urls: ctx.urls,
        files,
        cache,
        clientPort,
        dhcpPort: ports.dhcp,
        sightings,
        log,
        // No callback: a send error surfaces as the socket's "error" event, logged below.
        // An ACK waits for its journal write, which may end after close() began: the
        // socket is gone then, and a send would throw outside any handler.
        send: (reply, dest) => {
          if (closed) return false;
          sender.send(reply, dest.port, dest.address);
          return true;
        },
        count,
      });
    } catch (e) {
      await closeSockets();
      throw e;
    }
  }

  function handle(msg: Buffer, from: dgram.RemoteInfo, arrival: ArrivalPort): void {
    if (leases && arrival === "dhcp") return leases.handle(msg);
    const answer = handleDhcpPacket(deps, msg, from, arrival);
    if (!answer) return;
    const sockets = answer.viaProxyPort ? proxy : main;
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

  const mode = leases ? "server" : "proxy";
  log.info({ address, ports, mode }, `DHCP (${mode}) listening`);
  return {
    name: "dhcp",
    ports,
    leases,
    close: async () => {
      closed = true;
      tally.close();
      await closeSockets();
      await leases?.close();
    },
  };
}
