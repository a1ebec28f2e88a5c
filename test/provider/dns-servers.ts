import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./sshd-fixture.js";

/**
 * Real authoritative servers for the `dns_record_set` tests: Knot, BIND and PowerDNS, each
 * on 127.0.0.1 at a free high port with its own config, zones and TSIG key in a temporary
 * directory (no system service, nothing on port 53). Each serves `example.test.` and
 * `2.0.192.in-addr.arpa.` and lets the keys (hmac-sha256, -sha512, -sha1) update both. `updates()` reads the server's
 * own statistics, so a test can prove that a run sent no UPDATE.
 */

const run = promisify(execFile);

export type DnsServerKind = "knot" | "bind" | "pdns";
export const DNS_SERVER_KINDS: readonly DnsServerKind[] = ["knot", "bind", "pdns"];

export const ZONE = "example.test.";
export const REVERSE_ZONE = "2.0.192.in-addr.arpa.";
export const KEY_NAME = "landscaper-key.";
/** Every server knows these keys too (same secret), to prove the other algorithms. */
export const OTHER_KEYS = [
  { name: "landscaper-sha512.", algorithm: "hmac-sha512" },
  { name: "landscaper-sha1.", algorithm: "hmac-sha1" },
] as const;
const ALL_KEYS = [{ name: KEY_NAME, algorithm: "hmac-sha256" }, ...OTHER_KEYS];

export interface DnsServer {
  kind: DnsServerKind;
  dir: string;
  port: number;
  /** "127.0.0.1:port", the provider's `server` input */
  server: string;
  secret: string;
  /** the base64 secret alone, the provider's `tsigSecretFile` */
  secretFile: string;
  /** UPDATE messages the server has received, from its statistics */
  updates(): Promise<number>;
  stop(): Promise<void>;
  log(): string;
}

function zoneFile(origin: string): string {
  return [
    "$TTL 3600",
    `$ORIGIN ${origin}`,
    `@ SOA ns1.${ZONE} hostmaster.${ZONE} 1 3600 600 86400 300`,
    `@ NS ns1.${ZONE}`,
    ...(origin === ZONE ? ["ns1 A 127.0.0.1"] : []),
    "",
  ].join("\n");
}

function knotConf(dir: string, port: number, secret: string): string {
  return `server:
    rundir: "${dir}"
    listen: 127.0.0.1@${port}
control:
    listen: "${dir}/knot.sock"
log:
  - target: stderr
    any: info
database:
    storage: "${dir}/db"
key:
${ALL_KEYS.map((k) => `  - id: ${k.name}\n    algorithm: ${k.algorithm}\n    secret: ${secret}`).join("\n")}
acl:
  - id: update
    key: [${ALL_KEYS.map((k) => k.name).join(", ")}]
    action: update
mod-stats:
  - id: counts
    server-operation: on
template:
  - id: default
    storage: "${dir}"
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: changes
    global-module: mod-stats/counts
zone:
  - domain: ${ZONE}
    acl: update
  - domain: ${REVERSE_ZONE}
    acl: update
`;
}

function bindConf(dir: string, port: number, statsPort: number, secret: string): string {
  const zone = (z: string): string =>
    `zone "${z}" { type primary; file "${dir}/${z}zone"; update-policy { ${ALL_KEYS.map((k) => `grant ${k.name} zonesub ANY;`).join(" ")} }; };`;
  return `options {
  directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  recursion no;
  dnssec-validation no;
};
${ALL_KEYS.map((k) => `key "${k.name}" { algorithm ${k.algorithm}; secret "${secret}"; };`).join("\n")}
controls { };
statistics-channels { inet 127.0.0.1 port ${statsPort} allow { 127.0.0.1; }; };
${zone(ZONE)}
${zone(REVERSE_ZONE)}
`;
}

function pdnsConf(dir: string, port: number): string {
  return [
    "launch=gsqlite3",
    `gsqlite3-database=${dir}/pdns.sqlite3`,
    "local-address=127.0.0.1",
    `local-port=${port}`,
    `socket-dir=${dir}`,
    "daemon=no",
    "guardian=no",
    "disable-syslog=yes",
    "loglevel=5",
    "dnsupdate=yes",
    "allow-dnsupdate-from=127.0.0.0/8",
    "webserver=no",
    "",
  ].join("\n");
}

