/**
 * What a network-boot client says it is, read from its DHCP options: iPXE, PXE firmware,
 * UEFI HTTP boot, or none of these, and its RFC 4578 architecture. Pure.
 * Firmware facts: reference/firmware-notes.md.
 */
import type { DhcpPacket } from "./packet.js";
import { OPT, clientArch, userClass, vendorClass } from "./options.js";

export type ClientKind = "ipxe" | "pxe" | "http" | "none";

export interface ClientInfo {
  readonly kind: ClientKind;
  /** RFC 4578 architecture type (option 93, else the `Arch:` field of option 60). */
  readonly arch: number | null;
}

export const ARCH = {
  biosX86: 0,
  efiIa32: 6,
  efiX64: 7,
  efiBc: 9,
  efiArm64: 11,
  efiX64Http: 16,
  efiArm64Http: 19,
} as const;

const ARCH_IN_CLASS = /:Arch:(\d{5})(?::|$)/;

export function classifyClient(p: Pick<DhcpPacket, "options">): ClientInfo {
  const vc = vendorClass(p);
  let arch: number | null = clientArch(p)[0] ?? null;
  if (arch === null && vc) {
    const m = ARCH_IN_CLASS.exec(vc);
    if (m) arch = Number(m[1]);
  }
  // iPXE also says PXEClient in option 60; its user class or option 175 tells it apart.
  if (p.options.has(OPT.ipxeEncap) || userClass(p).includes("iPXE")) return { kind: "ipxe", arch };
  if (vc?.startsWith("HTTPClient")) return { kind: "http", arch };
  if (vc?.startsWith("PXEClient")) return { kind: "pxe", arch };
  return { kind: "none", arch };
}
