import type { Bmc } from "./bmc.js";

/**
 * What `ipmitool` is asked, and what its answers mean. Pure: no process is started here
 * (see run.ts), so the argument lists and the reading of its output are tested alone.
 */

export type PowerState = "on" | "off";

/** The chassis commands Landscaper sends, as ipmitool spells them. */
export type IpmiCommand = "status" | "on" | "off" | "cycle" | "pxe-once";

/** Why an ipmitool call failed, in words an operator can act on. */
export type IpmiFailure =
  | "unreachable" // no answer to the session handshake
  | "auth" // the BMC refused the user name or the password
  | "unsupported" // the BMC answered but refused the command
  | "timeout" // our own bound ran out and the process was killed
  | "failed"; // anything else ipmitool reported

/** Per-request timeout and retries ipmitool itself applies (-N, -R). */
export interface Patience {
  attemptSeconds: number;
  retries: number;
}

function commandWords(cmd: IpmiCommand, bmc: Bmc): string[] {
  switch (cmd) {
    case "status":
      return ["chassis", "power", "status"];
    case "on":
      return ["chassis", "power", "on"];
    case "off":
      return ["chassis", "power", "off"];
    case "cycle":
      return ["chassis", "power", "cycle"];
    case "pxe-once":
      // Without `persistent` the override holds for the next boot only; `efiboot` asks the
      // firmware for its UEFI network boot rather than legacy PXE.
      return bmc.firmware === "uefi"
        ? ["chassis", "bootdev", "pxe", "options=efiboot"]
        : ["chassis", "bootdev", "pxe"];
  }
}

/**
 * The argument list for one command. The password is not in it: `-E` makes ipmitool read
 * IPMI_PASSWORD from its environment, which only the child and root can read, whereas the
 * command line is world-readable in /proc. `-v` makes ipmitool say why a session failed
 * (wrong password and no answer otherwise print the same line).
 */
export function ipmitoolArgs(bmc: Bmc, cmd: IpmiCommand, patience: Patience): string[] {
  const args = ["-I", "lanplus", "-H", bmc.address, "-p", String(bmc.port), "-U", bmc.username];
  args.push("-E", "-N", String(patience.attemptSeconds), "-R", String(patience.retries), "-v");
  if (bmc.cipherSuite !== null) args.push("-C", String(bmc.cipherSuite));
  return [...args, ...commandWords(cmd, bmc)];
}

/** `Chassis Power is on` -> "on"; null when the output says neither. */
export function parsePowerStatus(stdout: string): PowerState | null {
  const m = /Chassis Power is (on|off)\b/i.exec(stdout);
  return m ? (m[1]!.toLowerCase() as PowerState) : null;
}

/** What ipmitool prints on stdout when a command took effect. */
const CONFIRMATION: Record<IpmiCommand, RegExp> = {
  status: /Chassis Power is (on|off)\b/i,
  on: /Chassis Power Control: Up\/On/i,
  off: /Chassis Power Control: Down\/Off/i,
  cycle: /Chassis Power Control: Cycle/i,
  "pxe-once": /Set Boot Device to pxe/i,
};

/**
 * Whether a command took effect. The exit status alone does not say: ipmitool 1.8.19 exits
 * 0 from `chassis bootdev` when the BMC refused to set the boot device.
 */
export function confirmed(cmd: IpmiCommand, exitCode: number | null, stdout: string): boolean {
  return exitCode === 0 && CONFIRMATION[cmd].test(stdout);
}

/**
 * Reads ipmitool's stderr (with -v) after a command that did not take effect. The patterns
 * are ipmitool 1.8.19's messages, checked against OpenIPMI's ipmi_sim: a wrong password
 * shows as an invalid RAKP 2 HMAC, an unknown user as "unauthorized name", silence as a
 * failed Get Channel Authentication Capabilities, a command the BMC rejects as
 * "... failed: REASON". (-v also prints "Invalid completion code" for probes that do not
 * matter, so only "failed:" lines count as a refusal.)
 */
export function classifyFailure(stderr: string): { kind: IpmiFailure; detail: string } {
  if (/RAKP 2 HMAC is invalid/i.test(stderr))
    return { kind: "auth", detail: "the BMC refused the password" };
  if (/unauthorized name/i.test(stderr))
    return { kind: "auth", detail: "the BMC does not know this user name" };
  const rakp = /RAKP \d message indicates an error : (.+)$/im.exec(stderr);
  if (rakp) return { kind: "auth", detail: `the BMC refused the session: ${rakp[1]!.trim()}` };
  const refused = /^(.*) failed: (.+)$/im.exec(stderr);
  if (refused) {
    const [, what, reason] = refused as unknown as [string, string, string];
    const unsupported = /Invalid (data field|command)|not supported|Parameter not supported/i.test(
      reason,
    );
    return {
      kind: unsupported ? "unsupported" : "failed",
      detail: `the BMC refused "${what.trim()}": ${reason.trim()}`,
    };
  }
  if (
    /Get Auth Capabilities error|No response from remote controller|Unable to establish/i.test(
      stderr,
    )
  )
    return { kind: "unreachable", detail: "no answer from the BMC" };
  return { kind: "failed", detail: lastLine(stderr) || "ipmitool failed without a message" };
}

/** The last line of ipmitool's stderr that is not verbose chatter. */
function lastLine(text: string): string {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^(Loading IANA PEN Registry|Running Get VSO|Discovered IPMB)/.test(l));
  return lines.at(-1) ?? "";
}
