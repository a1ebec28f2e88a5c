/**
 * What the proxy offers a classified client: the boot-file table (data) and the one
 * decision over it. Policy, pure: the server supplies the machine's boot plan and URLs.
 * Table: DESIGN.md "proxyDHCP decisions"; firmware facts: reference/firmware-notes.md.
 */
import type { BootPlan } from "../../boot/plan.js";
import type { BootUrls } from "../../boot/urls.js";
import type { Mac } from "../../core/mac.js";
import { ARCH, type ClientInfo } from "../codec/client.js";

/** The iPXE binaries the appliance offers, by their names in the iPXE dir (config `ipxe.*`). */
export interface BootFiles {
  /** The x86-64 EFI iPXE (config `ipxe.efi`), over TFTP or HTTP. */
  readonly efi: string;
  /** The BIOS iPXE (config `ipxe.bios`), over TFTP. */
  readonly bios: string;
  /** arm64 EFI iPXE, when the appliance has one; arm64 clients get no answer otherwise. */
  readonly arm64Efi: string | null;
}

/** One row of the boot-file table: a firmware's way of booting and arch, and what it gets. */
export interface BootFileRow {
  readonly client: "pxe" | "http";
  /** RFC 4578 architecture type. */
  readonly arch: number;
  readonly file: keyof BootFiles;
}

/**
 * Which iPXE binary each firmware gets. A PXE client fetches it over TFTP, an HTTP-boot
 * client over HTTP; iPXE itself always gets its script. Arches not listed get no answer.
 */
export const BOOT_FILE_TABLE: readonly BootFileRow[] = [
  { client: "pxe", arch: ARCH.biosX86, file: "bios" },
  { client: "pxe", arch: ARCH.efiIa32, file: "efi" },
  { client: "pxe", arch: ARCH.efiX64, file: "efi" },
  { client: "pxe", arch: ARCH.efiBc, file: "efi" },
  { client: "pxe", arch: ARCH.efiArm64, file: "arm64Efi" },
  { client: "http", arch: ARCH.efiX64Http, file: "efi" },
  { client: "http", arch: ARCH.efiArm64Http, file: "arm64Efi" },
];

/** The structural part of the registry's BootPlan this decision needs. */
export type PlanKind = Pick<BootPlan, "kind">;

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

export function chooseBoot(
  client: ClientInfo,
  plan: PlanKind,
  mac: Mac,
  files: BootFiles,
  urls: BootUrls,
  port: ArrivalPort,
): BootChoice {
  if (client.kind === "none") return { answer: false, reason: "not a network-boot client" };
  if (plan.kind === "none") return { answer: false, reason: "MAC not registered or not armed" };
  if (client.kind === "ipxe")
    return { answer: true, vendorClass: "PXEClient", file: urls.script(mac), skipDiscovery: false };

  const kind = client.kind;
  // No option 93 and no Arch in option 60: an old BIOS PXE ROM.
  const arch = client.arch ?? (kind === "pxe" ? ARCH.biosX86 : null);
  const row = BOOT_FILE_TABLE.find((r) => r.client === kind && r.arch === arch);
  const name = row ? files[row.file] : null;
  if (!name)
    return {
      answer: false,
      reason: `no ${kind === "http" ? "HTTP" : "PXE"} boot file for arch ${arch}`,
    };
  if (kind === "http")
    return {
      answer: true,
      vendorClass: "HTTPClient",
      file: urls.bootFile(name),
      skipDiscovery: false,
    };
  if (arch === ARCH.biosX86)
    return { answer: true, vendorClass: "PXEClient", file: name, skipDiscovery: true };
  // EDK2 takes a file-less proxy offer as "ask the boot server on 4011"; the file goes in
  // that ACK (firmware-notes.md).
  return {
    answer: true,
    vendorClass: "PXEClient",
    file: port === "proxy" ? name : null,
    skipDiscovery: false,
  };
}
