import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { isIPv4 } from "node:net";
import { parseCidr } from "../core/cidr.js";
import { checkApplianceAddress, parseServerConfig, type ServerConfig } from "../dhcpd/config.js";
import { ConfigError } from "./error.js";

export { ConfigError };

export type AfterInstall = "local-boot" | "ignore";

/** The appliance configuration; DESIGN.md "Config and command line" lists every key. */
export interface Config {
  address: string;
  stateDir: string;
  http: { listen: string; port: number };
  tftp: {
    enable: boolean;
    port: number;
    maxBlksize: number;
    maxWindowsize: number;
    maxTransfers: number;
    /** Transfers one client address may have at once (a flood from one host holds no more). */
    maxPerClient: number;
    /** Threads that run transfers (0: on the main thread, beside DHCP and HTTP). */
    threads: number;
  };
  /**
   * `mode`: "proxy" answers network-boot clients beside the site's DHCP server; "server" is
   * the network's DHCP server (docs/dhcp.md). `server`: `dhcp.server.*` as written (checked
   * by `parseServerConfig`; `dhcpServerOf` gives it typed once `address` is final).
   */
  dhcp: {
    enable: boolean;
    port: number;
    proxyPort: number;
    answerUnknown: boolean;
    mode: "proxy" | "server";
    server: Record<string, unknown> | null;
  };
  control: { socket: string; mode: string };
  /** `arm64`: the arm64 EFI iPXE file in `dir`; null leaves arm64 clients unanswered. */
  ipxe: { dir: string; efi: string; bios: string; arm64: string | null };
  mdns: { enable: boolean };
  /**
   * `allowedRoots`: the only directories registered kernels and initrds may lie under (with
   * `ipxe.dir`); checked at registration and again at every open.
   */
  files: { allowedRoots: string[] };
  /**
   * `trustedClients`: CIDRs whose requests for a MAC's install script are served without
   * proving, through the neighbour table or a lease, that they are that MAC.
   */
  security: { trustedClients: string[] };
  afterInstall: AfterInstall;
  hooks: { onInstalled: string[] | null };
  /** BMC power (src/power): the ipmitool program, and the bound on one ipmitool call. */
  power: { ipmitool: string; timeoutMs: number };
}

/** The first non-internal IPv4 address, the default `address` on a single-interface host. */
export function firstIPv4(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

export function defaultConfig(): Config {
  return {
    address: firstIPv4(),
    stateDir: "/var/lib/landscaper",
    http: { listen: "0.0.0.0", port: 80 },
    tftp: {
      enable: true,
      port: 69,
      maxBlksize: 1468,
      maxWindowsize: 64,
      maxTransfers: 1000,
      maxPerClient: 4,
      threads: 2,
    },
    dhcp: {
      enable: true,
      port: 67,
      proxyPort: 4011,
      answerUnknown: false,
      mode: "proxy",
      server: null,
    },
    control: { socket: "/run/landscaper/control.sock", mode: "0660" },
    ipxe: { dir: "/usr/lib/ipxe", efi: "snponly.efi", bios: "undionly.kpxe", arm64: null },
    mdns: { enable: true },
    files: { allowedRoots: ["/nix/store"] },
    // Loopback is the appliance itself, which holds every token in its state dir anyway; the
    // kernel drops 127/8 sources arriving from the LAN (route_localnet 0), so none can pose.
    security: { trustedClients: ["127.0.0.0/8"] },
    afterInstall: "local-boot",
    hooks: { onInstalled: null },
    power: { ipmitool: "ipmitool", timeoutMs: 30_000 },
  };
}

/** `current`: the value so far (a default or an earlier source), for keys merged deeply. */
type Check = (value: unknown, key: string, current?: unknown) => unknown;

const port: Check = (v, k) => {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 65535)
    throw new ConfigError(`${k}: expected a port number 0..65535, got ${JSON.stringify(v)}`);
  return v;
};
const int =
  (min: number, max: number): Check =>
  (v, k) => {
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
      throw new ConfigError(`${k}: expected an integer ${min}..${max}, got ${JSON.stringify(v)}`);
    return v;
  };
