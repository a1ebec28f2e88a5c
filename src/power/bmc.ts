import { isIP } from "node:net";
import { isAbsolute } from "node:path";

/**
 * How Landscaper reaches a machine's baseboard management controller. The password is
 * never part of this value: only the path of a file holding it, read each time an action
 * runs, so that no state file, output, event or log line can carry it.
 */
export interface Bmc {
  protocol: "ipmi";
  /** IPv4, IPv6 or DNS name of the BMC's LAN interface. */
  address: string;
  /** UDP port of RMCP+ (IPMI over LAN); 623 unless set. */
  port: number;
  username: string;
  /** Absolute path on the appliance of a file whose first line is the password. */
  passwordFile: string;
  /**
   * RMCP+ cipher suite (ipmitool -C). Null lets ipmitool ask the BMC (Get Channel Cipher
   * Suites); BMCs that do not answer that (ipmi_sim, some old ones) need it set, else each
   * call waits ~10 s before falling back.
   */
  cipherSuite: number | null;
  /** What the one-time network boot asks the firmware for: UEFI PXE or legacy BIOS PXE. */
  firmware: "uefi" | "bios";
}

export const IPMI_PORT = 623;
const FIELDS = [
  "protocol",
  "address",
  "port",
  "username",
  "passwordFile",
  "cipherSuite",
  "firmware",
];
const DNS_NAME =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
/** IPMI 2.0 user names are at most 16 bytes; printable ASCII keeps them unambiguous. */
const USERNAME = /^[\x20-\x7e]{1,16}$/;

/** A BMC description that cannot be used; `field` is its dotted path (`bmc.port`). */
export class InvalidBmc extends Error {
  override name = "InvalidBmc";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks a BMC description from the control API, the CLI or the provider, and fills in the
 * defaults. Pure: the password file is not opened here (it is read when an action runs).
 * `at` names the value in messages, so that `bmc.port` points at the offending field.
 */
export function parseBmc(input: unknown, at = "bmc"): Bmc {
  const fail = (field: string, why: string): never => {
    const path = field ? `${at}.${field}` : at;
    throw new InvalidBmc(path, `${path}: ${why}`);
  };
  if (typeof input !== "object" || input === null || Array.isArray(input))
    fail("", "expected an object {protocol, address, port?, username, passwordFile}");
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!FIELDS.includes(k)) fail(k, `unknown field (known: ${FIELDS.join(", ")})`);
  }
  if (o.protocol !== "ipmi")
    fail("protocol", `expected "ipmi" (IPMI over LAN), got ${JSON.stringify(o.protocol)}`);
  const address = o.address;
  if (typeof address !== "string" || !(isIP(address) !== 0 || DNS_NAME.test(address)))
    fail("address", `expected an IP address or DNS name, got ${JSON.stringify(address)}`);
  const port = o.port ?? IPMI_PORT;
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535)
    fail("port", `expected a UDP port 1-65535, got ${JSON.stringify(o.port)}`);
  const username = o.username;
  if (typeof username !== "string" || !USERNAME.test(username))
    fail("username", "expected 1-16 printable ASCII characters (the IPMI user name)");
  const passwordFile = o.passwordFile;
  if (typeof passwordFile !== "string" || !isAbsolute(passwordFile) || passwordFile.includes("\0"))
    fail(
      "passwordFile",
      `expected an absolute path of a file holding the password, got ${JSON.stringify(passwordFile)}`,
    );
  const cipherSuite = o.cipherSuite ?? null;
  if (
    cipherSuite !== null &&
    (!Number.isInteger(cipherSuite) || (cipherSuite as number) < 0 || (cipherSuite as number) > 17)
  )
    fail("cipherSuite", `expected an RMCP+ cipher suite 0-17, got ${JSON.stringify(cipherSuite)}`);
  const firmware = o.firmware ?? "uefi";
  if (firmware !== "uefi" && firmware !== "bios")
    fail("firmware", `expected "uefi" or "bios", got ${JSON.stringify(firmware)}`);
  return {
    protocol: "ipmi",
    address: address as string,
    port: port as number,
    username: username as string,
    passwordFile: passwordFile as string,
    cipherSuite: cipherSuite as number | null,
    firmware: firmware as "uefi" | "bios",
  };
}

/** `ADDRESS:PORT` (`[v6]:PORT`): how messages name a BMC, and the key its actions queue on. */
export function bmcEndpoint(bmc: Pick<Bmc, "address" | "port">): string {
  return isIP(bmc.address) === 6 ? `[${bmc.address}]:${bmc.port}` : `${bmc.address}:${bmc.port}`;
}
