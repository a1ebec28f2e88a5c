/**
 * The DHCP service's sockets, in both modes. node's dgram cannot bind to a device nor tell
 * which interface a packet came in on, and a socket bound to an interface address never
 * sees 255.255.255.255. So each port has a receiver on 0.0.0.0 and a sender bound to
 * `config.address` (SO_REUSEADDR on both): for a limited broadcast the kernel then picks
 * the interface that owns that address. The sender also receives unicasts to `address`
 * (Linux prefers the more specific bind).
 */
import dgram from "node:dgram";
import { once } from "node:events";

export interface PortSockets {
  readonly receiver: dgram.Socket;
  /** Null when `address` is 0.0.0.0: the receiver then sends too. */
  readonly sender: dgram.Socket | null;
}

export async function bindSocket(
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
      new Error(`DHCP cannot bind UDP ${address}:${port}: ${err.message}${hint}`),
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

export async function openPort(
  address: string,
  port: number,
  rcvbuf: number,
): Promise<PortSockets> {
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
