/** Replays a captured request as another client: new MAC, xid and addressing fields. */
import { encodePacket, parsePacket } from "../../src/dhcp/codec/packet.js";
import { ipv4Bytes } from "../../src/dhcp/codec/options.js";

export interface Rewrite {
  mac: string;
  xid: number;
  ciaddr?: string;
  giaddr?: string;
  hops?: number;
  /** Options to replace (code -> value), e.g. 50 and 54 for a REQUEST. */
  set?: Record<number, Buffer>;
}

export function rewrite(captured: Buffer, r: Rewrite): Buffer {
  const parsed = parsePacket(captured);
  if (!parsed.ok) throw new Error(parsed.reason);
  const p = parsed.packet;
  const macBytes = Buffer.from(r.mac.replace(/:/g, ""), "hex");
  const chaddr = Buffer.alloc(16);
  macBytes.copy(chaddr);
  const options = [...p.options.entries()].map(([code, v]): [number, Uint8Array] => {
    if (r.set?.[code]) return [code, r.set[code]];
    // Option 61 of iPXE is 01 + MAC: keep it consistent with chaddr.
    if (code === 61 && v.length === 7 && v[0] === 1)
      return [code, Buffer.concat([v.subarray(0, 1), macBytes])];
    return [code, v];
  });
  return encodePacket(
    {
      ...p,
      xid: r.xid,
      chaddr,
      ciaddr: r.ciaddr ?? p.ciaddr,
      giaddr: r.giaddr ?? p.giaddr,
      hops: r.hops ?? p.hops,
      options,
    },
    1500,
  );
}

export const ip4 = ipv4Bytes;
