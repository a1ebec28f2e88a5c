import { resolve } from "node:path";
import { ControlError, controlRequest } from "../control/client.js";
import type { MachineView } from "../registry/machine.js";
import { resolveMachine, socketOf } from "./client.js";
import { argument, flag, stringOption } from "./parse.js";
import type { Call } from "./spec.js";

function age(iso: string): string {
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
    `state:      ${m.state} (generation ${m.generation})`,
    `progress:   ${progressText(m) || "-"}`,
    `boot URL:   ${m.bootUrl}`,
    `kernel:     ${m.kernel}`,
    `initrd:     ${m.initrd}`,
    `cmdline:    ${m.cmdline || "-"}`,
    `install key: ${m.installationHostPublicKey}`,
  ];
  if (m.hostPublicKey) lines.push(`host key:   ${m.hostPublicKey}`);
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
      .filter(([, v]) => v !== null && v !== undefined && typeof v !== "object")
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(" ");
    lines.push(`  ${at}  ${type.padEnd(9)} ${state.padEnd(10)} ${extra}`);
  }
  return lines.join("\n") + "\n";
}

/** Prints the answer: the JSON document with --json, else the text. */
function print(call: Call, value: unknown, text: () => string): number {
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
          ["MAC", "HOSTNAME", "STATE", "GEN", "PROGRESS", "UPDATED"],
          ...machines.map((m) => [
            m.mac,
            m.hostname ?? "-",
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
  const body: Record<string, string> = {
    kernel: resolve(stringOption(call, "kernel")!),
    initrd: resolve(stringOption(call, "initrd")!),
  };
  const cmdline = stringOption(call, "cmdline");
  const hostname = stringOption(call, "hostname") ?? target.hostname;
  if (cmdline !== undefined) body.cmdline = cmdline;
  if (hostname) body.hostname = hostname;
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

export async function remove(call: Call): Promise<number> {
  const sock = socketOf(call);
  const { mac } = await resolveMachine(sock, argument(call, "MACHINE"));
  const { body } = await controlRequest(sock, "DELETE", `/v1/machines/${mac}`);
  return print(call, body, () => `removed ${mac}\n`);
}
