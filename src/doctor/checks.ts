import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { networkInterfaces } from "node:os";
import { constants, promises as fs, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Config } from "../config/config.js";
import { describeHolders, portHolders } from "./port-owner.js";

export type Level = "ok" | "warn" | "blocker";

export interface Finding {
  check: string;
  level: Level;
  message: string;
  /** What the operator should do; absent when nothing. */
  fix?: string;
}

const CAP_NET_BIND_SERVICE = 10;

/** Whether this process may bind ports below ip_unprivileged_port_start, and why. */
export function bindPrivilege(): { privileged: boolean; why: string; unprivilegedStart: number } {
  let unprivilegedStart = 1024;
  try {
    unprivilegedStart = Number(
      readFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8").trim(),
    );
  } catch {
    /* older kernels: 1024 */
  }
  let capEff = 0n;
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) capEff = BigInt("0x" + m[1]);
  } catch {
    /* no /proc */
  }
  const hasCap = (capEff >> BigInt(CAP_NET_BIND_SERVICE)) & 1n;
  const uid = process.getuid?.() ?? -1;
  if (hasCap === 1n)
    return {
      privileged: true,
      why: uid === 0 ? "root" : "CAP_NET_BIND_SERVICE",
      unprivilegedStart,
    };
  return { privileged: false, why: `uid ${uid} without CAP_NET_BIND_SERVICE`, unprivilegedStart };
}

const CAP_FIX =
  "run `landscaper serve` as root, or give it the capability: systemd " +
  "`AmbientCapabilities=CAP_NET_BIND_SERVICE` (the NixOS module does), or " +
  "`setcap cap_net_bind_service=+ep` on the node binary";

export interface PortToCheck {
  proto: "udp" | "tcp";
  port: number;
  address: string;
  purpose: string;
  /** Which flag moves it, for the fix text. */
  flag: string;
}

export function portsToCheck(config: Config): PortToCheck[] {
  const ports: PortToCheck[] = [];
  if (config.dhcp.enable) {
    ports.push({
      proto: "udp",
      port: config.dhcp.port,
      address: "0.0.0.0",
      purpose: config.dhcp.mode === "server" ? "DHCP server" : "proxyDHCP",
      flag: "--dhcp-port",
    });
    ports.push({
      proto: "udp",
      port: config.dhcp.proxyPort,
      address: "0.0.0.0",
      purpose: "PXE boot server (4011)",
      flag: "--proxy-dhcp-port",
    });
  }
  if (config.tftp.enable)
    ports.push({
      proto: "udp",
      port: config.tftp.port,
      address: "0.0.0.0",
      purpose: "TFTP",
      flag: "--tftp-port",
    });
  ports.push({
    proto: "tcp",
    port: config.http.port,
    address: config.http.listen,
    purpose: "HTTP",
    flag: "--http-port",
  });
  return ports;
}

function tryBind(p: PortToCheck): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    if (p.proto === "udp") {
      const s = createSocket({ type: "udp4", reuseAddr: false });
      s.once("error", (e) => {
        s.close();
        resolve(e);
      });
      s.bind({ port: p.port, address: p.address, exclusive: true }, () => {
        s.close();
        resolve(null);
      });
    } else {
      const s = createServer();
      s.once("error", (e) => resolve(e));
      s.listen({ port: p.port, host: p.address, exclusive: true }, () =>
        s.close(() => resolve(null)),
      );
    }
  });
}

/** Bind each port the way `serve` will, and explain any refusal. */
export async function checkPorts(
  config: Config,
  /** Pids of a Landscaper already serving (holding the control socket). */
  landscaperPids: readonly number[] = [],
): Promise<Finding[]> {
  const priv = bindPrivilege();
  const findings: Finding[] = [];
  for (const p of portsToCheck(config)) {
    const check = `${p.proto.toUpperCase()} ${p.port} (${p.purpose})`;
    const err = await tryBind(p);
    if (err === null) {
      const needsPriv = p.port > 0 && p.port < priv.unprivilegedStart;
      findings.push({
        check,
        level: "ok",
        message: `can bind ${p.address}:${p.port}${needsPriv ? ` (as ${priv.why})` : ""}`,
      });
    } else if (err.code === "EACCES") {
      findings.push({
        check,
        level: "blocker",
        message: `permission denied binding ${p.address}:${p.port}: ports below ${priv.unprivilegedStart} need CAP_NET_BIND_SERVICE or root (this process: ${priv.why})`,
        fix: CAP_FIX,
      });
    } else if (err.code === "EADDRINUSE") {
      const holders = portHolders(p.proto, p.port);
      const itself = holders.some(
        (h) =>
          (h.pid !== null && landscaperPids.includes(h.pid)) ||
          /(^|\/)landscaper( |$)/.test(h.command ?? ""),
      );
      findings.push({
        check,
        level: itself ? "warn" : "blocker",
        message: `${p.address}:${p.port} is already in use by ${describeHolders(holders)}`,
        fix: itself
          ? "that is a running Landscaper; stop it to re-check, or ignore if it is this appliance"
          : `stop or reconfigure that program (two servers cannot share ${p.proto.toUpperCase()} ${p.port}), or move Landscaper with ${p.flag}`,
      });
    } else if (err.code === "EADDRNOTAVAIL") {
      findings.push({
        check,
        level: "blocker",
        message: `${p.address} is not an address of this host`,
        fix: "set http.listen to 0.0.0.0 or to an address on an interface",
      });
    } else {
      findings.push({
        check,
        level: "blocker",
        message: `cannot bind ${p.address}:${p.port}: ${err.code ?? err.message}`,
      });
    }
  }
  return findings;
}

