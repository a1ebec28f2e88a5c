import { existsSync } from "node:fs";
import { dirname } from "node:path";
import type { Config } from "../config/config.js";
import { controlRequest } from "../control/client.js";
import {
  checkAddress,
  checkIpxe,
  checkPorts,
  checkWritableDir,
  type Finding,
} from "../doctor/checks.js";
import { probePxeServers, ProbeError, type ProbeResult } from "../doctor/pxe-probe.js";
import { isPxeAnswer } from "../doctor/pxe-probe-messages.js";
import { describeHolders, portHolders, unixSocketHolders } from "../doctor/port-owner.js";
import { flag, integerOption } from "./parse.js";
import type { Call } from "./spec.js";
import { printable } from "./watch-view.js";
import { configFromCall } from "./serve.js";

/** Turn the answers of the PXE probe into findings: one per answering server. */
export function probeFindings(result: ProbeResult, ownAddress: string): Finding[] {
  const byServer = new Map<string, ProbeResult["answers"]>();
  for (const a of result.answers) {
    const key = a.serverId ?? a.from;
    byServer.set(key, [...(byServer.get(key) ?? []), a]);
  }
  const findings: Finding[] = [];
  let dhcpServers = 0;
  for (const [server, answers] of byServer) {
    const pxe = answers.filter(isPxeAnswer);
    const offersAddress = answers.some((a) => a.yiaddr !== "0.0.0.0");
    if (offersAddress) dhcpServers++;
    const check = `other servers: ${server}`;
    if (pxe.length === 0) {
      findings.push({
        check,
        level: "ok",
        message: `DHCP server ${server} offers addresses (${answers[0]!.yiaddr}) without PXE options: Landscaper's proxyDHCP complements it`,
      });
      continue;
    }
    const files = [
      ...new Set(
        pxe.map(
          (a) =>
            `${a.client.toUpperCase()}: ${a.bootFile ?? (a.pxeMenu.length > 0 ? `PXE menu ${a.pxeMenu.map((m) => JSON.stringify(m)).join(", ")}` : "PXE options, no file (the client would ask its boot server on 4011)")}`,
        ),
      ),
    ];
    const self = server === ownAddress;
    findings.push({
      check,
      level: "warn",
      message: `${self ? "this host (" + server + ")" : server} answers PXE for an unknown, made-up MAC ${offersAddress ? "(DHCP server with PXE options)" : "(proxyDHCP)"}; boot file ${files.join(", ")}`,
      fix: self
        ? "that is this host: a running Landscaper with dhcp.answerUnknown, or another PXE service here"
        : "it will race Landscaper for every PXE client; turn its PXE answers off or limit them to its own machines (dnsmasq: tag its known MACs and restrict pxe-service/dhcp-boot to that tag; ISC dhcpd/Kea: a class per MAC)",
    });
  }
  if (dhcpServers === 0)
    findings.push({
      check: "DHCP server",
      level: "warn",
      message: `no DHCP server offered an address within the probe window`,
      fix: "Landscaper is a proxyDHCP and hands out no addresses: the LAN needs a DHCP server (or the firmware gets no IP)",
    });
  return findings;
}

async function checkProbe(config: Config, seconds: number): Promise<Finding[]> {
  try {
    const result = await probePxeServers(config.address, seconds);
    return probeFindings(result, config.address);
  } catch (e) {
    if (!(e instanceof ProbeError)) throw e;
    const held =
      e.code === "EADDRINUSE" ? `; held by ${describeHolders(portHolders("udp", 68))}` : "";
    return [
      {
        check: "other PXE servers",
        level: "warn",
        message: `could not look for other PXE/proxyDHCP servers (${e.message}${held})`,
        fix:
          e.code === "EACCES"
            ? "run doctor as root (the probe listens on UDP 68 like a PXE client)"
            : "stop the DHCP client holding port 68 for the probe, or use --no-probe",
      },
    ];
  }
}

function pidsText(pids: number[]): string {
  return pids.length > 0 ? ` (pid ${pids.join(", ")})` : "";
}

async function checkControlSocket(config: Config): Promise<Finding[]> {
  const path = config.control.socket;
  const dir = await checkWritableDir(
    "control socket directory",
    dirname(path),
    "control socket directory",
  );
  if (!existsSync(path)) return [dir];
  try {
    await controlRequest(path, "GET", "/v1/health");
    return [
      dir,
      {
        check: "control socket",
        level: "warn",
        message: `a Landscaper already answers on ${path}${pidsText(unixSocketHolders(path))}`,
        fix: "stop it before starting another, or give the new one its own --socket",
      },
    ];
  } catch {
    return [
      dir,
      { check: "control socket", level: "ok", message: `${path} is stale; serve replaces it` },
    ];
  }
}

function print(findings: Finding[], config: Config): void {
  const out = process.stdout;
  out.write(
    `landscaper doctor: address ${config.address}, http ${config.http.listen}:${config.http.port}` +
      `${config.dhcp.enable ? `, dhcp ${config.dhcp.port}/${config.dhcp.proxyPort}` : ""}` +
      `${config.tftp.enable ? `, tftp ${config.tftp.port}` : ""}\n`,
  );
  const tag = { ok: "ok     ", warn: "WARN   ", blocker: "BLOCKER" };
  for (const f of findings) {
    // answers from the LAN (boot file names, menus) must not drive the terminal
    out.write(printable(`${tag[f.level]}  ${f.check}: ${f.message}`) + "\n");
    if (f.fix && f.level !== "ok") out.write(printable(`         -> ${f.fix}`) + "\n");
  }
  const n = (l: Finding["level"]) => findings.filter((f) => f.level === l).length;
  out.write(`${n("blocker")} blocker(s), ${n("warn")} warning(s), ${n("ok")} ok\n`);
}

export async function run(call: Call): Promise<number> {
  const config = configFromCall(call);
  const probeSeconds = integerOption(call, "probe-seconds") ?? 3;
  const findings: Finding[] = [
    ...checkAddress(config),
    ...(await checkPorts(config, unixSocketHolders(config.control.socket))),
    ...(await checkIpxe(config)),
    await checkWritableDir("state directory", config.stateDir, "state directory"),
    ...(await checkControlSocket(config)),
    ...(flag(call, "no-probe") ? [] : await checkProbe(config, probeSeconds)),
  ];
  if (flag(call, "json")) process.stdout.write(JSON.stringify({ findings }, null, 2) + "\n");
  else print(findings, config);
  return findings.some((f) => f.level === "blocker") ? 1 : 0;
}
