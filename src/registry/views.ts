/**
 * The projections of the one MachineView: what the status page, `watch` and the provider
 * read of it, and what the page may show: a whitelist of fields, boot steps as text, the
 * failure log's tail with anything secret-looking cut out. Pure functions.
 */
import type { Mac } from "../core/mac.js";
import { pick } from "../core/pick.js";
import { HEADLINE, type Headline, type MachineEvent, type MachineView } from "./machine.js";

/** What the status page reads of a machine. */
export type StatusSource = Pick<
  MachineView,
  Headline | "failure" | "registeredAt" | "updatedAt" | "events" | "ipv4" | "leasedIpv4"
>;

/** What `landscaper watch` reads of the control API's machine (events only from a GET). */
export type WatchSource = Pick<MachineView, Headline | "updatedAt"> & {
  failure: Pick<NonNullable<MachineView["failure"]>, "message"> | null;
  events?: MachineView["events"];
};

/** What the NixOps4 provider reads and outputs. */
export type ProviderSource = Pick<
  MachineView,
  "mac" | "state" | "generation" | "bootUrl" | "installationHostPublicKey" | "phase" | "failure"
>;

/** A boot step as the status page and `watch` show it. */
export interface PublicStep {
  at: string;
  type: string;
  text: string;
}

/** The status page's machine: this generation's steps as text, the failure log's tail. */
export type PublicMachine = Omit<StatusSource, "failure" | "events"> & {
  failure: { message: string; logTail: string | null } | null;
  steps: PublicStep[];
};

export const LOG_TAIL_LINES = 60;
export const LOG_TAIL_BYTES = 8192;

/**
 * An installer log may echo /proc/cmdline (the token), an Authorization header, or the
 * job (the installation host's private key): none of that reaches an unauthenticated page.
 */
