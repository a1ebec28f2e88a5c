import { hostname, networkInterfaces } from "node:os";
import ciao from "@homebridge/ciao";
import type { ServerContext, Service } from "../core/service.js";
import { packageVersion } from "../core/version.js";

/** The DNS-SD service type operators (and tools) browse for. */
export const MDNS_SERVICE_TYPE = "landscaper";

export interface MdnsService extends Service {
  /** The advertised instance name (ciao may append " (2)" on a name conflict). */
  readonly instanceName: string;
  /** Settles once probing and the announcements are done (or failed; failures are logged). */
  readonly announced: Promise<void>;
}

/** A DNS label from the host name: mDNS host names must be plain labels. */
function hostLabel(): string {
  const label = (hostname().split(".")[0] ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "");
  return label === "" ? "landscaper" : label.slice(0, 50);
}

/**
 * Advertise `_landscaper._tcp` on the interface that holds `config.address` only, so an
 * appliance with a management and a provisioning NIC does not announce itself on both.
 * TXT carries the version and the HTTP port (the SRV port says the same; tools that only
 * read TXT get it too). `close()` sends the goodbye (TTL 0) before releasing the socket.
 */
export function startMdns(ctx: ServerContext): Promise<MdnsService> {
  const { address } = ctx.config;
  const http = ctx.urls;
  const log = ctx.log.child({ service: "mdns" });
  // mDNS is a convenience: a wrong address must not stop the appliance (doctor reports it).
  const onInterface = Object.values(networkInterfaces()).some((as) =>
    (as ?? []).some((a) => a.family === "IPv4" && a.address === address && !a.internal),
  );
  if (!onInterface) {
    log.warn({ address }, "mDNS not started: the address is on no (non-loopback) interface");
    return Promise.resolve({
      name: "mdns",
      instanceName: "",
      announced: Promise.resolve(),
      close: () => Promise.resolve(),
    });
  }
  const responder = ciao.getResponder({ interface: address, disableIpv6: true });
  const label = hostLabel();
  const service = responder.createService({
    name: `Landscaper on ${label}`,
    type: MDNS_SERVICE_TYPE,
    port: http.port,
    hostname: `landscaper-${label}`,
    txt: { version: packageVersion(), http: String(http.port) },
    restrictedAddresses: [address],
    disabledIpv6: true,
  });
  let instanceName = service.getFQDN().replace(/\._landscaper\._tcp\.local\.?$/, "");
  service.on("name-change", (n: string) => {
    instanceName = n;
    log.info({ name: n }, "mDNS name conflict; renamed");
  });
  const announced = service.advertise().then(
    () => log.info({ name: instanceName, address, port: http.port }, "advertising on mDNS"),
    (e: unknown) => log.error({ err: e }, "mDNS advertisement failed"),
  );
  let closed = false;
  // Resolves at once: probing takes ~1.5 s and must not hold up the other servers.
  return Promise.resolve({
    name: "mdns",
    get instanceName() {
      return instanceName;
    },
    announced,
    async close() {
      if (closed) return;
      closed = true;
      try {
        // destroy() ends the advertisement first: that is the goodbye packet.
        await service.destroy();
      } finally {
        await responder.shutdown();
      }
    },
  });
}
