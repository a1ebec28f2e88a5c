import { join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseMac, type Mac } from "../core/mac.js";
import { renderInstallScript, renderLocalBootScript, renderUnknownScript } from "../boot/script.js";
import type { BootOracle } from "../boot/plan.js";
import { BOOT_PATHS } from "../boot/urls.js";
import type { ServiceBase } from "../core/service.js";
import { serveFile } from "./files.js";
import { FileRoots, servedFileRoots } from "../core/files.js";
import type { Route } from "../core/router.js";
import type { ScriptClients } from "./script-clients.js";

/** How many times the iPXE script tries each download. */
export const SCRIPT_TRIES = 5;

function sendText(res: ServerResponse, status: number, text: string, type = "text/plain"): number {
  res.writeHead(status, {
    "content-type": type,
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
  return Buffer.byteLength(text);
}

function macOr404(res: ServerResponse, raw: string | undefined): Mac | null {
  const mac = parseMac(raw ?? "");
  if (!mac) sendText(res, 404, `#!ipxe\necho Landscaper: not a MAC address\nexit 1\n`);
  return mac;
}

/** The routes firmware and iPXE use: scripts, iPXE binaries, the registered kernel and initrd. */
export function bootRoutes(ctx: ServiceBase, oracle: BootOracle, clients: ScriptClients): Route[] {
  const countBytes = (route: string, n: number) => ctx.metrics.httpBytes.inc({ route }, n);
  const registered = servedFileRoots(ctx.config);
  // Like TFTP: a symlink that leads out of the iPXE dir is not served (Debian's ipxe.efi
  // points into /boot), so both protocols offer the same files.
  const ipxeDir = new FileRoots([ctx.config.ipxe.dir], [ctx.config.stateDir]);

  const script = async (req: IncomingMessage, res: ServerResponse, match: RegExpExecArray) => {
    const mac = macOr404(res, match[1]);
    if (!mac) return;
    const plan = oracle.bootFor(mac);
    if (plan.script === "unknown") {
      countBytes("script", sendText(res, 404, renderUnknownScript(mac)));
      return;
    }
    if (plan.kind !== "install") {
      countBytes("script", sendText(res, 200, renderLocalBootScript()));
      oracle.noteBootStep(mac, { type: "script", script: "local" });
      return;
    }
    // The install script holds the token: only the machine itself gets it.
    const verdict = await clients.verdict(mac, req.socket.remoteAddress);
    if (!verdict.ok) {
      ctx.metrics.scriptRefusals.inc();
      const { client, owner } = verdict;
      ctx.log.warn({ mac, client, owner }, "install script refused: the client is not the machine");
      oracle.noteBootStep(mac, { type: "warning", reason: "script-refused", client, owner });
      sendText(res, 403, `#!ipxe\necho Landscaper: this script is not for ${client}\nexit 1\n`);
      return;
    }
    const text = renderInstallScript({
      kernelUrl: plan.spec.kernelUrl,
      initrdUrl: plan.spec.initrdUrl,
      cmdline: plan.spec.cmdline,
      tries: SCRIPT_TRIES,
    });
    countBytes("script", sendText(res, 200, text));
    oracle.noteBootStep(mac, { type: "script", script: "install" });
  };

  const nbpFile = async (req: IncomingMessage, res: ServerResponse, match: RegExpExecArray) => {
    const mac = macOr404(res, match[1]);
    if (!mac) return;
    const which = match[2] as "kernel" | "initrd";
    const plan = oracle.bootFor(mac);
    // Only an armed machine gets its installer: an installed one must not reinstall.
    if (plan.kind !== "install") {
      sendText(res, 404, `no installer for ${mac}\n`);
      return;
    }
    const opened = await registered.open(plan.spec[which]);
    if (!opened.ok && opened.why === "outside")
      ctx.log.warn({ mac, file: plan.spec[which], reason: opened.reason }, `${which} not served`);
    const served = await serveFile(req, res, opened, "application/octet-stream");
    countBytes(which, served.bytes);
    if (req.method === "GET" && (served.status === 200 || served.status === 206)) {
      oracle.noteBootStep(mac, { type: which, bytes: served.bytes, status: served.status });
    }
  };

  const ipxeFile = async (req: IncomingMessage, res: ServerResponse, match: RegExpExecArray) => {
    const file = join(ctx.config.ipxe.dir, match[1] ?? "");
    const served = await serveFile(req, res, await ipxeDir.open(file), "application/octet-stream");
    countBytes("bootfile", served.bytes);
  };

  return [
    { method: "GET", path: BOOT_PATHS.script, name: "script", handle: script },
    { method: "GET", path: BOOT_PATHS.nbp, name: "nbp", handle: nbpFile },
    { method: "GET", path: BOOT_PATHS.bootFile, name: "bootfile", handle: ipxeFile },
  ];
}
