import { resolve } from "node:path";
import { ControlError, controlRequest } from "../control/client.js";
import type { PowerOutcome } from "../power/power.js";
import type { MachineView } from "../registry/machine.js";
import { resolveMachine, socketOf } from "./client.js";
import { argument, flag, integerOption, stringOption, UsageError } from "./parse.js";
import type { Call } from "./spec.js";

export function age(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join("  ")
          .trimEnd(),
      )
      .join("\n") + "\n"
  );
}

function progressText(m: MachineView): string {
  if (m.state === "failed") return m.failure?.message ?? "";
  if (!m.phase) return "";
  return m.progress === null ? m.phase : `${m.phase} ${m.progress}%`;
}

function describe(m: MachineView): string {
  const lines = [
    `mac:        ${m.mac}`,
    `hostname:   ${m.hostname ?? "-"}`,
    `ipv4:       ${m.ipv4 ?? "-"}`,
    `leased:     ${m.leasedIpv4 ?? "-"}`,
    `state:      ${m.state} (generation ${m.generation})`,
    `progress:   ${progressText(m) || "-"}`,
    `boot URL:   ${m.bootUrl}`,
    `kernel:     ${m.kernel}`,
    `initrd:     ${m.initrd}`,
    `cmdline:    ${m.cmdline || "-"}`,
    `install key: ${m.installationHostPublicKey}`,
  ];
  if (m.hostPublicKey) lines.push(`host key:   ${m.hostPublicKey}`);
  if (m.bmc)
    lines.push(
      `bmc:        ipmi ${m.bmc.address}:${m.bmc.port} user ${m.bmc.username}, password in ${m.bmc.passwordFile}`,
    );
  if (m.failure?.log)
    lines.push(
      "failure log (tail):",
      ...m.failure.log
        .split("\n")
        .slice(-20)
        .map((l) => "  " + l),
    );
  lines.push("events:");
  for (const e of m.events.slice(-20)) {
    const { at, type, state, mac: _mac, generation: _generation, ...rest } = e;
    const extra = Object.entries(rest)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `${k}=${fieldText(v)}`)
      .join(" ");
    lines.push(`  ${at}  ${type.padEnd(9)} ${state.padEnd(10)} ${extra}`);
  }
  return lines.join("\n") + "\n";
}

/** Prints the answer: the JSON document with --json, else the text. */
/**
 * An event field on one line: a list comma-joined (a power event's `sent`: pxe-once,on),
 * an object as JSON (its `error`: kind and message, what the operator needs to act on).
 */
