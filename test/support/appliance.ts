import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestContext } from "node:test";
import { createNetnsPair, type NetnsPair } from "./netns-pair.js";

export const CLI = resolve(import.meta.dirname, "../../src/cli/main.js");

/** A free TCP port on loopback (closed again before use; good enough on a test machine). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export interface RunningServe {
  proc: ChildProcess;
  dir: string;
  socket: string;
  stateDir: string;
  httpPort: number;
  base: string;
  stderr: () => string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

export interface ServeOptions {
  dir?: string;
  extra?: string[];
  httpPort?: number;
  tftp?: boolean;
  config?: Record<string, unknown>;
  /** DHCP on these ports (else none). */
  dhcp?: { port: number; proxyPort: number };
  /** A command serve runs under, such as `nsenter -t PID -m --` (it must exec, keeping the PID). */
  prefix?: string[];
  /** `--address` (default 127.0.0.1): the appliance's address, e.g. in a namespace. */
  address?: string;
}

/**
 * Starts the real `landscaper serve` on loopback with a fresh state dir (or the given one).
 * Its config file allows registered files under the test's dir (the default root is only
 * /nix/store), plus what `config` says.
 */
export async function startServe(opts: ServeOptions = {}): Promise<RunningServe> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), "lst-spine-")));
  const configFile = join(dir, "serve-config.json");
  await writeFile(
    configFile,
    JSON.stringify({ files: { allowedRoots: [dir] }, ...opts.config }, null, 2),
  );
  const socket = join(dir, "control.sock");
  const stateDir = join(dir, "state");
  const httpPort = opts.httpPort ?? (await freePort());
  const [command, ...prefixArgs] = [...(opts.prefix ?? []), process.execPath];
  const address = opts.address ?? "127.0.0.1";
  const proc = spawn(
    command,
    [
      ...prefixArgs,
      CLI,
      "serve",
      "--config",
      configFile,
      "--address",
      address,
      "--state-dir",
      stateDir,
      "--socket",
      socket,
      "--http-port",
      String(httpPort),
      ...(opts.dhcp
        ? ["--dhcp-port", String(opts.dhcp.port), "--proxy-dhcp-port", String(opts.dhcp.proxyPort)]
        : ["--no-dhcp"]),
      ...(opts.tftp ? [] : ["--no-tftp"]),
      "--no-mdns",
      ...(opts.extra ?? []),
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LANDSCAPER_LOG_LEVEL: logLevel() },
    },
  );
  let err = "";
  proc.stderr?.on("data", (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  // Up once its log says so: the control socket answers before TFTP and DHCP listen.
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`serve exited ${proc.exitCode}: ${err}`);
    if (err.includes("landscaper serving")) break;
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`serve did not come up in 15 s: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    proc,
    dir,
    socket,
    stateDir,
    httpPort,
    base: `http://${address}:${httpPort}`,
    stderr: () => err,
    stop: async () => {
      proc.kill("SIGTERM");
      return exited;
    },
    kill: async () => {
      proc.kill("SIGKILL");
      await exited;
    },
  };
}

/** Its readiness is a log line: info at least, whatever the caller's environment says. */
function logLevel(): string {
  const asked = process.env.LANDSCAPER_LOG_LEVEL;
  return asked === "debug" || asked === "trace" ? asked : "info";
}

export async function cleanup(s: RunningServe): Promise<void> {
  if (s.proc.exitCode === null && s.proc.signalCode === null) await s.kill();
  await rm(s.dir, { recursive: true, force: true });
}

/** The install token, as a machine learns it: from its iPXE script. */
export async function tokenFromScript(base: string, mac: string): Promise<string> {
  const text = await (await fetch(`${base}/boot/${mac}.ipxe`)).text();
  const m = /landscaper\.token=(\S+)/.exec(text);
  if (!m?.[1]) throw new Error(`no token in script: ${text}`);
  return m[1];
}

type PairServeOptions = Omit<ServeOptions, "dir" | "prefix" | "address">;

/**
 * `landscaper serve` in namespace `a` of a fresh netns pair (see netns-pair.ts), at its
 * address, with a fresh dir; `b` is the LAN's other host. Serve, namespaces and dir are
 * removed after the test.
 */

export async function serveInNetnsPair(
  t: TestContext,
  tag: string,
  /** Or a function of the pair, for settings that name its addresses. */
  opts: PairServeOptions | ((net: NetnsPair) => PairServeOptions),
): Promise<{ net: NetnsPair; dir: string; serve: RunningServe }> {
  const net = createNetnsPair(tag);
  const dir = mkdtempSync(join(tmpdir(), `lst-${tag}-`));
  let serve: RunningServe | null = null;
  t.after(async () => {
    await serve?.kill();
    net.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  serve = await startServe({
    ...(typeof opts === "function" ? opts(net) : opts),
    dir,
    prefix: ["ip", "netns", "exec", net.a],
    address: net.addrA,
  });
  return { net, dir, serve };
}
