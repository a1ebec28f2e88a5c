import { resolve } from "node:path";
import { controlRequest } from "../control/client.js";
import { parseMac } from "../core/mac.js";
import type { MachineView } from "../registry/machine.js";
import { parseArgs, socketPath, UsageError } from "./args.js";

const USAGE = `usage: landscaper machines list [--json]
       landscaper machines show MAC
       landscaper machines add MAC --kernel FILE --initrd FILE [--cmdline TEXT] [--hostname NAME]
       landscaper machines rearm MAC
       landscaper machines remove MAC
(all take --socket PATH; default $LANDSCAPER_SOCKET or /run/landscaper/control.sock)`;

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

function macArg(positional: string[]): string {
  const raw = positional[1];
  if (!raw) throw new UsageError("a MAC address is required\n" + USAGE);
  const mac = parseMac(raw);
  if (!mac) throw new UsageError(`not a MAC address: ${raw}`);
  return mac;
}

export async function run(argv: string[]): Promise<number> {
  const { flags, positional } = parseArgs(argv, {
    values: ["socket", "kernel", "initrd", "cmdline", "hostname"],
    booleans: ["json"],
  });
  const sock = socketPath(flags);
  const json = flags.has("json");
  const out = (v: unknown, text: () => string) =>
    process.stdout.write(json ? JSON.stringify(v, null, 2) + "\n" : text());
  switch (positional[0]) {
    case "list": {
      const { body } = await controlRequest(sock, "GET", "/v1/machines");
      const machines = (body as { machines: MachineView[] }).machines;
      out(machines, () =>
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
      return 0;
    }
    case "show": {
      const { body } = await controlRequest(sock, "GET", `/v1/machines/${macArg(positional)}`);
      out(body, () => describe(body as MachineView));
      return 0;
    }
    case "add": {
      const mac = macArg(positional);
      const kernel = flags.get("kernel");
      const initrd = flags.get("initrd");
      if (typeof kernel !== "string" || typeof initrd !== "string")
        throw new UsageError("add needs --kernel FILE and --initrd FILE");
      const body: Record<string, string> = { kernel: resolve(kernel), initrd: resolve(initrd) };
      const cmdline = flags.get("cmdline");
      const hostname = flags.get("hostname");
      if (typeof cmdline === "string") body.cmdline = cmdline;
      if (typeof hostname === "string") body.hostname = hostname;
      const r = await controlRequest(sock, "PUT", `/v1/machines/${mac}`, body);
      const m = r.body as MachineView;
      out(
        m,
        () =>
          `${r.status === 201 ? "registered" : "updated"} ${m.mac} (generation ${m.generation}); boot URL ${m.bootUrl}\n`,
      );
      return 0;
    }
    case "rearm": {
      const { body } = await controlRequest(
        sock,
        "POST",
        `/v1/machines/${macArg(positional)}/rearm`,
      );
      const m = body as MachineView;
      out(
        m,
        () =>
          `re-armed ${m.mac}: generation ${m.generation}, it installs on its next network boot\n`,
      );
      return 0;
    }
    case "remove": {
      const mac = macArg(positional);
      const { body } = await controlRequest(sock, "DELETE", `/v1/machines/${mac}`);
      out(body, () => `removed ${mac}\n`);
      return 0;
    }
    default:
      throw new UsageError(USAGE);
  }
}
