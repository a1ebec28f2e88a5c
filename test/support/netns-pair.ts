import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";

/**
 * Two network namespaces joined by a veth pair: `a` holds 10.X.Y.1/24, `b` 10.X.Y.2/24, where
 * X.Y come from the pid so parallel test runs of other helpers do not collide.
 */
export interface NetnsPair {
  readonly a: string;
  readonly b: string;
  readonly ifA: string;
  readonly ifB: string;
  readonly addrA: string;
  readonly addrB: string;
  readonly broadcast: string;
  /** Run a command to completion inside a namespace; returns stdout. */
  exec(ns: string, cmd: string[], input?: string): string;
  /** Start a long-running process inside a namespace. */
  spawn(ns: string, cmd: string[]): ChildProcess;
  destroy(): void;
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

export function createNetnsPair(tag: string): NetnsPair {
  const pid = process.pid;
  const a = `lst-${tag}-${pid}-a`;
  const b = `lst-${tag}-${pid}-b`;
  // interface names: at most 15 characters
  const ifA = `v${pid % 1000000}a`.slice(0, 15);
  const ifB = `v${pid % 1000000}b`.slice(0, 15);
  const x = 100 + (pid % 100);
  const y = (pid >> 7) % 250;
  const prefix = `10.${x}.${y}`;
  const children: ChildProcess[] = [];
  const destroy = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    for (const ns of [a, b]) {
      try {
        ip("netns", "del", ns);
      } catch {
        /* already gone */
      }
    }
  };
  try {
    ip("netns", "add", a);
    ip("netns", "add", b);
    ip("link", "add", ifA, "netns", a, "type", "veth", "peer", "name", ifB, "netns", b);
    for (const [ns, dev, addr] of [
      [a, ifA, `${prefix}.1`],
      [b, ifB, `${prefix}.2`],
    ] as const) {
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "addr", "add", `${addr}/24`, "brd", `${prefix}.255`, "dev", dev);
      ip("-n", ns, "link", "set", dev, "up");
      // multicast and limited broadcast leave through the veth (there is no default route)
      ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", dev);
      ip("-n", ns, "route", "add", "255.255.255.255/32", "dev", dev);
    }
  } catch (e) {
    destroy();
    throw e;
  }
  return {
    a,
    b,
    ifA,
    ifB,
    addrA: `${prefix}.1`,
    addrB: `${prefix}.2`,
    broadcast: `${prefix}.255`,
    exec(ns, cmd, input) {
      return execFileSync("ip", ["netns", "exec", ns, ...cmd], {
        encoding: "utf8",
        input,
        timeout: 30_000,
      });
    },
    spawn(ns, cmd) {
      const c = spawn("ip", ["netns", "exec", ns, ...cmd], { stdio: ["pipe", "pipe", "pipe"] });
      children.push(c);
      return c;
    },
    destroy,
  };
}

/** A pair and a scratch dir `lst-TAG-*` for one test, both removed after it. */
export function netnsPairForTest(t: TestContext, tag: string): { net: NetnsPair; dir: string } {
  const net = createNetnsPair(tag);
  const dir = mkdtempSync(join(tmpdir(), `lst-${tag}-`));
  t.after(() => {
    net.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  return { net, dir };
}
