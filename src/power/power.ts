import type { Mac } from "../core/mac.js";
import { bmcEndpoint, type Bmc } from "./bmc.js";
import {
  classifyFailure,
  confirmed,
  ipmitoolArgs,
  parsePowerStatus,
  type IpmiCommand,
  type IpmiFailure,
  type Patience,
  type PowerState,
} from "./ipmitool.js";
import { readPassword, runIpmitool } from "./run.js";
import { SerialQueues } from "./serial.js";

/**
 * What can be asked of a machine's BMC.
 * - `status`, `on`, `off`, `cycle`: the chassis power commands (`on` and `cycle` may be
 *   preceded by `pxe-once` with the `pxeOnce` option);
 * - `pxe-once`: the next boot, and only that one, from the network;
 * - `arm`: the next boot from the network, once, then power on, or cycle when it is on
 *   (what a registration or a rearm needs: the machine must boot the installer now);
 * - `ensure-on`: when it is off, the next boot from the network and power on; when it is
 *   on, nothing (a retry that never interrupts a machine that may be booting).
 */
export type PowerAction = "status" | "on" | "off" | "cycle" | "pxe-once" | "arm" | "ensure-on";
export const POWER_ACTIONS: readonly PowerAction[] = [
  "status",
  "on",
  "off",
  "cycle",
  "pxe-once",
  "arm",
  "ensure-on",
];

/** A machine's BMC, and how messages name the machine (see machineLabel). */
export interface PowerTarget {
  machine: string;
  bmc: Bmc;
}

/** `web-1 (52:54:00:12:34:56)`, or the MAC alone: how power messages name a machine. */
export function machineLabel(mac: Mac, hostname: string | null): string {
  return hostname ? `${hostname} (${mac})` : mac;
}

export interface PowerOutcome {
  action: PowerAction;
  machine: string;
  /** `ADDRESS:PORT` of the BMC. */
  bmc: string;
  /** The power state read before acting, when the action reads it. */
  before: PowerState | null;
  /** The commands that took effect, in order (`pxe-once`, `on`, ...). */
  sent: IpmiCommand[];
  /**
   * The power state the action leaves: read from the BMC for status and pxe-once, implied
   * by the confirmed command for the others.
   */
  power: PowerState;
  ms: number;
}

export type PowerFailure = IpmiFailure | "password" | "no-ipmitool";

/** An action that did not complete; `sent` says what had taken effect before it stopped. */
export class PowerError extends Error {
  override name = "PowerError";
  constructor(
    readonly kind: PowerFailure,
    readonly action: PowerAction,
    readonly machine: string,
    readonly bmc: string,
    readonly sent: IpmiCommand[],
    message: string,
  ) {
    super(message);
  }
}

export interface PowerOptions {
  /** The ipmitool program (a path, or a name looked up on PATH). */
  ipmitool?: string;
  /** Hard bound on one ipmitool process; it is killed after this. */
  callTimeoutMs?: number;
  /** ipmitool's own per-request timeout and retries (-N, -R), well inside callTimeoutMs. */
  patience?: Patience;
}

const HINTS: Record<PowerFailure, string> = {
  unreachable: "is the BMC on the network, with IPMI over LAN enabled on that UDP port?",
  auth: "check the user name and the password file",
  unsupported: "this BMC does not support the command",
  timeout: "the BMC or the network is too slow, or ipmitool hung",
  failed: "",
  password: "",
  "no-ipmitool": "install ipmitool (Debian: apt install ipmitool; NixOS: pkgs.ipmitool)",
};

/**
 * Drives BMCs with ipmitool over IPMI-over-LAN (lanplus). Every action on one BMC waits for
 * the one before it; actions on different BMCs run side by side. Errors are PowerErrors
 * whose message names the machine and the BMC and never holds the password.
 */
export class Power {
  private readonly queues = new SerialQueues();
  private readonly program: string;
  private readonly callTimeoutMs: number;
  private readonly patience: Patience;

