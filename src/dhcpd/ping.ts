/**
 * "Is this address in use?" before offering it (RFC 2131 2.2, as dnsmasq and ISC dhcpd do).
 * Node has no raw or ICMP datagram sockets without a native addon, so this runs the system
 * `ping` (iputils) once per address, with its own timeout. It is off the packet path: the
 * address is held while the check runs and the OFFER leaves when it ends.
 */
import { spawn } from "node:child_process";

/** Resolves true when `ip` answered an ICMP echo within the wait. */
export type Pinger = (ip: string) => Promise<boolean>;

export interface PingerOptions {
  readonly waitMs: number;
  /** Pings running at once; more wait in line. */
  readonly maxInFlight?: number;
  /** Line length beyond which an address is offered unchecked (a storm must be answered). */
  readonly maxQueued?: number;
  /** The binary; tests may point elsewhere. */
  readonly command?: string;
  /** Called when a check was skipped (line full) or could not run (no binary). */
  readonly onUnchecked?: (ip: string, why: string) => void;
}

export function systemPinger(opts: PingerOptions): Pinger {
  const max = opts.maxInFlight ?? 32;
  const maxQueued = opts.maxQueued ?? 1024;
  const seconds = Math.max(0.001, opts.waitMs / 1000).toFixed(3);
  let running = 0;
  const line: Array<() => void> = [];

  const once = (ip: string) =>
    new Promise<boolean>((resolve) => {
      const p = spawn(opts.command ?? "ping", ["-c1", "-n", "-q", "-W", seconds, ip], {
        stdio: "ignore",
      });
      // A hung ping must not hold the address forever.
      const timer = setTimeout(() => p.kill("SIGKILL"), opts.waitMs + 2000);
      p.once("error", (e) => {
        clearTimeout(timer);
        opts.onUnchecked?.(ip, e.message);
        resolve(false);
      });
      p.once("exit", (code) => {
        clearTimeout(timer);
        resolve(code === 0);
      });
    });

  return async (ip) => {
    if (running >= max) {
      if (line.length >= maxQueued) {
        opts.onUnchecked?.(ip, "too many checks waiting");
        return false;
      }
      await new Promise<void>((r) => line.push(r));
    }
    running++;
    try {
      return await once(ip);
    } finally {
      running--;
      line.shift()?.();
    }
  };
}
