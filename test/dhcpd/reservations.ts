/** A fixed reservation table, MAC -> address, as the registry will answer in phase 2. */
import type { Reservations } from "../../src/dhcpd/engine.js";
import { parseIp4 } from "../../src/core/ipv4.js";
import type { Mac } from "../../src/core/mac.js";

export function reservationTable(table: Record<string, string>): Reservations {
  const byMac = new Map(Object.entries(table).map(([m, a]) => [m as Mac, parseIp4(a)!]));
  const byIp = new Map([...byMac].map(([m, a]) => [a, m]));
  return { reservedFor: (m) => byMac.get(m) ?? null, reservedBy: (ip) => byIp.get(ip) ?? null };
}