function fieldText(v: unknown): string {
  if (Array.isArray(v))
    return v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(",");
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function print(call: Call, value: unknown, text: () => string): number {
  process.stdout.write(flag(call, "json") ? JSON.stringify(value, null, 2) + "\n" : text());
  return 0;
}

export async function list(call: Call): Promise<number> {
  const { body } = await controlRequest(socketOf(call), "GET", "/v1/machines");
  const machines = (body as { machines: MachineView[] }).machines;
  return print(call, machines, () =>
    machines.length === 0
      ? "no machines registered\n"
      : table([
          ["MAC", "HOSTNAME", "IPV4", "LEASED", "STATE", "GEN", "PROGRESS", "UPDATED"],
          ...machines.map((m) => [
            m.mac,
            m.hostname ?? "-",
            m.ipv4 ?? "-",
            m.leasedIpv4 ?? "-",
            m.state,
            String(m.generation),
            progressText(m) || "-",
            age(m.updatedAt),
          ]),
        ]),
  );
}

export async function show(call: Call): Promise<number> {
  const sock = socketOf(call);
  const { mac } = await resolveMachine(sock, argument(call, "MACHINE"));
  const { body } = await controlRequest(sock, "GET", `/v1/machines/${mac}`);
  return print(call, body, () => describe(body as MachineView));
}

export async function add(call: Call): Promise<number> {
  const sock = socketOf(call);
  const target = await resolveMachine(sock, argument(call, "MACHINE")).catch((e: unknown) => {
    if (e instanceof ControlError && e.code === "unknown_machine")
      throw new ControlError(`${e.message}; a new machine is added by its MAC`, null, e.code);
    throw e;
  });
  const body: Record<string, unknown> = {
    kernel: resolve(stringOption(call, "kernel")!),
    initrd: resolve(stringOption(call, "initrd")!),
  };
  // A PUT replaces the registration: what no flag gives is kept from the machine as it is.
  const given = bmcOf(call);
  const ipv4 = stringOption(call, "ipv4");
  const current =
    given === undefined || ipv4 === undefined ? await currentMachine(sock, target.mac) : null;
  const bmc = given ?? current?.bmc;
  if (bmc) body.bmc = bmc;
  const cmdline = stringOption(call, "cmdline");
  const hostname = stringOption(call, "hostname") ?? target.hostname;
  if (cmdline !== undefined) body.cmdline = cmdline;
  if (hostname) body.hostname = hostname;
  const address = ipv4 === "none" ? null : (ipv4 ?? current?.ipv4);
  if (address) body.ipv4 = address;
  const r = await controlRequest(sock, "PUT", `/v1/machines/${target.mac}`, body);
  const m = r.body as MachineView;
  return print(
    call,
    m,
    () =>
      `${r.status === 201 ? "registered" : "updated"} ${m.mac} (generation ${m.generation}); boot URL ${m.bootUrl}\n`,
  );
}

export async function rearm(call: Call): Promise<number> {
  const sock = socketOf(call);
  const { mac } = await resolveMachine(sock, argument(call, "MACHINE"));
  const { body } = await controlRequest(sock, "POST", `/v1/machines/${mac}/rearm`);
  const m = body as MachineView;
  return print(
    call,
    m,
    () => `re-armed ${m.mac}: generation ${m.generation}, it installs on its next network boot\n`,
  );
}

/** The `bmc` object from --bmc-* flags; undefined when none is given. */
function bmcOf(call: Call): Record<string, unknown> | undefined {
  const address = stringOption(call, "bmc-address");
  const rest = ["bmc-port", "bmc-user", "bmc-password-file", "bmc-cipher-suite", "bmc-firmware"];
  if (address === undefined) {
    const stray = rest.find((o) => call.options.has(o));
    if (stray) throw new UsageError(`--${stray} needs --bmc-address`, call.spec);
    return undefined;
  }
  const passwordFile = stringOption(call, "bmc-password-file");
  const bmc: Record<string, unknown> = {
    protocol: "ipmi",
    address,
    username: stringOption(call, "bmc-user"),
    // The appliance reads the file: make a relative path absolute as for --kernel.
    passwordFile: passwordFile === undefined ? undefined : resolve(passwordFile),
  };
  const port = integerOption(call, "bmc-port");
  const cipherSuite = integerOption(call, "bmc-cipher-suite");
  const firmware = stringOption(call, "bmc-firmware");
  if (port !== undefined) bmc.port = port;
  if (cipherSuite !== undefined) bmc.cipherSuite = cipherSuite;
  if (firmware !== undefined) bmc.firmware = firmware;
  return bmc;
}

/** The machine as registered (an update keeps its BMC and address), or null when new. */
async function currentMachine(sock: string, mac: string): Promise<MachineView | null> {
  const r = await controlRequest(sock, "GET", `/v1/machines/${mac}`, undefined, [404]);
  return r.status === 404 ? null : (r.body as MachineView);
}

export async function power(call: Call): Promise<number> {
  const sock = socketOf(call);
  const { mac } = await resolveMachine(sock, argument(call, "MACHINE"));
  const action = argument(call, "ACTION");
  const pxeOnce = flag(call, "pxe-once");
  if (pxeOnce && action !== "on" && action !== "cycle")
    throw new UsageError("--pxe-once goes with on or cycle", call.spec);
  const { body } = await controlRequest(sock, "POST", `/v1/machines/${mac}/power`, {
    action,
    ...(pxeOnce ? { pxeOnce } : {}),
  });
  const out = body as PowerOutcome;
  return print(call, out, () =>
    action === "status"
      ? `${out.machine}: power ${out.power} (BMC ${out.bmc})\n`
      : `${out.machine}: ${out.sent.join(", ")} done, power ${out.power} (BMC ${out.bmc}, ${out.ms} ms)\n`,
  );
}

export async function remove(call: Call): Promise<number> {
  const sock = socketOf(call);
  const { mac } = await resolveMachine(sock, argument(call, "MACHINE"));
  const { body } = await controlRequest(sock, "DELETE", `/v1/machines/${mac}`);
  return print(call, body, () => `removed ${mac}\n`);
}