async function pdnsSetup(dir: string, secret: string): Promise<void> {
  const schema = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql";
  await run("sqlite3", ["-init", schema, join(dir, "pdns.sqlite3"), ".quit"]);
  const util = (...args: string[]) => run("pdnsutil", [`--config-dir=${dir}`, ...args]);
  for (const z of [ZONE, REVERSE_ZONE]) {
    await util("load-zone", z, join(dir, `${z}zone`));
    await util("set-meta", z, "TSIG-ALLOW-DNSUPDATE", ...ALL_KEYS.map((k) => k.name));
  }
  for (const k of ALL_KEYS) await util("import-tsig-key", k.name, k.algorithm, secret);
}

async function counter(kind: DnsServerKind, dir: string, statsPort: number): Promise<number> {
  switch (kind) {
    case "knot": {
      const { stdout } = await run("knotc", ["-s", join(dir, "knot.sock"), "stats"]);
      const m = /mod-stats\.server-operation\[update\] = (\d+)/.exec(stdout);
      return m ? Number(m[1]) : 0;
    }
    case "bind": {
      const res = await fetch(`http://127.0.0.1:${statsPort}/json/v1/server`, {
        signal: AbortSignal.timeout(5000),
      });
      const body = (await res.json()) as { opcodes?: Record<string, number> };
      return body.opcodes?.UPDATE ?? 0;
    }
    case "pdns": {
      const { stdout } = await run("pdns_control", [
        `--config-dir=${dir}`,
        `--socket-dir=${dir}`,
        "show",
        "dnsupdate-queries",
      ]);
      return Number(stdout.trim());
    }
  }
}

/** `kdig +short`: the record set as an independent client sees it. */
export async function dig(port: number, name: string, type: string): Promise<string[]> {
  const { stdout } = await run(
    "kdig",
    [`@127.0.0.1`, "-p", String(port), "+short", "+norecurse", "+timeout=2", name, type],
    { timeout: 10_000 },
  );
  return stdout
    .split("\n")
    .filter((l) => l !== "")
    .sort();
}

/** A change made by hand, with knsupdate (another client than ours). */
export async function handUpdate(s: DnsServer, zone: string, lines: string[]): Promise<void> {
  const script = [`server 127.0.0.1 ${s.port}`, `zone ${zone}`, ...lines, "send", ""].join("\n");
  const child = execFile("knsupdate", ["-t", "5", "-y", `hmac-sha256:${KEY_NAME}:${s.secret}`], {
    timeout: 15_000,
  });
  child.stdin?.end(script);
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  if (code !== 0) throw new Error(`knsupdate exited with ${code} for ${lines.join("; ")}`);
}

async function waitReady(child: ChildProcess, port: number, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${log()}`);
    try {
      const soa = await dig(port, REVERSE_ZONE, "SOA");
      if (soa.length > 0 && (await dig(port, ZONE, "SOA")).length > 0) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not answer on ${port} within the time allowed:\n${log()}`);
}

export async function startDnsServer(kind: DnsServerKind): Promise<DnsServer> {
  const dir = mkdtempSync(join(tmpdir(), `lst-dns-${kind}-${process.pid}-`));
  const port = await freePort();
  const statsPort = await freePort();
  const secret = randomBytes(32).toString("base64");
  const secretFile = join(dir, "tsig.secret");
  writeFileSync(secretFile, secret + "\n", { mode: 0o600 });
  for (const z of [ZONE, REVERSE_ZONE]) writeFileSync(join(dir, `${z}zone`), zoneFile(z));
  let argv: string[];
  switch (kind) {
    case "knot":
      mkdirSync(join(dir, "db"));
      writeFileSync(join(dir, "knot.conf"), knotConf(dir, port, secret));
      argv = ["knotd", "-c", join(dir, "knot.conf")];
      break;
    case "bind":
      writeFileSync(join(dir, "named.conf"), bindConf(dir, port, statsPort, secret));
      argv = ["named", "-g", "-c", join(dir, "named.conf")];
      break;
    case "pdns":
      writeFileSync(join(dir, "pdns.conf"), pdnsConf(dir, port));
      await pdnsSetup(dir, secret);
      argv = ["pdns_server", `--config-dir=${dir}`];
      break;
  }
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const log = (): string => out.slice(-4000);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(child, port, log);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    kind,
    dir,
    port,
    server: `127.0.0.1:${port}`,
    secret,
    secretFile,
    updates: () => counter(kind, dir, statsPort),
    stop,
    log,
  };
}
