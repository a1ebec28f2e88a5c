/**
 * What OVMF's PXE client sends (reference/firmware-notes.md), as a template for the load
 * generators: a DISCOVER broadcast to 67, or the port-4011 REQUEST. The caller sets the xid
 * (bytes 4..7) and the MAC (bytes 28..33).
 */
import { encodePacket } from "../../src/dhcp/codec/packet.js";

const PRL = [
  1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67,
  97, 128, 129, 130, 131, 132, 133, 134, 135,
];

export function edk2Request(mode: "discover" | "proxy", clientIp: string): Buffer {
  const uuid = Buffer.concat([Buffer.from([0]), Buffer.alloc(16, 0x5a)]);
  return encodePacket(
    {
      op: 1,
      xid: 0,
      flags: mode === "discover" ? 0x8000 : 0,
      ciaddr: mode === "proxy" ? clientIp : "0.0.0.0",
      chaddr: Buffer.alloc(6),
      options: [
        [53, Buffer.from([mode === "discover" ? 1 : 3])],
        [57, Buffer.from([0x05, 0xc0])],
        [55, Buffer.from(PRL)],
        [97, uuid],
        [94, Buffer.from([1, 3, 0])],
        [93, Buffer.from([0, 7])],
        [60, Buffer.from("PXEClient:Arch:00007:UNDI:003000")],
        // dnsmasq's proxy wants the boot item chosen from its menu on 4011 (EDK2 sends it
        // after a menu offer); Landscaper ignores it.
        ...(mode === "proxy" ? [[43, Buffer.from([71, 4, 0x80, 0x00, 0, 0, 255])] as const] : []),
      ],
    },
    1500,
  );
}
