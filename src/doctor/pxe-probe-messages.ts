/**
 * The two DHCP messages `doctor` needs to find other PXE servers: a PXE DHCPDISCOVER as a
 * firmware would send it, and what an answer says. Built on the one DHCP codec
 * (src/dhcp/codec/); this file only chooses the fields. (RFC 4578 options 93/94/97.)
 */
import {
  OPT,
  MSG,
  bootfileName,
  pxeVendorOptions,
  serverId,
  tftpServerName,
  vendorClass,
} from "../dhcp/codec/options.js";
import { macFromBytes } from "../core/mac.js";
import { BROADCAST_FLAG, encodePacket, parsePacket } from "../dhcp/codec/packet.js";

export type ProbeClient = "bios" | "efi";

export interface DiscoverRequest {
  xid: number;
  mac: Uint8Array; // 6 bytes
  client: ProbeClient;
}

/** A DHCPDISCOVER with the broadcast flag and the PXE options of the given firmware kind. */
export function encodePxeDiscover(req: DiscoverRequest): Buffer {
  if (req.mac.length !== 6) throw new RangeError("mac: expected 6 bytes");
  const arch = req.client === "bios" ? 0 : 7;
  const vendor = `PXEClient:Arch:${String(arch).padStart(5, "0")}:UNDI:002001`;
  const guid = [0, ...req.mac, ...new Array<number>(10).fill(0)];
  const bytes = (b: number[]) => Buffer.from(b);
  return encodePacket({
    op: 1,
    xid: req.xid,
    // broadcast: we have no address to receive a unicast on
    flags: BROADCAST_FLAG,
    chaddr: req.mac,
    options: [
      [OPT.messageType, bytes([MSG.DISCOVER])],
      [OPT.maxMessageSize, bytes([0x04, 0xec])], // 1260
      [
        OPT.paramRequestList,
        bytes([1, 3, 6, 43, 54, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135]),
      ],
      [OPT.clientArch, bytes([0, arch])],
      [OPT.clientNdi, bytes([1, 2, 1])],
      [OPT.clientUuid, bytes(guid)],
      [OPT.vendorClass, Buffer.from(vendor, "latin1")],
    ],
  });
}

export interface ProbeAnswer {
  xid: number;
  mac: string;
  messageType: number | null;
  serverId: string | null;
  yiaddr: string;
  siaddr: string;
  vendorClass: string | null;
  /** Option 67, else the `file` field. */
  bootFile: string | null;
  /** Option 66, else the `sname` field. */
  serverName: string | null;
  /** Option 43 present: PXE vendor options (boot menu, discovery control). */
  pxeVendorOptions: boolean;
  /** The PXE boot menu's item descriptions (option 43 sub-option 9), if any. */
  pxeMenu: string[];
}

/** PXE spec option 43 sub-option 9: items of {type: 2 bytes, length: 1, description}. */
function pxeMenuItems(menu: Buffer | null): string[] {
  const items: string[] = [];
  if (!menu) return items;
  for (let j = 0; j + 3 <= menu.length;) {
    const dlen = menu[j + 2]!;
    items.push(menu.subarray(j + 3, j + 3 + dlen).toString("latin1"));
    j += 3 + dlen;
  }
  return items;
}

/** Servers may NUL-terminate text options; an empty text says nothing. */
function cString(s: string | null): string | null {
  const t = s?.split("\0", 1)[0] ?? "";
  return t === "" ? null : t;
}

/** Parse a server's reply; null when it is not a well-formed BOOTREPLY with the DHCP cookie. */
export function decodeProbeAnswer(b: Buffer): ProbeAnswer | null {
  const parsed = parsePacket(b);
  if (!parsed.ok || parsed.packet.op !== 2) return null;
  const p = parsed.packet;
  return {
    xid: p.xid,
    mac: macFromBytes(p.chaddr),
    messageType: p.options.get(OPT.messageType)?.[0] ?? null,
    serverId: serverId(p),
    yiaddr: p.yiaddr,
    siaddr: p.siaddr,
    vendorClass: cString(vendorClass(p)),
    bootFile: cString(bootfileName(p)) ?? cString(p.file),
    serverName: cString(tftpServerName(p)) ?? cString(p.sname),
    pxeVendorOptions: p.options.has(OPT.vendorSpecific),
    pxeMenu: pxeMenuItems(pxeVendorOptions(p)?.bootMenu ?? null),
  };
}

/** A PXE-minded answer: it names a boot file or speaks PXEClient. */
export function isPxeAnswer(a: ProbeAnswer): boolean {
  return (
    a.bootFile !== null || a.vendorClass?.startsWith("PXEClient") === true || a.pxeVendorOptions
  );
}