/** The interface that holds `address`, or null. */
export function interfaceOf(address: string): { name: string; internal: boolean } | null {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? [])
      if (a.family === "IPv4" && a.address === address) return { name, internal: a.internal };
  }
  return null;
}

export function checkAddress(config: Config): Finding[] {
  const check = "address";
  const ifc = interfaceOf(config.address);
  if (ifc === null) {
    const have = Object.entries(networkInterfaces())
      .flatMap(([n, as]) =>
        (as ?? []).filter((a) => a.family === "IPv4").map((a) => `${n} ${a.address}`),
      )
      .join(", ");
    return [
      {
        check,
        level: "blocker",
        message: `${config.address} is not on any interface (this host has: ${have || "none"}); clients would be sent to an address nobody answers`,
        fix: "set `address` in the config (or --address) to this host's address on the provisioning LAN",
      },
    ];
  }
  let mtu = "";
  try {
    mtu = `, MTU ${readFileSync(`/sys/class/net/${ifc.name}/mtu`, "utf8").trim()}`;
  } catch {
    /* not a real device */
  }
  if (ifc.internal)
    return [
      {
        check,
        level: "warn",
        message: `${config.address} is on the loopback interface ${ifc.name}: no machine on a LAN can reach it`,
        fix: "set --address to the provisioning LAN's address (loopback is for tests only)",
      },
    ];
  return [{ check, level: "ok", message: `${config.address} is on ${ifc.name}${mtu}` }];
}

async function isReadableFile(path: string): Promise<string | null> {
  try {
    const st = await fs.stat(path);
    if (!st.isFile()) return "not a regular file";
    if (st.size === 0) return "empty";
    await fs.access(path, constants.R_OK);
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : (e as Error).message;
  }
}

export async function checkIpxe(config: Config): Promise<Finding[]> {
  const dir = config.ipxe.dir;
  const fix =
    "install iPXE (Debian: `apt install ipxe`, files in /usr/lib/ipxe; NixOS: pkgs.ipxe) or point ipxe.dir / --ipxe-dir at a directory that has them";
  try {
    if (!(await fs.stat(dir)).isDirectory()) throw new Error("not a directory");
  } catch (e) {
    return [
      {
        check: "iPXE files",
        level: "blocker",
        message: `ipxe.dir ${dir}: ${(e as Error).message}`,
        fix,
      },
    ];
  }
  const wanted: [string, Level, string][] = [
    [config.ipxe.bios, "blocker", "legacy BIOS clients chainload it over TFTP"],
    [config.ipxe.efi, "blocker", "UEFI PXE clients chainload it over TFTP"],
    ["ipxe.efi", "warn", "UEFI HTTP-boot clients fetch it from /boot/ipxe.efi"],
  ];
  const findings: Finding[] = [];
  for (const [file, level, why] of wanted) {
    if (findings.some((f) => f.check === `iPXE ${file}`)) continue;
    const problem = await isReadableFile(join(dir, file));
    findings.push(
      problem === null
        ? { check: `iPXE ${file}`, level: "ok", message: `${join(dir, file)} present` }
        : { check: `iPXE ${file}`, level, message: `${join(dir, file)} ${problem}: ${why}`, fix },
    );
  }
  return findings;
}

/** The nearest existing ancestor of `path` (itself included). */
async function existingAncestor(path: string): Promise<string> {
  let p = path;
  for (let i = 0; i < 64; i++) {
    try {
      await fs.stat(p);
      return p;
    } catch {
      const up = dirname(p);
      if (up === p) return p;
      p = up;
    }
  }
  return p;
}

/**
 * Writable for real (a temp file written, synced and removed), not just by mode bits, so a
 * read-only mount or a full disk shows up; a missing directory is checked at its ancestor.
 */
export async function checkWritableDir(check: string, dir: string, what: string): Promise<Finding> {
  const base = await existingAncestor(dir);
  const probeDir = base === dir ? dir : base;
  try {
    const tmp = await fs.mkdtemp(join(probeDir, ".landscaper-doctor-"));
    try {
      const fh = await fs.open(join(tmp, "probe"), "w");
      await fh.write("ok\n");
      await fh.sync();
      await fh.close();
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
    return {
      check,
      level: "ok",
      message:
        base === dir
          ? `${dir} is writable`
          : `${dir} does not exist yet; ${base} is writable, serve can create it`,
    };
  } catch (e) {
    return {
      check,
      level: "blocker",
      message: `${what} ${dir} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message} in ${probeDir})`,
      fix: `create it and give the landscaper user write access, or choose another path`,
    };
  }
}
