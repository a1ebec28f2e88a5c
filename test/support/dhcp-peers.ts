/**
 * The real DHCP peers the namespace tests run: dnsmasq as the LAN's other server, ISC
 * dhclient and busybox udhcpc as clients. Commands only: the caller runs them in its
 * namespace (`Lan.spawn`, `NetnsPair.spawn`), which also kills them at the end.
 */
import type { ChildProcess } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LineWatcher } from "./lines.js";

/**
 * dnsmasq in the foreground, logging to stderr, with no DNS, no system configuration and
 * its lease and pid files under `dir` named for `name`; `args` say what it serves.
 */
export function startDnsmasq(
  spawn: (cmd: string[]) => ChildProcess,
  dir: string,
  name: string,
  args: string[],
): { proc: ChildProcess; log: LineWatcher } {
  const proc = spawn([
    "dnsmasq",
    "--keep-in-foreground",
    "--log-facility=-",
    "--conf-file=/dev/null",
    "--port=0",
    "--no-ping", // else it pings each address for seconds before offering it
    "--no-resolv",
    "--no-hosts",
    "--user=root",
    `--dhcp-leasefile=${join(dir, `${name}.leases`)}`,
    `--pid-file=${join(dir, `${name}.pid`)}`,
    ...args,
  ]);
  return { proc, log: new LineWatcher(proc.stderr!) };
}

/** A dnsmasq DHCP server for `range` ("first,last,mask,lease") on eth0; resolves once up. */
export async function startSiteDhcp(
  spawn: (cmd: string[]) => ChildProcess,
  dir: string,
  range: string,
  extra: string[] = [],
): Promise<{ proc: ChildProcess; log: LineWatcher }> {
  const d = startDnsmasq(spawn, dir, "site", [
    "--bind-interfaces",
    "--interface=eth0",
    `--dhcp-range=${range}`,
    ...extra,
  ]);
  await d.log.waitFor((l) => l.includes("DHCP, IP range"), 5_000, "dnsmasq's range");
  return d;
}

/**
 * Client hook scripts that set the leased address on the interface (udhcpc's also the
 * router) and touch nothing outside their namespace (no resolv.conf).
 */
export function writeClientHooks(dir: string): { dhclient: string; udhcpc: string } {
  const hooks = {
    dhclient: join(dir, "dhclient.sh"),
    udhcpc: join(dir, "udhcpc.sh"),
  };
  writeFileSync(
    hooks.dhclient,
    '#!/bin/sh\ncase "$reason" in BOUND|RENEW|REBIND|REBOOT) ip addr replace "$new_ip_address/24" dev "$interface";; esac\nexit 0\n',
  );
  writeFileSync(
    hooks.udhcpc,
    '#!/bin/sh\ncase "$1" in bound|renew) ip addr replace "$ip/24" dev "$interface"; [ -n "$router" ] && ip route replace default via "$router";; esac\nexit 0\n',
  );
  for (const h of Object.values(hooks)) chmodSync(h, 0o755);
  return hooks;
}

/** dhclient's hook, lease and pid files (under `dir`): the same for a run and for -r. */
export function dhclientFiles(dir: string, hook: string): string[] {
  return ["-sf", hook, "-lf", join(dir, "dhclient.leases"), "-pf", join(dir, "dhclient.pid")];
}

/** ISC dhclient on eth0, in the foreground. */
export function dhclientCommand(dir: string, hook: string): string[] {
  return ["dhclient", "-4", "-d", ...dhclientFiles(dir, hook), "eth0"];
}

/** busybox udhcpc on eth0, in the foreground, 10 DISCOVERs 2 s apart before it gives up. */
export function udhcpcCommand(hook: string): string[] {
  return ["busybox", "udhcpc", "-f", "-i", "eth0", "-s", hook, "-t", "10", "-T", "2"];
}
