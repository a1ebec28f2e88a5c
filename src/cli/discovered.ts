/** `landscaper machines discovered`: network-boot clients seen whose MAC nobody registered. */
import { controlRequest } from "../control/client.js";
import type { DiscoveredClient } from "../registry/doors.js";
import { registerCommand } from "../registry/views.js";
import { socketOf } from "./client.js";
import { age, print, table } from "./machines.js";
import type { Call } from "./spec.js";
import { printable } from "./watch-view.js";

/** A vendor class is whatever a LAN host sent: no control characters, one table cell wide. */
const VENDOR_CLASS_SHOWN = 40;

function vendorClassCell(v: string | null): string {
  if (v === null) return "-";
  const chars = [...printable(v)];
  return chars.length > VENDOR_CLASS_SHOWN
    ? chars.slice(0, VENDOR_CLASS_SHOWN - 1).join("") + "…"
    : chars.join("");
}

export function discoveredText(clients: readonly DiscoveredClient[]): string {
  const newest = clients[0];
  if (!newest) return "no unregistered network-boot client seen\n";
  return (
    table([
      ["MAC", "KIND", "ARCH", "VENDOR CLASS", "FIRST SEEN", "LAST SEEN", "COUNT"],
      ...clients.map((c) => [
        c.mac,
        c.kind,
        c.arch === null ? "-" : String(c.arch),
        vendorClassCell(c.vendorClass),
        age(c.firstSeen),
        age(c.lastSeen),
        String(c.count),
      ]),
    ]) + `\nregister one with: ${registerCommand(newest.mac)}\n`
  );
}

export async function discovered(call: Call): Promise<number> {
  const { body } = await controlRequest(socketOf(call), "GET", "/v1/discovered");
  const clients = (body as { discovered: DiscoveredClient[] }).discovered;
  return print(call, clients, () => discoveredText(clients));
}
