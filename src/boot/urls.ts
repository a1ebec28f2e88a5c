/**
 * Every URL a machine is told to fetch, built in one place from the LAN HTTP server's
 * address and the port it actually bound (tests listen on port 0), and the path patterns
 * the LAN HTTP server matches them with, so the two cannot drift apart.
 */
import { macForUrl, type Mac } from "../core/mac.js";

/** A MAC as it may appear in a URL path segment (colons percent-decoded, or hyphens). */
const MAC_SEGMENT = "([0-9A-Fa-f:.-]+)";

/** The LAN HTTP paths, as route patterns; group 1 is the MAC or the file name. */
export const BOOT_PATHS = {
  script: new RegExp(`^\\/boot\\/${MAC_SEGMENT}\\.ipxe$`),
  nbp: new RegExp(`^\\/nbp\\/${MAC_SEGMENT}\\/(kernel|initrd)$`),
  // Plain names only: no slash, no leading dot, so nothing outside the iPXE dir.
  bootFile: /^\/boot\/([A-Za-z0-9_-][A-Za-z0-9._-]*)$/,
  installs: `^\\/v1\\/installs\\/${MAC_SEGMENT}`,
} as const;

export class BootUrls {
  /**
   * `http://ADDR[:PORT]`; port 80 is left out (the canonical form). Empty until the
   * appliance knows where its HTTP server listens.
   */
  readonly base: string;

  constructor(
    readonly address: string,
    readonly port: number,
  ) {
    this.base =
      address === "" ? "" : port === 80 ? `http://${address}` : `http://${address}:${port}`;
  }

  /**
   * The per-MAC script URL. The MAC is spelled with hyphens: iPXE percent-encodes ':' in a
   * URL path (it asked for `/boot/52%3A54%3A...ipxe` in the firmware check), and '-' needs
   * no escaping anywhere.
   */
  script(mac: Mac): string {
    return `${this.base}/boot/${macForUrl(mac)}.ipxe`;
  }

  /** The registered kernel or initrd of an armed machine. */
  nbp(mac: Mac, which: "kernel" | "initrd"): string {
    return `${this.base}/nbp/${macForUrl(mac)}/${which}`;
  }

  /** A file of the iPXE dir over HTTP (UEFI HTTP boot). */
  bootFile(name: string): string {
    return `${this.base}/boot/${name}`;
  }
}

/** Before the HTTP server has bound: URLs are path-only. */
export const NO_URLS = new BootUrls("", 0);