const bool: Check = (v, k) => {
  if (typeof v !== "boolean")
    throw new ConfigError(`${k}: expected true or false, got ${JSON.stringify(v)}`);
  return v;
};
const str: Check = (v, k) => {
  if (typeof v !== "string" || v === "")
    throw new ConfigError(`${k}: expected a non-empty string, got ${JSON.stringify(v)}`);
  return v;
};
const ipv4: Check = (v, k) => {
  if (typeof v !== "string" || !isIPv4(v))
    throw new ConfigError(`${k}: expected an IPv4 address, got ${JSON.stringify(v)}`);
  return v;
};
const fileName: Check = (v, k) => {
  if (typeof v !== "string" || !/^[A-Za-z0-9._-]+$/.test(v) || v.startsWith("."))
    throw new ConfigError(`${k}: expected a plain file name, got ${JSON.stringify(v)}`);
  return v;
};
const octalMode: Check = (v, k) => {
  if (typeof v !== "string" || !/^0?[0-7]{3}$/.test(v))
    throw new ConfigError(`${k}: expected an octal mode such as "0660", got ${JSON.stringify(v)}`);
  return v;
};
const absolutePaths: Check = (v, k) => {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string" && x.startsWith("/")))
    throw new ConfigError(`${k}: expected a list of absolute paths, got ${JSON.stringify(v)}`);
  return v as string[];
};
const cidrs: Check = (v, k) => {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string" && parseCidr(x) !== null))
    throw new ConfigError(
      `${k}: expected a list of IPv4 networks such as "10.1.0.0/16", got ${JSON.stringify(v)}`,
    );
  return v as string[];
};
const oneOf =
  (...allowed: string[]): Check =>
  (v, k) => {
    if (typeof v !== "string" || !allowed.includes(v))
      throw new ConfigError(
        `${k}: expected one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${JSON.stringify(v)}`,
      );
    return v;
  };
const command: Check = (v, k) => {
  if (v === null) return v;
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string" && x !== "")) {
    throw new ConfigError(
      `${k}: expected null or a non-empty array of strings [command, args...], got ${JSON.stringify(v)}`,
    );
  }
  return v as string[];
};

/**
 * `dhcp.server`: merged key by key over what an earlier source set (so `--force-dhcp` adds
 * `allowOtherServers` to the file's subnet), and checked whole. The subnet is checked
 * against `address` later, in dhcpServerOf, once every source is merged.
 */
const dhcpServer: Check = (v, k, current) => {
  if (v === null) return null;
  const merged = isObject(v) && isObject(current) ? { ...current, ...v } : v;
  parseServerConfig(merged, k);
  return merged;
};

/** Per key, how its value is checked; the shape mirrors Config. */
const SCHEMA: Record<string, Check | Record<string, Check>> = {
  address: ipv4,
  stateDir: str,
  http: { listen: ipv4, port },
  tftp: {
    enable: bool,
    port,
    maxBlksize: int(8, 65464),
    maxWindowsize: int(1, 65535),
    maxTransfers: int(1, 100000),
    maxPerClient: int(1, 100000),
    threads: int(0, 16),
  },
  dhcp: {
    enable: bool,
    port,
    proxyPort: port,
    answerUnknown: bool,
    mode: oneOf("proxy", "server"),
    server: dhcpServer,
  },
  control: { socket: str, mode: octalMode },
  ipxe: {
    dir: str,
    efi: fileName,
    bios: fileName,
    arm64: (v, k) => (v === null ? v : fileName(v, k)),
  },
  mdns: { enable: bool },
  files: { allowedRoots: absolutePaths },
  security: { trustedClients: cidrs },
  afterInstall: oneOf("local-boot", "ignore"),
  hooks: { onInstalled: command },
  power: { ipmitool: str, timeoutMs: int(1000, 600_000) },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Merge a partial config (from a file or flags) over `base`, checking every key. */
export function mergeConfig(base: Config, partial: unknown, origin: string): Config {
  if (!isObject(partial)) throw new ConfigError(`${origin}: expected a JSON object`);
  const out = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(partial)) {
    const rule = SCHEMA[key];
    if (rule === undefined) throw new ConfigError(`${origin}: unknown key "${key}"`);
    if (typeof rule === "function") {
      out[key] = rule(value, `${origin}: ${key}`, out[key]);
      continue;
    }
    if (!isObject(value)) throw new ConfigError(`${origin}: ${key}: expected an object`);
    const section = out[key] as Record<string, unknown>;
    for (const [sub, subValue] of Object.entries(value)) {
      const subRule = rule[sub];
      if (subRule === undefined) throw new ConfigError(`${origin}: unknown key "${key}.${sub}"`);
      section[sub] = subRule(subValue, `${origin}: ${key}.${sub}`, section[sub]);
    }
  }
  return out as unknown as Config;
}

export function loadConfigFile(path: string, base: Config = defaultConfig()): Config {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return mergeConfig(base, parsed, path);
}

/**
 * The DHCP server mode's settings, typed, not yet checked against `address` (doctor
 * reports that as a finding); null in proxy mode. Throws ConfigError naming the key
 * (server mode needs `dhcp.server.subnet`).
 */
export function dhcpServerSettings(config: Config): ServerConfig | null {
  if (config.dhcp.mode !== "server") return null;
  if (config.dhcp.server === null)
    throw new ConfigError('dhcp.server.subnet: required when dhcp.mode is "server"');
  return parseServerConfig(config.dhcp.server, "dhcp.server");
}

/** dhcpServerSettings, checked against the final `address`. Throws ConfigError. */
export function dhcpServerOf(config: Config): ServerConfig | null {
  const server = dhcpServerSettings(config);
  if (server) checkApplianceAddress(server.local, config.address);
  return server;
}
