import { randomBytes } from "node:crypto";
import { formatIp4 } from "../core/ipv4.js";
import type { Mac } from "../core/mac.js";
import { generateEd25519 } from "../core/openssh-keys.js";
import { pick } from "../core/pick.js";
import { HEADLINE, type MachineRecord, type MachineView, type Registration } from "./machine.js";
import { leasedIpv4 } from "./views.js";

/** A fresh install token: 192 random bits, URL- and cmdline-safe. */
export function newInstallToken(): string {
  return randomBytes(24).toString("base64url");
}

function installKey(mac: Mac, reg: Registration) {
  return reg.installationHostKey ?? generateEd25519(`landscaper-install@${reg.hostname ?? mac}`);
}

/** A new machine in generation 1, armed at `at`. */
export function newRecord(mac: Mac, reg: Registration, at: string): MachineRecord {
  return {
    mac,
    kernel: reg.kernel,
    initrd: reg.initrd,
    cmdline: reg.cmdline,
    hostname: reg.hostname,
    job: reg.job,
    hostKeyGiven: reg.installationHostKey !== null,
    installationHostKey: installKey(mac, reg),
    generation: 1,
    token: newInstallToken(),
    state: "registered",
    phase: null,
    progress: null,
    failure: null,
    hostPublicKey: null,
    registeredAt: at,
    armedAt: at,
    updatedAt: at,
    bootStartedAt: null,
    keyHandedOutAt: null,
    bmc: reg.bmc,
    ipv4: reg.ipv4,
    events: [],
  };
}

/**
 * Applies a registration to an existing machine; false when nothing changed (the idempotent
 * case). A generated host key is kept as long as the registration brings none.
 */
export function applyRegistration(m: MachineRecord, reg: Registration): boolean {
  const keyChanged =
    reg.installationHostKey !== null
      ? !m.hostKeyGiven || m.installationHostKey.publicKey !== reg.installationHostKey.publicKey
      : m.hostKeyGiven;
  const same =
    m.kernel === reg.kernel &&
    m.initrd === reg.initrd &&
    m.cmdline === reg.cmdline &&
    m.hostname === reg.hostname &&
    JSON.stringify(m.job) === JSON.stringify(reg.job) &&
    JSON.stringify(m.bmc ?? null) === JSON.stringify(reg.bmc) &&
    (m.ipv4 ?? null) === reg.ipv4 &&
    !keyChanged;
  if (same) return false;
  Object.assign(m, {
    kernel: reg.kernel,
    initrd: reg.initrd,
    cmdline: reg.cmdline,
    hostname: reg.hostname,
    job: reg.job,
    bmc: reg.bmc,
    ipv4: reg.ipv4,
  });
  if (keyChanged) {
    m.hostKeyGiven = reg.installationHostKey !== null;
    m.installationHostKey = installKey(m.mac, reg);
    m.keyHandedOutAt = null; // a new key: nobody has had it
  }
  return true;
}

/** What callers may see of a record: never the token, never the private key. */
export function toView(m: MachineRecord, bootUrl: string): MachineView {
  return {
    ...pick(m, HEADLINE),
    failure: m.failure,
    bootUrl,
    installationHostPublicKey: m.installationHostKey.publicKey,
    hostPublicKey: m.hostPublicKey,
    kernel: m.kernel,
    initrd: m.initrd,
    cmdline: m.cmdline,
    job: m.job,
    registeredAt: m.registeredAt,
    updatedAt: m.updatedAt,
    bmc: m.bmc ?? null,
    ipv4: m.ipv4 == null ? null : formatIp4(m.ipv4),
    leasedIpv4: leasedIpv4(m.events),
    events: [...m.events],
  };
}
