import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { resolve } from "node:path";

export interface PortHolder {
  pid: number | null;
  command: string | null;
  localAddress: string;
  uid: number;
}

/** "0100007F:0043" (little-endian IPv4 as the kernel prints it) -> ["127.0.0.1", 67]. */
export function parseProcAddress(field: string): [string, number] | null {
  const [hexAddr, hexPort] = field.split(":");
  if (hexAddr === undefined || hexPort === undefined) return null;
  const port = parseInt(hexPort, 16);
  if (hexAddr.length === 8) {
    const n = parseInt(hexAddr, 16);
    return [[n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join("."), port];
  }
  if (hexAddr.length === 32) {
    // four little-endian 32-bit words; only the wildcard and v4-mapped forms matter here
    if (/^0+$/.test(hexAddr)) return ["::", port];
    const mapped = /^0{16}FFFF0000([0-9A-F]{8})$/i.exec(hexAddr);
    if (mapped) {
      const p = parseProcAddress(`${mapped[1]}:${hexPort}`);
      return p ? [`::ffff:${p[0]}`, port] : null;
    }
    return [hexAddr.toLowerCase(), port];
  }
  return null;
}

interface SocketRow {
  localAddress: string;
  inode: string;
  uid: number;
}

/** Sockets in this network namespace bound to `port` (TCP: listening ones only). */
export function socketsOnPort(proto: "udp" | "tcp", port: number): SocketRow[] {
  const rows: SocketRow[] = [];
  for (const file of [`/proc/net/${proto}`, `/proc/net/${proto}6`]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = parseProcAddress(f[1]!);
      if (!local || local[1] !== port) continue;
      if (proto === "tcp" && f[3] !== "0A") continue; // LISTEN
      rows.push({ localAddress: local[0], inode: f[9]!, uid: Number(f[7]) });
    }
  }
  return rows;
}

function commandOf(pid: number): string | null {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    if (argv.length > 0) return argv.join(" ").slice(0, 200);
  } catch {
    /* gone */
  }
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return null;
  }
}

/** For each socket inode, the pids holding it (from every process's /proc/PID/fd). */
function pidsByInode(inodes: ReadonlySet<string>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    /* no /proc */
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (!m || !inodes.has(m[1]!)) continue;
      const list = out.get(m[1]!) ?? [];
      if (!list.includes(Number(pid))) list.push(Number(pid));
      out.set(m[1]!, list);
    }
  }
  return out;
}

/**
 * Who holds `port`: the socket inodes from /proc/net, matched against every process's
 * open descriptors. Without root, other users' descriptors are unreadable: pid stays null.
 */
export function portHolders(proto: "udp" | "tcp", port: number): PortHolder[] {
  const rows = socketsOnPort(proto, port);
  if (rows.length === 0) return [];
  const byInode = pidsByInode(new Set(rows.map((r) => r.inode)));
  const holders: PortHolder[] = [];
  for (const r of rows) {
    const pids = byInode.get(r.inode) ?? [];
    if (pids.length === 0)
      holders.push({ pid: null, command: null, localAddress: r.localAddress, uid: r.uid });
    for (const pid of pids)
      holders.push({ pid, command: commandOf(pid), localAddress: r.localAddress, uid: r.uid });
  }
  return holders;
}

/** The pids listening on the Unix socket at `path` (from /proc/net/unix). */
export function unixSocketHolders(path: string): number[] {
  let text: string;
  try {
    text = readFileSync("/proc/net/unix", "utf8");
  } catch {
    return [];
  }
  const inodes = new Set<string>();
  const names = new Set([path, resolve(path)]);
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    // Num RefCount Protocol Flags Type St Inode Path
    if (f.length >= 8 && names.has(f.slice(7).join(" "))) inodes.add(f[6]!);
  }
  if (inodes.size === 0) return [];
  return [...new Set([...pidsByInode(inodes).values()].flat())];
}

export function describeHolders(holders: PortHolder[]): string {
  if (holders.length === 0) return "an unknown process";
  const byPid = new Map<string, { h: PortHolder; addrs: string[] }>();
  for (const h of holders) {
    const key = h.pid === null ? `uid${h.uid}` : String(h.pid);
    const e = byPid.get(key) ?? { h, addrs: [] };
    e.addrs.push(h.localAddress);
    byPid.set(key, e);
  }
  return [...byPid.values()]
    .map(({ h, addrs }) =>
      h.pid === null
        ? `a process of uid ${h.uid} on ${addrs.join(" and ")} (run doctor as root to see which)`
        : `pid ${h.pid} (${h.command ?? "?"}) on ${addrs.join(" and ")}`,
    )
    .join("; ");
}
