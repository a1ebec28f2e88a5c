/**
 * Which kind of network-boot client sent a packet, and what a proxy should offer it.
 * Pure policy over a parsed packet: the server supplies the machine's boot plan.
 * Table: DESIGN.md "proxyDHCP decisions"; firmware facts: reference/firmware-notes.md.
 */
import { macForUrl, type Mac } from "../core/mac.js";
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

/** Where the boot files live, as the server knows them from its config. */
export interface BootFiles {
  /** The appliance address put in siaddr and URLs. */
  readonly address: string;
  readonly httpPort: number;
  /** TFTP/HTTP name of the x86-64 EFI iPXE (config `ipxe.efi`). */
  readonly efi: string;
  /** TFTP name of the BIOS iPXE (config `ipxe.bios`). */
  readonly bios: string;
  /** arm64 EFI iPXE, when the appliance has one; arm64 clients get no answer otherwise. */
  readonly arm64Efi: string | null;
}

/** The structural part of the registry's BootPlan this decision needs. */
export interface PlanKind {
  readonly kind: "install" | "local" | "none";
}

/** `dhcp`: the request came to port 67; `proxy`: to the PXE port 4011. */
export type ArrivalPort = "dhcp" | "proxy";

export type BootChoice =
  | { readonly answer: false; readonly reason: string }
  | {
      readonly answer: true;
      readonly vendorClass: "PXEClient" | "HTTPClient";
      /** File (TFTP name or absolute URL); null = offer without a file (EDK2 then asks 4011). */
      readonly file: string | null;
      /** Option 43 sub-option 6 = 8: "use the file, skip PXE boot server discovery". */
      readonly skipDiscovery: boolean;
    };

export function httpBase(files: BootFiles): string {
  return files.httpPort === 80
    ? `http://${files.address}`
    : `http://${files.address}:${files.httpPort}`;
}

/**
 * The per-MAC script URL. The MAC is spelled with hyphens: iPXE percent-encodes ':' in a
 * URL path (it asked for `/boot/52%3A54%3A...ipxe` in the firmware check), and '-' needs
 * no escaping anywhere.
 */
export function ipxeScriptUrl(files: BootFiles, mac: Mac): string {
  return `${httpBase(files)}/boot/${macForUrl(mac)}.ipxe`;
}

export function chooseBoot(
  client: ClientInfo,
  plan: PlanKind,
  mac: Mac,
  files: BootFiles,
  port: ArrivalPort,
): BootChoice {
  if (client.kind === "none") return { answer: false, reason: "not a network-boot client" };
  if (plan.kind === "none") return { answer: false, reason: "MAC not registered or not armed" };

  switch (client.kind) {
    case "ipxe":
      return {
        answer: true,
        vendorClass: "PXEClient",
        file: ipxeScriptUrl(files, mac),
        skipDiscovery: false,
      };
    case "http": {
      const name =
        client.arch === ARCH.efiX64Http
          ? files.efi
          : client.arch === ARCH.efiArm64Http
            ? files.arm64Efi
            : null;
      if (!name) return { answer: false, reason: `no HTTP boot file for arch ${client.arch}` };
      return {
        answer: true,
        vendorClass: "HTTPClient",
        file: `${httpBase(files)}/boot/${name}`,
        skipDiscovery: false,
      };
    }
    case "pxe": {
      // No option 93 and no Arch in option 60: an old BIOS PXE ROM.
      const arch = client.arch ?? ARCH.biosX86;
      if (arch === ARCH.biosX86) {
        return { answer: true, vendorClass: "PXEClient", file: files.bios, skipDiscovery: true };
      }
      const efi =
        arch === ARCH.efiIa32 || arch === ARCH.efiX64 || arch === ARCH.efiBc
          ? files.efi
          : arch === ARCH.efiArm64
            ? files.arm64Efi
            : null;
      if (!efi) return { answer: false, reason: `no PXE boot file for arch ${arch}` };
      // EDK2 takes a file-less proxy offer as "ask the boot server on 4011"; the file
      // goes in that ACK (firmware-notes.md).
      return {
        answer: true,
        vendorClass: "PXEClient",
        file: port === "proxy" ? efi : null,
        skipDiscovery: false,
      };
    }
  }
}
