/** A UEFI HTTP-boot DISCOVER: the captured EDK2 DISCOVER with EDK2's HTTP-boot identity. */
import { encodePacket, parsePacket } from "../../src/dhcp/codec/packet.js";
import { EDK2_DISCOVER } from "./fixtures.js";

export function httpBootDiscover(arch = 16): Buffer {
  const r = parsePacket(EDK2_DISCOVER());
  if (!r.ok) throw new Error(r.reason);
  const p = r.packet;
  const archText = String(arch).padStart(5, "0");
  const options = [...p.options.entries()].map(([code, v]): [number, Uint8Array] => {
    if (code === 60) return [code, Buffer.from(`HTTPClient:Arch:${archText}:UNDI:003000`)];
    if (code === 93) return [code, Buffer.from([arch >> 8, arch & 0xff])];
    return [code, v];
  });
  return encodePacket({ ...p, options }, 1500);
}
