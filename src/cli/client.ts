import { defaultConfig } from "../config/config.js";
import { ControlError, controlRequest } from "../control/client.js";
import { parseMac, type Mac } from "../core/mac.js";
import { stringOption } from "./parse.js";
import type { Call } from "./spec.js";

/** What client commands share: which socket to ask, and which machine a word names. */

export function socketOf(call: Call): string {
  return (
    stringOption(call, "socket") ?? process.env.LANDSCAPER_SOCKET ?? defaultConfig().control.socket
  );
}

/** A registered machine as the list gives it: enough to tell names from MACs. */
export interface MachineName {
  mac: Mac;
  hostname: string | null;
}

export async function listMachines(socket: string): Promise<MachineName[]> {
  const { body } = await controlRequest(socket, "GET", "/v1/machines");
  const list = (body as { machines?: unknown } | null)?.machines;
  return Array.isArray(list) ? (list as MachineName[]) : [];
}

/**
 * The MAC a word names: a MAC in any notation parseMac reads is taken as it is (a
 * twelve-hex-digit word is a MAC even if some host has that name); anything else is
 * looked up among the registered host names, ignoring case as DNS does.
 */
export async function resolveMachine(socket: string, word: string): Promise<MachineName> {
  const mac = parseMac(word);
  if (mac) return { mac, hostname: null };
  const machines = await listMachines(socket);
  const named = machines.filter((m) => m.hostname?.toLowerCase() === word.toLowerCase());
  if (named.length === 1) return named[0]!;
  if (named.length > 1)
    throw new ControlError(
      `host name "${word}" names ${named.length} machines (${named.map((m) => m.mac).join(", ")}); give the MAC`,
      null,
      "ambiguous",
    );
  throw new ControlError(
    `"${word}" is neither a MAC address nor the host name of a registered machine`,
    null,
    "unknown_machine",
  );
}
