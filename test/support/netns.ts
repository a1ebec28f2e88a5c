/**
 * Network namespaces joined by a bridge, for tests that run real DHCP peers on the real
 * ports. Everything created is removed by `destroy()` (call it from t.after / finally).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 20_000,
  });
}

export interface Member {
  readonly ns: string;
  readonly address: string | null;
  readonly mac: string;
}

export class Lan {
  readonly bridgeNs: string;
  readonly members = new Map<string, Member>();
  private readonly children: ChildProcess[] = [];

  constructor(readonly prefix: string) {
    this.bridgeNs = `${prefix}-br`;
    sh("ip", ["netns", "add", this.bridgeNs]);
    sh("ip", ["-n", this.bridgeNs, "link", "add", "br0", "type", "bridge"]);
    sh("ip", ["-n", this.bridgeNs, "link", "set", "br0", "up"]);
  }

  /** A namespace `PREFIX-NAME` with eth0 on the bridge, the given MAC and (optional) address. */
  add(name: string, mac: string, cidr: string | null): Member {
    const ns = `${this.prefix}-${name}`;
    sh("ip", ["netns", "add", ns]);
    const port = `p-${name}`.slice(0, 15);
    sh("ip", [
      "-n",
      this.bridgeNs,
      "link",
      "add",
      port,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      ns,
    ]);
    sh("ip", ["-n", this.bridgeNs, "link", "set", port, "master", "br0", "up"]);
    sh("ip", ["-n", ns, "link", "set", "eth0", "address", mac]);
    if (cidr) sh("ip", ["-n", ns, "addr", "add", cidr, "dev", "eth0"]);
    sh("ip", ["-n", ns, "link", "set", "eth0", "up"]);
    sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
    const m = { ns, address: cidr ? cidr.split("/")[0]! : null, mac };
    this.members.set(name, m);
    return m;
  }

  /**
   * A namespace `PREFIX-NAME` off the bridge, behind member `router`: a veth pair whose
   * router end is eth1 with `gatewayCidr` (forwarding on) and whose far end is eth0 with
   * `mac`, no address. Reached by name like a member; removed by destroy().
   */
  addBehind(router: string, name: string, mac: string, gatewayCidr: string): Member {
    const ns = `${this.prefix}-${name}`;
    const via = this.ns(router);
    sh("ip", ["netns", "add", ns]);
    const m = { ns, address: null, mac };
    this.members.set(name, m);
    sh("ip", [
      "-n",
      via,
      "link",
      "add",
      "eth1",
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      ns,
    ]);
    sh("ip", ["-n", via, "addr", "add", gatewayCidr, "dev", "eth1"]);
    sh("ip", ["-n", via, "link", "set", "eth1", "up"]);
    sh("ip", ["-n", ns, "link", "set", "eth0", "address", mac]);
    sh("ip", ["-n", ns, "link", "set", "eth0", "up"]);
    sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
    this.exec(router, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    return m;
  }

  ns(name: string): string {
    const m = this.members.get(name);
    if (!m) throw new Error(`no namespace ${name}`);
    return m.ns;
  }

  /** Runs a command in a namespace to completion and returns its stdout. */
  exec(name: string, cmd: string[], timeout = 30_000): string {
    return execFileSync("ip", ["netns", "exec", this.ns(name), ...cmd], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout,
    });
  }

  /**
   * `ip -4 -o addr show eth0` of a member once it lists an address (its DHCP client bound),
   * or as it is after `ms`: the caller's assertion says what was expected.
   */
  async boundAddress(name: string, ms: number): Promise<string> {
    const show = () => this.exec(name, ["ip", "-4", "-o", "addr", "show", "eth0"]);
    const deadline = Date.now() + ms;
    let addr = show();
    while (!/inet /.test(addr) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      addr = show();
    }
    return addr;
  }

  /** Starts a long-running process in a namespace; killed by destroy(). */
  spawn(name: string, cmd: string[]): ChildProcess {
    const c = spawn("ip", ["netns", "exec", this.ns(name), ...cmd], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.children.push(c);
    return c;
  }

  async destroy(): Promise<void> {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill("SIGKILL");
        await new Promise((r) => c.once("exit", r));
      }
    }
    for (const ns of [...[...this.members.values()].map((m) => m.ns), this.bridgeNs]) {
      try {
        sh("ip", ["netns", "del", ns]);
      } catch {
        // already gone
      }
    }
  }
}

/** Collects a child's stdout lines that parse as JSON; wait for one that matches. */
export class JsonLines {
  readonly lines: Array<Record<string, unknown>> = [];
  private waiters: Array<() => void> = [];

  constructor(c: ChildProcess) {
    createInterface({ input: c.stdout! }).on("line", (line) => {
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        return;
      }
      for (const w of this.waiters) w();
    });
  }

  waitFor<T>(pick: (v: Record<string, unknown>) => T | undefined, ms: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (const l of this.lines) {
          const got = pick(l);
          if (got !== undefined) {
            clearTimeout(timer);
            this.waiters = this.waiters.filter((w) => w !== check);
            resolve(got);
            return true;
          }
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`no matching output line within ${ms} ms`));
      }, ms);
      if (!check()) this.waiters.push(check);
    });
  }
}
