/**
 * `doctor`'s checks for `dhcp.mode: "server"`: the settings `serve` would refuse, and
 * whether the subnet Landscaper would hand out is the network of one of this host's
 * interfaces. Also says which role the PXE probe's answers are read for.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from "node:os";
import { ConfigError } from "../config/error.js";
import { dhcpServerSettings, type Config } from "../config/config.js";
import {
  checkApplianceAddress,
  describeSubnet,
  type ServerConfig,
  type Subnet,
} from "../dhcpd/config.js";
import { parseIp4 } from "../core/ipv4.js";
import type { Finding } from "./checks.js";

/** Who hands out addresses on the LAN, as the probe's answers are judged. */
export type DhcpRole =
  | { readonly mode: "proxy" }
  | {
      readonly mode: "server";
      /** dhcp.server.subnet as written; null when the config has none. */
      readonly subnet: string | null;
      /** dhcp.server.allowOtherServers (--force-dhcp): serve starts beside another server. */
      readonly forced: boolean;
    };

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** The interfaces whose IPv4 network is exactly `subnet` (same network, same prefix). */
function interfacesOn(subnet: Subnet, interfaces: Interfaces): string[] {
  const on: string[] = [];
  for (const [name, addrs] of Object.entries(interfaces))
    for (const a of addrs ?? []) {
      const ip = parseIp4(a.address);
      const mask = parseIp4(a.netmask);
      if (a.family !== "IPv4" || ip === null || mask !== subnet.mask) continue;
      if ((ip & mask) >>> 0 === subnet.network) on.push(`${name} (${a.cidr ?? a.address})`);
    }
  return on;
}

function interfaceList(interfaces: Interfaces): string {
  const all = Object.entries(interfaces).flatMap(([name, addrs]) =>
    (addrs ?? []).filter((a) => a.family === "IPv4").map((a) => `${name} ${a.cidr ?? a.address}`),
  );
  return all.length > 0 ? all.join(", ") : "no IPv4 address";
}

function subnetFindings(config: Config, local: Subnet, interfaces: Interfaces): Finding[] {
  const findings: Finding[] = [];
  try {
    checkApplianceAddress(local, config.address);
    findings.push({
      check: "DHCP server subnet",
      level: "ok",
      message: `${config.address} is a host of ${describeSubnet(local)}`,
    });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    findings.push({
      check: "DHCP server subnet",
      level: "blocker",
      message: `${e.message}; serve refuses this configuration`,
      // The engine gives unrelayed clients the local subnet, so it must be the appliance's.
      fix: "set dhcp.server.subnet to the network of the interface that holds `address` (clients that are not relayed get it); a subnet reached only through DHCP relays goes in dhcp.server.relayed",
    });
  }
  const on = interfacesOn(local, interfaces);
  findings.push(
    on.length > 0
      ? {
          check: "DHCP server interface",
          level: "ok",
          message: `${local.cidr} is the network of ${on.join(", ")}`,
        }
      : {
          check: "DHCP server interface",
          level: "warn",
          message: `${local.cidr} is the network of none of this host's interfaces (${interfaceList(interfaces)}): clients would get a netmask and router for a network the appliance is not on`,
          fix: "give the install LAN's interface a static address in dhcp.server.subnet with the same prefix, or set dhcp.server.subnet to that interface's network",
        },
  );
  return findings;
}

/** The role for the probe, and in server mode the findings about its settings. */
export function checkServerMode(
  config: Config,
  interfaces: Interfaces = networkInterfaces(),
): { role: DhcpRole; findings: Finding[] } {
  if (!config.dhcp.enable || config.dhcp.mode !== "server")
    return { role: { mode: "proxy" }, findings: [] };
  let settings: ServerConfig | null;
  try {
    settings = dhcpServerSettings(config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return {
      role: { mode: "server", subnet: null, forced: false },
      findings: [
        {
          check: "DHCP server subnet",
          level: "blocker",
          message: e.message,
          fix: 'give dhcp.server (at least its subnet) in the config file: docs/dhcp.md, "DHCP server mode"',
        },
      ],
    };
  }
  if (settings === null) return { role: { mode: "proxy" }, findings: [] };
  return {
    role: { mode: "server", subnet: settings.local.cidr, forced: settings.allowOtherServers },
    findings: subnetFindings(config, settings.local, interfaces),
  };
}
