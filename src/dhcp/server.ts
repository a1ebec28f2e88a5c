/**
 * The proxyDHCP server: answers PXE, UEFI HTTP-boot and iPXE clients of armed MACs on
 * port 67 and the PXE boot-server port 4011, never leasing addresses.
 *
 * Sockets: node's dgram cannot bind to a device nor tell which interface a packet came in
 * on, and a socket bound to an interface address never sees 255.255.255.255. So each port
 * has a receiver on 0.0.0.0 and a sender bound to `config.address` (SO_REUSEADDR on both):
 * for a limited broadcast the kernel then picks the interface that owns that address.
 * The sender also receives unicasts to `address` (Linux prefers the more specific bind).
 */
import dgram from "node:dgram";
import { once } from "node:events";
import type { ServerContext, Service } from "../core/service.js";
import type { Mac } from "../core/mac.js";
import { parsePacket } from "../dhcp4/packet.js";
import { MSG, messageType, serverId } from "../dhcp4/options.js";
import { chooseBoot, classifyClient, type ArrivalPort, type BootFiles } from "../dhcp4/pxe.js";
import { buildReply, replyDestination } from "./reply.js";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** chaddr to canonical MAC, as core/mac's macFromBytes but without per-byte arrays. */
function macOf(chaddr: Uint8Array): Mac {
  return `${HEX[chaddr[0]!]}:${HEX[chaddr[1]!]}:${HEX[chaddr[2]!]}:${HEX[chaddr[3]!]}:${HEX[chaddr[4]!]}:${HEX[chaddr[5]!]}` as Mac;
}

export interface DhcpServerOptions {
  /** arm64 EFI iPXE name (arch 11 / 19 clients); defaults to `ipxe.arm64`. */
  readonly arm64Efi?: string | null;
  /** Client port for broadcast replies (68; tests may change it). */
  readonly clientPort?: number;
  /** Kernel receive buffer per socket, bytes (bursts of DISCOVERs wait here). */
  readonly recvBufferSize?: number;
}

export type DhcpService = Service & { readonly ports: { dhcp: number; proxy: number } };

interface PortSockets {
  readonly receiver: dgram.Socket;
  /** Null when `address` is 0.0.0.0: the receiver then sends too. */
  readonly sender: dgram.Socket | null;
}

async function bindSocket(
  address: string,
  port: number,
  recvBufferSize: number,
): Promise<dgram.Socket> {
  const s = dgram.createSocket({
    type: "udp4",
    reuseAddr: true,
    // Replies only ever go to IPv4 literals: skip dns.lookup and its nextTick per send.
    lookup: (address, _options, callback) => callback(null, address, 4),
  });
  const failed = once(s, "error").then(([e]) => {
    throw e as Error;
  });
  try {
    await Promise.race([
      failed,
      new Promise<void>((resolve) => s.bind({ port, address }, resolve)),
    ]);
  } catch (e) {
    try {
      s.close();
    } catch {
      // never bound
    }
    const err = e as NodeJS.ErrnoException;
    const hint =
      err.code === "EADDRNOTAVAIL"
        ? " (is `address` configured on an interface of this host?)"
        : err.code === "EACCES"
          ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
          : "";
    throw Object.assign(
      new Error(`proxyDHCP cannot bind UDP ${address}:${port}: ${err.message}${hint}`),
      { code: err.code },
    );
  }
  failed.catch(() => undefined);
  s.setBroadcast(true);
  try {
    s.setRecvBufferSize(recvBufferSize);
  } catch {
    // Capped by net.core.rmem_max; the default still works, with less burst room.
  }
  return s;
}

async function openPort(address: string, port: number, rcvbuf: number): Promise<PortSockets> {
  const receiver = await bindSocket("0.0.0.0", port, rcvbuf);
  if (address === "0.0.0.0") return { receiver, sender: null };
  try {
    const sender = await bindSocket(address, receiver.address().port, rcvbuf);
    return { receiver, sender };
  } catch (e) {
    receiver.close();
    throw e;
  }
}

export async function startDhcpServer(
  ctx: ServerContext,
  opts: DhcpServerOptions = {},
): Promise<DhcpService> {
  const { config, oracle, metrics } = ctx;
  const log = ctx.log.child({ service: "dhcp" });
  // Per-packet debug lines only when asked for: their arguments cost an allocation each.
  const debug = log.isLevelEnabled("debug");
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

  // Labelled children cached: the label lookup is most of a counter's cost per packet.
  const counters = new Map<string, { inc(): void }>();
  const count = (outcome: "answered" | "ignored" | "malformed", client: string) => {
    const key = `${outcome}/${client}`;
    let c = counters.get(key);
    if (!c) counters.set(key, (c = metrics.dhcpPackets.labels({ outcome, client })));
    c.inc();
  };

  function handle(msg: Buffer, from: dgram.RemoteInfo, arrival: ArrivalPort): void {
    const parsed = parsePacket(msg);
    if (!parsed.ok) {
      count("malformed", "unknown");
      if (debug) log.debug({ from: from.address, reason: parsed.reason }, "malformed, dropped");
      return;
    }
    const req = parsed.packet;
    const type = messageType(req);
    if (req.op !== 1 || req.htype !== 1 || req.hlen !== 6 || type === null) {
      count("ignored", "unknown");
      return;
    }
    const client = classifyClient(req);
    // On 67 a REQUEST naming another server is the client taking the site server's lease.
    const wanted =
      arrival === "proxy"
        ? type === MSG.REQUEST || type === MSG.INFORM
        : type === MSG.DISCOVER || (type === MSG.REQUEST && serverId(req) === address);
    if (!wanted || client.kind === "none") {
      count("ignored", client.kind);
      return;
    }
    const mac = macOf(req.chaddr);
    const choice = chooseBoot(client, oracle.bootFor(mac), mac, files, ctx.urls, arrival);
    if (!choice.answer) {
      count("ignored", client.kind);
      if (debug) log.debug({ mac, client: client.kind, reason: choice.reason }, "not answered");
      return;
    }
    const dest = replyDestination(req, arrival, from, clientPort, mainPort);
    const reply = buildReply(req, type, choice, address, dest);
    const sockets = arrival === "proxy" && req.giaddr === "0.0.0.0" ? proxy : main;
    const out = sockets.sender ?? sockets.receiver;
    // No callback: a send error surfaces as the socket's "error" event, logged below.
    out.send(reply, dest.port, dest.address);
    count("answered", client.kind);
    const port = arrival === "proxy" ? proxyPort : mainPort;
    oracle.noteBootStep(mac, {
      type: "dhcp",
      clientKind: client.kind,
      arch: client.arch,
      file: choice.file,
      port,
    });
    if (debug)
      log.debug(
        { mac, client: client.kind, arch: client.arch, file: choice.file, port },
        "answered",
      );
  }

  const listen = (s: dgram.Socket, arrival: ArrivalPort) => {
    s.on("message", (msg, from) => {
      try {
        handle(msg, from, arrival);
      } catch (e) {
        // A bug in handling one packet must not take the appliance down.
        count("malformed", "unknown");
        log.error(
          { err: e instanceof Error ? e.message : String(e) },
          "DHCP packet handling failed",
        );
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
      await Promise.all(all.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
