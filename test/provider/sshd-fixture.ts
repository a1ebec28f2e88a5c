import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateEd25519KeyPair, type OpenSshKeyPair } from "../../src/core/openssh-keys.js";

/**
 * A real OpenSSH sshd on 127.0.0.1 with everything (config, host key, authorized keys,
 * pid file) in its own temporary directory.
 */
export interface Sshd {
  dir: string;
  port: number;
  hostKeyPath: string;
  /** the key pair sshd starts with: the "installation host key" */
  installationKey: OpenSshKeyPair;
  /** the key the tests log in with */
  clientKey: OpenSshKeyPair;
  reloadCommand: string;
  /** host key files' contents and mtimes, to prove "nothing changed" */
  snapshot(): string;
  stop(): Promise<void>;
  /** stops sshd and starts it again on the same port, as the installer or the installed system */
  reboot(installer: boolean): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      s.close(() =>
        typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port")),
      );
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}:\n${log()}`);
    const ok = await new Promise<boolean>((res) => {
      const c = connect(port, "127.0.0.1");
      c.once("connect", () => (c.destroy(), res(true)));
      c.once("error", () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on ${port} within 5 s:\n${log()}`);
}

export async function startSshd(opts: { installer?: boolean } = {}): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), `lst-provider-sshd-${process.pid}-`));
  // sshd refuses to start without its privilege separation directory.
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const installationKey = generateEd25519KeyPair("installation");
  const clientKey = generateEd25519KeyPair("deployer");
  const hostKeyPath = join(dir, "ssh_host_ed25519_key");
  writeFileSync(hostKeyPath, installationKey.privateKey, { mode: 0o600 });
  writeFileSync(hostKeyPath + ".pub", installationKey.publicKey + "\n");
  writeFileSync(join(dir, "authorized_keys"), clientKey.publicKey + "\n");
  const port = await freePort();
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `ListenAddress 127.0.0.1`,
      `HostKey ${hostKeyPath}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      "StrictModes no",
      "UsePAM no",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      "",
    ].join("\n"),
  );
  let output = "";
  let child: ChildProcess;
  const fakeCmdline = join(dir, "installer-cmdline");
  writeFileSync(
    fakeCmdline,
    "console=ttyS0 landscaper.url=http://127.0.0.1:1 landscaper.token=t0k3n landscaper.mac=x\n",
  );
  // An absolute path: sshd re-executes itself on SIGHUP.
  const sshdArgs = ["/usr/sbin/sshd", "-D", "-e", "-f", config, "-p", String(port)];
  const spawnSshd = async (installer: boolean): Promise<void> => {
    // "The installer": the same sshd in a private mount namespace whose /proc/cmdline is
    // the kernel command line Landscaper gives its installer.
    child = installer
      ? spawn(
          "unshare",
          [
            "--mount",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            'mount --bind "$1" /proc/cmdline && shift && exec "$@"',
            "sh",
            fakeCmdline,
            ...sshdArgs,
          ],
          { stdio: ["ignore", "pipe", "pipe"] },
        )
      : spawn(sshdArgs[0]!, sshdArgs.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    await waitForPort(port, child, () => output);
  };
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  };
  const stop = async (): Promise<void> => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await spawnSshd(opts.installer ?? false);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    dir,
    port,
    hostKeyPath,
    installationKey,
    clientKey,
    reloadCommand: `kill -HUP "$(cat ${join(dir, "sshd.pid")})"`,
    snapshot: () =>
      [hostKeyPath, hostKeyPath + ".pub"]
        .map((f) => `${f} ${statSync(f).mtimeMs}\n${readFileSync(f, "utf8")}`)
        .join("\n"),
    stop,
    reboot: async (installer) => {
      await kill();
      await spawnSshd(installer);
    },
  };
}
