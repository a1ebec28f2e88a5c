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
import { unixSocketHolders } from "../doctor/port-owner.js";
import { checkProbe } from "../doctor/probe-findings.js";
import { checkServerMode } from "../doctor/server-mode.js";
import { flag, integerOption } from "./parse.js";
import type { Call } from "./spec.js";
import { printable } from "./watch-view.js";
import { mergedConfigFromCall } from "./serve.js";

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
      `${config.dhcp.enable ? `, dhcp ${config.dhcp.mode} ${config.dhcp.port}/${config.dhcp.proxyPort}` : ""}` +
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
  // Not configFromCall: what `serve` would refuse across keys is a finding here.
  const config = mergedConfigFromCall(call);
  const probeSeconds = integerOption(call, "probe-seconds") ?? 3;
  const dhcp = checkServerMode(config);
  const findings: Finding[] = [
    ...checkAddress(config),
    ...dhcp.findings,
    ...(await checkPorts(config, unixSocketHolders(config.control.socket))),
    ...(await checkIpxe(config)),
    await checkWritableDir("state directory", config.stateDir, "state directory"),
    ...(await checkControlSocket(config)),
    ...(flag(call, "no-probe") ? [] : await checkProbe(config.address, probeSeconds, dhcp.role)),
  ];
  if (flag(call, "json")) process.stdout.write(JSON.stringify({ findings }, null, 2) + "\n");
  else print(findings, config);
  return findings.some((f) => f.level === "blocker") ? 1 : 0;
}
