/**
 * iPXE scripts, rendered from plain values. Everything templated in is checked first: iPXE
 * expands `${...}` anywhere in a line and ends a command at a newline, so user data with
 * either could rewrite the script.
 */

/** Why a value may not go into an iPXE script, or null when it may. */
export function unsafeForScript(value: string): string | null {
  if (/[\r\n]/.test(value)) return "contains a newline";
  if (value.includes("${")) return 'contains "${" (iPXE variable expansion)';
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(value)) return "contains a control character";
  return null;
}

export interface InstallScript {
  kernelUrl: string;
  initrdUrl: string;
  /** The full kernel command line, the registered part plus landscaper.* parameters. */
  cmdline: string;
  /** How many times each download is tried before the script gives up. */
  tries: number;
}

function assertSafe(what: string, v: string): void {
  const why = unsafeForScript(v);
  if (why) throw new Error(`${what} ${why}`);
}

export function renderInstallScript(s: InstallScript): string {
  assertSafe("kernel URL", s.kernelUrl);
  assertSafe("initrd URL", s.initrdUrl);
  assertSafe("cmdline", s.cmdline);
  // Retries are unrolled: Debian's iPXE build has no `inc`, so no counter loop. Each download
  // gets `tries` attempts, then the script exits and the firmware tries its next boot entry.
  const out = ["#!ipxe", "# Landscaper: install"];
  for (let i = 1; i <= s.tries; i++) {
    out.push(`kernel ${s.kernelUrl} initrd=initrd ${s.cmdline} && goto initrd ||`);
    if (i < s.tries) out.push("sleep 2");
  }
  out.push("goto fail", ":initrd");
  for (let i = 1; i <= s.tries; i++) {
    out.push(`initrd ${s.initrdUrl} && goto boot ||`);
    if (i < s.tries) out.push("sleep 2");
  }
  out.push(
    "goto fail",
    ":boot",
    "boot ||",
    ":fail",
    `echo Landscaper: download failed after ${s.tries} tries, trying the next boot device`,
    "exit 1",
    "",
  );
  return out.join("\n");
}

/**
 * An installed machine boots its own disk: `exit 1` hands control back to the firmware.
 * The status matters under UEFI: EDK2's boot manager treats a boot option that returns
 * success as done and opens its setup menu, but tries the next option (the disk) after an
 * error. SeaBIOS moves on to the next device either way (measured in the lab).
 */
export function renderLocalBootScript(): string {
  return "#!ipxe\n# Landscaper: installed, boot from local disk\nexit 1\n";
}

/** For a MAC Landscaper does not know: iPXE prints it and falls through. */
export function renderUnknownScript(mac: string): string {
  return `#!ipxe\necho Landscaper: ${mac.replace(/[^0-9a-f:]/g, "")} is not registered\nexit 1\n`;
}
