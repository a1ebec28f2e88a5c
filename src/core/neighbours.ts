import { readFile } from "node:fs/promises";
import { parseMac, type Mac } from "./mac.js";

/** ATF_COM: the kernel resolved this entry (incomplete entries have flags 0x0). */
const ATF_COM = 0x2;

/**
 * IPv4 -> MAC from the text of /proc/net/arp:
 * `IP address  HW type  Flags  HW address  Mask  Device`, one header line. Incomplete
 * entries and all-zero addresses are left out. Pure.
 */
export function parseProcNetArp(text: string): Map<string, Mac> {
  const out = new Map<string, Mac>();
  for (const line of text.split("\n").slice(1)) {
    const [ip, , flags, hw] = line.trim().split(/\s+/);
    if (ip === undefined || flags === undefined || hw === undefined) continue;
    if ((Number.parseInt(flags, 16) & ATF_COM) === 0) continue;
    const mac = parseMac(hw);
    if (mac === null || mac === "00:00:00:00:00:00") continue;
    out.set(ip, mac);
  }
  return out;
}

/** The MAC the kernel has for `ip` in this network namespace, or null. Never throws. */
export async function macForIp(ip: string, path = "/proc/net/arp"): Promise<Mac | null> {
  try {
    return parseProcNetArp(await readFile(path, "utf8")).get(ip) ?? null;
  } catch {
    return null;
  }
}
