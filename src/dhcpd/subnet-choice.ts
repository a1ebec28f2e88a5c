/**
 * Which subnet a request, or an address, belongs to. Broadcast (unrelayed) requests
 * arrive on the appliance's interface and belong to its subnet; relayed ones to the
 * subnet holding the relay's giaddr (RFC 2131 4.3.1).
 */
import { inSubnet, type Ip4 } from "../core/ipv4.js";
import type { ServerConfig, Subnet } from "./config.js";

/** The subnet a request belongs to: the relay's (by giaddr) or the local one. */
export function subnetFor(config: ServerConfig, giaddr: Ip4): Subnet | null {
  if (giaddr === 0) return config.local;
  if (inSubnet(config.local, giaddr)) return config.local;
  for (const s of config.relayed) if (inSubnet(s, giaddr)) return s;
  return null;
}

/**
 * The subnet of a request given its giaddr and ciaddr; null when the relay is outside
 * every subnet.
 */
export function subnetOfRequest(config: ServerConfig, giaddr: Ip4, ciaddr: Ip4): Subnet | null {
  const subnet = subnetFor(config, giaddr);
  if (subnet === null) return null;
  // An unrelayed unicast from a routed client (renewing, informing) names its subnet.
  if (giaddr === 0 && ciaddr !== 0 && !inSubnet(subnet, ciaddr))
    return config.relayed.find((s) => inSubnet(s, ciaddr)) ?? subnet;
  return subnet;
}

/** The served subnet `ip` is a host of, or null. */
export function subnetOfAddress(config: ServerConfig, ip: Ip4): Subnet | null {
  if (inSubnet(config.local, ip)) return config.local;
  return config.relayed.find((s) => inSubnet(s, ip)) ?? null;
}