  constructor(opts: PowerOptions = {}) {
    this.program = opts.ipmitool ?? "ipmitool";
    this.callTimeoutMs = opts.callTimeoutMs ?? 30_000;
    this.patience = opts.patience ?? { attemptSeconds: 2, retries: 3 };
  }

  /** Runs `action`, after any earlier action on the same BMC has finished. */
  perform(
    target: PowerTarget,
    action: PowerAction,
    opts: { pxeOnce?: boolean } = {},
  ): Promise<PowerOutcome> {
    const endpoint = bmcEndpoint(target.bmc);
    return this.queues.run(endpoint, async () => {
      const started = Date.now();
      const sent: IpmiCommand[] = [];
      const password = await readPassword(target.bmc).catch((err: Error) => {
        throw this.error("password", action, target, sent, err.message);
      });
      const send = async (cmd: IpmiCommand): Promise<string> => {
        const stdout = await this.call(target, action, cmd, password, sent);
        if (cmd !== "status") sent.push(cmd);
        return stdout;
      };
      const status = async (): Promise<PowerState> => {
        const s = parsePowerStatus(await send("status"));
        if (s === null) throw this.error("failed", action, target, sent, "unreadable power status");
        return s;
      };
      let before: PowerState | null = null;
      let power: PowerState;
      switch (action) {
        case "status":
          power = before = await status();
          break;
        case "on":
        case "cycle":
          if (opts.pxeOnce) await send("pxe-once");
          await send(action);
          power = "on";
          break;
        case "off":
          await send("off");
          power = "off";
          break;
        case "pxe-once":
          await send("pxe-once");
          power = await status();
          break;
        case "arm":
          before = await status();
          await send("pxe-once");
          // Chassis power cycle of a machine that is off is refused by many BMCs
          // ("not supported in present state"): power on is the cycle's second half.
          await send(before === "on" ? "cycle" : "on");
          power = "on";
          break;
        case "ensure-on":
          power = before = await status();
          if (before === "off") {
            await send("pxe-once");
            await send("on");
            power = "on";
          }
          break;
      }
      return {
        action,
        machine: target.machine,
        bmc: endpoint,
        before,
        sent,
        power,
        ms: Date.now() - started,
      };
    });
  }

  /** One ipmitool process for `cmd`; its stdout when the command took effect. */
  private async call(
    target: PowerTarget,
    action: PowerAction,
    cmd: IpmiCommand,
    password: string,
    sent: IpmiCommand[],
  ): Promise<string> {
    const args = ipmitoolArgs(target.bmc, cmd, this.patience);
    const run = await runIpmitool(this.program, args, password, this.callTimeoutMs);
    if (run.spawnError) {
      const kind = run.spawnError.code === "ENOENT" ? "no-ipmitool" : "failed";
      throw this.error(
        kind,
        action,
        target,
        sent,
        `cannot run ${this.program} (${run.spawnError.code})`,
      );
    }
    if (run.timedOut)
      throw this.error(
        "timeout",
        action,
        target,
        sent,
        `"${cmd}" got no result within ${this.callTimeoutMs} ms`,
      );
    if (confirmed(cmd, run.exitCode, run.stdout)) return run.stdout;
    const { kind, detail } = classifyFailure(run.stderr);
    // ipmitool does not print the password, but its messages must never carry it anyway.
    const safe = detail.split(password).join("<password>");
    throw this.error(kind, action, target, sent, `"${cmd}": ${safe}`);
  }

  private error(
    kind: PowerFailure,
    action: PowerAction,
    t: PowerTarget,
    sent: IpmiCommand[],
    detail: string,
  ): PowerError {
    const endpoint = bmcEndpoint(t.bmc);
    const hint =
      kind === "auth"
        ? `${HINTS.auth} (user ${JSON.stringify(t.bmc.username)}, ${t.bmc.passwordFile})`
        : HINTS[kind];
    const done = sent.length > 0 ? ` (already done: ${sent.join(", ")})` : "";
    return new PowerError(
      kind,
      action,
      t.machine,
      endpoint,
      [...sent],
      `power ${action} of ${t.machine} through BMC ${endpoint} failed: ${detail}${hint ? `; ${hint}` : ""}${done}`,
    );
  }
}
