import type { MachineState } from "../registry/machine.js";

/**
 * What just happened to a machine's registration:
 * - `registration`: a new machine (PUT of an unknown MAC);
 * - `rearm`: a new generation asked through the control API or the CLI;
 * - `reinstall`: the provider's `reinstall` counter changed (it rearms);
 * - `reapply`: PUT of a known MAC, changed or not, same generation (every `nixops4 apply`).
 */
export type PowerTrigger = "registration" | "rearm" | "reinstall" | "reapply";

/** The machine as the registry holds it after the change. */
export interface PowerSubject {
  state: MachineState;
  /** Whether this generation has booted at all yet (a DHCP answer, a script or a file). */
  bootStarted: boolean;
  hasBmc: boolean;
}

/** `arm` and `ensure-on` are Power actions (power.ts); null: leave the power alone. */
export interface PowerDecision {
  action: "arm" | "ensure-on" | null;
  why: string;
}

/**
 * Which power action an arming change calls for. Arming (a new machine, a rearm, a
 * reinstall) must boot the installer now: next boot from the network, power on or cycle.
 * A plain re-apply never cycles anything: it only powers on a machine that is armed, has
 * not started to boot and is off (a power-on that failed earlier, or a machine switched
 * off by hand), so an installed or installing machine is left exactly as it is.
 */
export function powerDecision(trigger: PowerTrigger, m: PowerSubject): PowerDecision {
  if (!m.hasBmc) return { action: null, why: "no BMC" };
  switch (trigger) {
    case "registration":
      return { action: "arm", why: "a new machine is armed" };
    case "rearm":
    case "reinstall":
      return { action: "arm", why: `${trigger}: a new generation must boot the installer` };
    case "reapply":
      if (m.state === "registered" && !m.bootStarted)
        return { action: "ensure-on", why: "armed and not yet booted: powered on if off" };
      return { action: null, why: `a re-apply leaves a ${bootedWord(m)} machine alone` };
  }
}

function bootedWord(m: PowerSubject): string {
  return m.state === "registered" ? "booting" : m.state;
}
