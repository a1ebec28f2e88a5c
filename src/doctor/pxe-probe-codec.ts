/**
 * The two DHCP messages `doctor` needs to find other PXE servers: a PXE DHCPDISCOVER as a
 * firmware would send it, and a parse of the answers. Pure functions over bytes.
 * (RFC 2131 layout, RFC 2132 options, RFC 4578 options 93/94/97.)
 */

const MAGIC = 0x63825363;

export type ProbeClient = "bios" | "efi";

export interface DiscoverRequest {
  xid: number;
  mac: Uint8Array; // 6 bytes
  client: ProbeClient;
}

function opt(code: number, data: Uint8Array | number[]): Buffer {
  const d = Buffer.from(data);
  return Buffer.concat([Buffer.from([code, d.length]), d]);
}

/** A DHCPDISCOVER with the broadcast flag and the PXE options of the given firmware kind. */
export function encodePxeDiscover(req: DiscoverRequest): Buffer {
  if (req.mac.length !== 6) throw new RangeError("mac: expected 6 bytes");
  const fixed = Buffer.alloc(240);
  fixed[0] = 1; // BOOTREQUEST
  fixed[1] = 1; // Ethernet
  fixed[2] = 6;
  fixed.writeUInt32BE(req.xid >>> 0, 4);
  fixed.writeUInt16BE(0x8000, 10); // broadcast: we have no address to receive a unicast on
  Buffer.from(req.mac).copy(fixed, 28);
  fixed.writeUInt32BE(MAGIC, 236);
  const arch = req.client === "bios" ? 0 : 7;
  const vendorClass = `PXEClient:Arch:${String(arch).padStart(5, "0")}:UNDI:002001`;
  const guid = [0, ...Buffer.from(req.mac), ...new Array<number>(10).fill(0)];
  const options = Buffer.concat([
    opt(53, [1]),
    opt(57, [0x04, 0xec]), // max message size 1260
    opt(55, [1, 3, 6, 43, 54, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135]),
    opt(93, [0, arch]),
    opt(94, [1, 2, 1]),
    opt(97, guid),
    opt(60, Buffer.from(vendorClass, "latin1")),
    Buffer.from([255]),
  ]);
  return Buffer.concat([fixed, options]);
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
function pxeMenuItems(opt43: Buffer | undefined): string[] {
  const items: string[] = [];
  if (!opt43) return items;
  for (let i = 0; i + 1 < opt43.length;) {
    const code = opt43[i]!;
    if (code === 255) break;
    if (code === 0) {
      i++;
      continue;
    }
    const len = opt43[i + 1]!;
    const data = opt43.subarray(i + 2, Math.min(opt43.length, i + 2 + len));
    if (code === 9) {
      for (let j = 0; j + 3 <= data.length;) {
        const dlen = data[j + 2]!;
        items.push(data.subarray(j + 3, j + 3 + dlen).toString("latin1"));
        j += 3 + dlen;
      }
    }
    i += 2 + len;
  }
  return items;
}

function ipAt(b: Buffer, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

function cString(b: Buffer): string | null {
  const end = b.indexOf(0);
  const s = b.subarray(0, end < 0 ? b.length : end).toString("latin1");
  return s === "" ? null : s;
}

/** Parse a server's reply; null when it is not a BOOTREPLY with the DHCP cookie. */
export function decodeProbeAnswer(b: Buffer): ProbeAnswer | null {
  if (b.length < 240 || b[0] !== 2 || b.readUInt32BE(236) !== MAGIC) return null;
  const options = new Map<number, Buffer>();
  for (let i = 240; i < b.length;) {
    const code = b[i]!;
    if (code === 0) {
      i++;
      continue;
    }
    if (code === 255 || i + 1 >= b.length) break;
    const len = b[i + 1]!;
    if (i + 2 + len > b.length) return null;
    const prev = options.get(code);
    const data = b.subarray(i + 2, i + 2 + len);
    options.set(code, prev ? Buffer.concat([prev, data]) : data); // RFC 3396 concatenation
    i += 2 + len;
  }
  const text = (code: number) => {
    const v = options.get(code);
    return v ? cString(v) : null;
  };
  const sid = options.get(54);
  return {
    xid: b.readUInt32BE(4),
    mac: [...b.subarray(28, 34)].map((x) => x.toString(16).padStart(2, "0")).join(":"),
    messageType: options.get(53)?.[0] ?? null,
    serverId: sid && sid.length === 4 ? ipAt(sid, 0) : null,
    yiaddr: ipAt(b, 16),
    siaddr: ipAt(b, 20),
    vendorClass: text(60),
    bootFile: text(67) ?? cString(b.subarray(108, 236)),
    serverName: text(66) ?? cString(b.subarray(44, 108)),
    pxeVendorOptions: options.has(43),
    pxeMenu: pxeMenuItems(options.get(43)),
  };
}

/** A PXE-minded answer: it names a boot file or speaks PXEClient. */
export function isPxeAnswer(a: ProbeAnswer): boolean {
  return (
    a.bootFile !== null || a.vendorClass?.startsWith("PXEClient") === true || a.pxeVendorOptions
  );
}