export function scrubSecrets(text: string): string {
  return (
    text
      .replace(
        /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
        "[private key hidden]",
      )
      // A log cut to its tail can start inside a key: an END with no BEGIN before it hides
      // everything up to it.
      .replace(/^[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/, "[private key hidden]")
      .replace(/(landscaper\.token=)\S+/gi, "$1[hidden]")
      .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, "$1[hidden]")
      .replace(/(\btoken["']?\s*[:=]\s*["']?)[A-Za-z0-9._~+/=-]{8,}/gi, "$1[hidden]")
  );
}

export function logTail(log: string | null): string | null {
  if (log === null || log === "") return null;
  // Scrub before cutting: a cut could drop a key's BEGIN line and leave its body unmatched.
  let tail = scrubSecrets(log).split("\n").slice(-LOG_TAIL_LINES).join("\n");
  if (tail.length > LOG_TAIL_BYTES) tail = "…" + tail.slice(-LOG_TAIL_BYTES);
  return tail;
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Server mode's lease events, as the status page and `watch` say them. */
const LEASE_TEXT: Record<string, string> = {
  ack: "leased",
  released: "released",
  declined: "declined by the machine (in use)",
  "in use": "answers ping: not offered",
};

/**
 * The address server mode leased the machine and it has not given back: the address of
 * its last `dhcp-lease` ack not followed by a release or decline of that address, while
 * that ack's lease (`until`) has not run out at `nowMs`; null when there is none (always in
 * proxy mode). Read from the kept history, where a rearm's summary keeps the lease that
 * still stands (history.ts).
 */
export function leasedIpv4(events: readonly MachineEvent[], nowMs = Date.now()): string | null {
  let leased: string | null = null;
  let until = Infinity;
  for (const e of events) {
    if (e.type !== "dhcp-lease") continue;
    const ip = str(e.ip);
    if (e.lease === "ack") {
      leased = ip;
      // Acks written before leases carried their end (2026-12-02) count as current.
      const end = Date.parse(str(e.until) ?? "");
      until = Number.isNaN(end) ? Infinity : end;
    } else if ((e.lease === "released" || e.lease === "declined") && ip === leased) leased = null;
  }
  return until > nowMs ? leased : null;
}

/** One line of human text per boot step. */
export function stepText(e: MachineEvent): string {
  switch (e.type) {
    case "dhcp": {
      const arch = num(e.arch);
      const file = str(e.file);
      return `DHCP answer to ${str(e.clientKind) ?? "client"}${arch !== null ? ` (arch ${arch})` : ""}${file ? `: ${file}` : ""}${num(e.port) !== null ? ` on port ${num(e.port)}` : ""}`;
    }
    case "dhcp-lease": {
      const what = LEASE_TEXT[str(e.lease) ?? ""] ?? str(e.lease) ?? "?";
      return `DHCP address ${str(e.ip) ?? "?"} ${what}`;
    }
    case "tftp": {
      const bytes = num(e.bytes);
      const ms = num(e.ms);
      return `TFTP ${str(e.file) ?? "?"} ${str(e.outcome) ?? ""}${bytes !== null ? `, ${size(bytes)}` : ""}${ms !== null ? ` in ${Math.round(ms)} ms` : ""}`;
    }
    case "script":
      return "iPXE script served";
    case "kernel":
      return "kernel fetched";
    case "initrd":
      return "initrd fetched";
    case "job":
      return "installer fetched its job";
    case "progress": {
      const p = num(e.progress);
      const msg = str(e.message);
      return `${str(e.phase) ?? "progress"}${p !== null ? ` ${p}%` : ""}${msg ? `: ${scrubSecrets(msg)}` : ""}`;
    }
    case "complete":
      return "installed";
    case "failed":
      return `failed: ${scrubSecrets(str(e.message) ?? "")}`;
    case "state":
      return `now ${e.state}`;
    case "registered":
      return "registered";
    case "updated":
      return "registration updated";
    case "rearmed":
      return "re-armed (new generation)";
    case "hook":
      return `hook ${str(e.outcome) ?? str(e.message) ?? "ran"}`;
    case "warning":
      return e.reason === "script-refused"
        ? `warning: install script refused to ${str(e.client) ?? "?"}${str(e.owner) ? ` (${str(e.owner)})` : ""}, not this machine`
        : e.reason === "job-fetched-again"
          ? "warning: job and host key asked for again; someone else may have them (rearm)"
          : `warning: ${str(e.reason) ?? "?"}`;
    case "power":
      return powerText(e);
    default:
      // "removed", or a type a newer server sends to an older `watch`
      return (e as { type: string }).type;
  }
}

/**
 * A BMC power action: what was sent and the power it left, or why it failed. The failure
 * message names the password file; the page is unauthenticated, so paths are left out.
 */
function powerText(e: MachineEvent): string {
  const what = `power ${str(e.action) ?? "?"}${str(e.trigger) ? ` (${str(e.trigger)})` : ""}`;
  if (e.ok === true) {
    const sent = Array.isArray(e.sent) ? e.sent.filter((c) => typeof c === "string") : [];
    const power = str(e.power);
    return `${what}: ${sent.length > 0 ? sent.join(", ") : "nothing to send"}${power ? `, power ${power}` : ""}`;
  }
  const error = (typeof e.error === "object" && e.error !== null ? e.error : {}) as Record<
    string,
    unknown
  >;
  const message = (str(error.message) ?? "").replace(/(^|[\s(])\/[^\s,;)]+/g, "$1[path]");
  return `${what} failed${str(error.kind) ? ` (${str(error.kind)})` : ""}: ${scrubSecrets(message)}`;
}

/** The page's view of one machine: this generation's steps only, secrets never. */
export function publicMachine(m: StatusSource): PublicMachine {
  return {
    ...pick(m, HEADLINE),
    failure: m.failure
      ? { message: scrubSecrets(m.failure.message), logTail: logTail(m.failure.log) }
      : null,
    registeredAt: m.registeredAt,
    updatedAt: m.updatedAt,
    ipv4: m.ipv4,
    leasedIpv4: m.leasedIpv4,
    steps: m.events
      .filter((e) => e.generation === m.generation)
      // "complete" and "failed" already say it; their state event would repeat it
      .filter((e) => !(e.type === "state" && (e.state === "installed" || e.state === "failed")))
      .map((e) => ({ at: e.at, type: e.type, text: stepText(e) })),
  };
}

/**
 * The command that registers a client seen but not registered (status page, `machines
 * discovered`, `watch`): the operator fills in the installer's files.
 */
export function registerCommand(mac: Mac): string {
  return `landscaper machines add ${mac} --kernel KERNEL --initrd INITRD`;
}
