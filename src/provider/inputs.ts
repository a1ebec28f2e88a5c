import { InvalidBmc, parseBmc, type Bmc } from "../power/bmc.js";
import ssh2 from "ssh2";
import { parseHostIp4 } from "../core/ipv4.js";
import { parseMac, type Mac } from "../core/mac.js";
import { parsePublicKey, publicKeyFromPrivate } from "../core/openssh-keys.js";
import { isObject, type JsonObject } from "./protocol.js";

/**
 * Checking a resource's `inputProperties`: every key must be known, every required one
 * present, every value of the right type and form. Errors name the resource type and the
 * input, and never echo a value (inputs carry private keys).
 *
 * An optional input given as JSON `null` counts as absent: Nix modules commonly declare
 * optional options as `nullOr` with a `null` default, and serialise them as such.
 */

export class InputError extends Error {
  override name = "InputError";
}

type Kind = "string" | "integer" | "number" | "boolean" | "array" | "object";

export interface Spec {
  readonly kind: Kind;
  readonly required?: boolean;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number" && !Number.isInteger(v)) return "a non-integer number";
  return `a ${typeof v}`;
}

function hasKind(v: unknown, kind: Kind): boolean {
  switch (kind) {
    case "string":
      return typeof v === "string";
    case "integer":
      return typeof v === "number" && Number.isSafeInteger(v);
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "boolean":
      return typeof v === "boolean";
    case "array":
      return Array.isArray(v);
    case "object":
      return isObject(v);
  }
}

const ARTICLE: Record<Kind, string> = {
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "a boolean",
  array: "a list",
  object: "an object",
};

/** Known keys, presence and JSON types; returns the inputs with `null`s dropped. */
export function checkShape(
  type: string,
  props: JsonObject,
  specs: Record<string, Spec>,
): JsonObject {
  const known = Object.keys(specs);
  for (const k of Object.keys(props)) {
    if (!(k in specs)) {
      throw new InputError(
        `${type}: unknown input ${JSON.stringify(k)} (known inputs: ${known.join(", ")})`,
      );
    }
  }
  const out: JsonObject = {};
  for (const [name, spec] of Object.entries(specs)) {
    const v = props[name];
    if (v === undefined || v === null) {
      if (spec.required) throw new InputError(`${type}: missing required input ${name}`);
      continue;
    }
    if (!hasKind(v, spec.kind)) {
      throw new InputError(
        `${type}: input ${name} must be ${ARTICLE[spec.kind]}, got ${describe(v)}`,
      );
    }
    out[name] = v;
  }
  return out;
}

export function nonEmpty(type: string, name: string, v: unknown): string {
  const s = v as string;
  if (s.trim() === "") throw new InputError(`${type}: input ${name} must not be empty`);
  return s;
}

function mac(type: string, v: unknown): Mac {
  const m = parseMac(v as string);
  if (m === null) {
    throw new InputError(
      `${type}: input mac ${JSON.stringify(v)} is not a MAC address (use aa:bb:cc:dd:ee:ff)`,
    );
  }
  return m;
}

function publicKeyLine(type: string, name: string, v: unknown): string {
  try {
    parsePublicKey(v as string);
  } catch (e) {
    throw new InputError(
      `${type}: input ${name} is not an OpenSSH public key: ${(e as Error).message}`,
    );
  }
  return (v as string).trim();
}

// ---------------------------------------------------------------------------------------

export interface KeyPairText {
  publicKey: string;
  privateKey: string;
}

export interface PxeNbpInputs {
  mac: Mac;
  kernel: string;
  initrd: string;
  cmdline?: string;
  hostname?: string;
  /** The address reserved for the machine (DHCP server mode), dotted, as the API takes it. */
  ipv4?: string;
  job?: JsonObject;
  installationHostKey?: KeyPairText;
  /** The machine's BMC, checked as the control API checks it (the password stays in its file). */
  bmc?: Bmc;
  socket?: string;
  /** A counter: changing it on update re-arms the machine (a new install). */
  reinstall: number;
}

export function checkPxeNbpInputs(props: JsonObject): PxeNbpInputs {
  const t = "pxe_nbp";
  const v = checkShape(t, props, {
    mac: { kind: "string", required: true },
    kernel: { kind: "string", required: true },
    initrd: { kind: "string", required: true },
    cmdline: { kind: "string" },
    hostname: { kind: "string" },
    ipv4: { kind: "string" },
    job: { kind: "object" },
    installationHostKey: { kind: "object" },
    bmc: { kind: "object" },
    socket: { kind: "string" },
    reinstall: { kind: "integer" },
  });
  const r: PxeNbpInputs = {
    mac: mac(t, v.mac),
    kernel: nonEmpty(t, "kernel", v.kernel),
    initrd: nonEmpty(t, "initrd", v.initrd),
    reinstall: (v.reinstall as number | undefined) ?? 0,
  };
  if (r.reinstall < 0) throw new InputError(`${t}: input reinstall must be 0 or more`);
  if (v.cmdline !== undefined) r.cmdline = v.cmdline as string;
  if (v.hostname !== undefined) r.hostname = nonEmpty(t, "hostname", v.hostname);
  if (v.ipv4 !== undefined) {
    // The control API's own check, so a bad address fails at plan time, not at the PUT.
    const why = parseHostIp4(v.ipv4);
    if (typeof why === "string") throw new InputError(`${t}: input ipv4: ${why}`);
    r.ipv4 = v.ipv4 as string;
  }
  if (v.job !== undefined) r.job = v.job as JsonObject;
  if (v.socket !== undefined) r.socket = nonEmpty(t, "socket", v.socket);
  if (v.installationHostKey !== undefined) {
    r.installationHostKey = keyPair(t, v.installationHostKey as JsonObject);
  }
  if (v.bmc !== undefined) {
    try {
      r.bmc = parseBmc(v.bmc);
    } catch (e) {
      if (e instanceof InvalidBmc) throw new InputError(`${t}: input ${e.message}`);
      throw e;
    }
  }
  return r;
}

function keyPair(t: string, o: JsonObject): KeyPairText {
  const name = "installationHostKey";
  for (const k of Object.keys(o)) {
    if (k !== "publicKey" && k !== "privateKey") {
      throw new InputError(
        `${t}: input ${name} has unknown field ${JSON.stringify(k)} (expected publicKey, privateKey)`,
      );
    }
  }
  for (const k of ["publicKey", "privateKey"] as const) {
    if (typeof o[k] !== "string") {
      throw new InputError(`${t}: input ${name}.${k} must be a string, got ${describe(o[k])}`);
    }
  }
  const publicKey = publicKeyLine(t, `${name}.publicKey`, o.publicKey);
  const privateKey = o.privateKey as string;
  let derived: string;
  try {
    derived = publicKeyFromPrivate(privateKey);
  } catch (e) {
    throw new InputError(`${t}: input ${name}.privateKey: ${(e as Error).message}`);
  }
  if (!parsePublicKey(derived).blob.equals(parsePublicKey(publicKey).blob)) {
    throw new InputError(`${t}: input ${name}: publicKey is not the public half of privateKey`);
  }
  return { publicKey, privateKey };
}

// ---------------------------------------------------------------------------------------

export interface SshKeypairInputs {
  keyType: "ed25519";
  comment: string;
}

export function checkSshKeypairInputs(props: JsonObject): SshKeypairInputs {
  const t = "ssh_keypair";
  const v = checkShape(t, props, { keyType: { kind: "string" }, comment: { kind: "string" } });
  const keyType = (v.keyType as string | undefined) ?? "ed25519";
  if (keyType !== "ed25519") {
    throw new InputError(
      `${t}: input keyType ${JSON.stringify(keyType)} is not supported (only "ed25519")`,
    );
  }
  const comment = (v.comment as string | undefined) ?? "";
  if (/[\r\n]/.test(comment)) throw new InputError(`${t}: input comment must be one line`);
  return { keyType, comment };
}

// ---------------------------------------------------------------------------------------

export const DEFAULT_HOST_KEY_PATH = "/etc/ssh/ssh_host_ed25519_key";
/** NixOS names the unit sshd, Debian ssh; sshd re-reads its host keys on SIGHUP either way. */
export const DEFAULT_RELOAD_COMMAND =
  'systemctl reload sshd 2>/dev/null || systemctl reload ssh 2>/dev/null || kill -HUP "$(cat /run/sshd.pid)"';
export const DEFAULT_TIMEOUT_SECONDS = 1800;

export interface SshHostPublicKeyInputs {
  host: string;
  port: number;
  user: string;
  privateKey?: string;
  privateKeyFile?: string;
  expectedHostPublicKey: string;
  hostKeyPath: string;
  reloadCommand: string;
  mac?: Mac;
  socket?: string;
  /** Seconds, for the whole run: the install wait plus SSH. */
  timeout: number;
}

export function checkSshHostPublicKeyInputs(props: JsonObject): SshHostPublicKeyInputs {
  const t = "ssh_host_public_key";
  const v = checkShape(t, props, {
    host: { kind: "string", required: true },
    port: { kind: "integer" },
    user: { kind: "string" },
    privateKey: { kind: "string" },
    privateKeyFile: { kind: "string" },
    expectedHostPublicKey: { kind: "string", required: true },
    hostKeyPath: { kind: "string" },
    reloadCommand: { kind: "string" },
    mac: { kind: "string" },
    socket: { kind: "string" },
    timeout: { kind: "number" },
  });
  const r: SshHostPublicKeyInputs = {
    host: nonEmpty(t, "host", v.host),
    port: (v.port as number | undefined) ?? 22,
    user: v.user === undefined ? "root" : nonEmpty(t, "user", v.user),
    expectedHostPublicKey: publicKeyLine(t, "expectedHostPublicKey", v.expectedHostPublicKey),
    hostKeyPath: (v.hostKeyPath as string | undefined) ?? DEFAULT_HOST_KEY_PATH,
    reloadCommand:
      v.reloadCommand === undefined
        ? DEFAULT_RELOAD_COMMAND
        : nonEmpty(t, "reloadCommand", v.reloadCommand),
    timeout: (v.timeout as number | undefined) ?? DEFAULT_TIMEOUT_SECONDS,
  };
  if (r.port < 1 || r.port > 65535) throw new InputError(`${t}: input port must be 1..65535`);
  if (r.timeout <= 0)
    throw new InputError(`${t}: input timeout must be a positive number of seconds`);
  if (!r.hostKeyPath.startsWith("/") || /[\0\n]/.test(r.hostKeyPath)) {
    throw new InputError(`${t}: input hostKeyPath must be an absolute path`);
  }
  if (v.privateKey !== undefined && v.privateKeyFile !== undefined) {
    throw new InputError(`${t}: give at most one of the inputs privateKey and privateKeyFile`);
  }
  if (v.privateKey !== undefined) {
    const parsed = ssh2.utils.parseKey(v.privateKey as string);
    if (parsed instanceof Error || Array.isArray(parsed) || !parsed.isPrivateKey()) {
      const why = parsed instanceof Error ? `: ${parsed.message}` : "";
      throw new InputError(`${t}: input privateKey is not a usable unencrypted private key${why}`);
    }
    r.privateKey = v.privateKey as string;
  }
  if (v.privateKeyFile !== undefined) {
    const f = v.privateKeyFile as string;
    if (!f.startsWith("/"))
      throw new InputError(`${t}: input privateKeyFile must be an absolute path`);
    r.privateKeyFile = f;
  }
  if (v.mac !== undefined) r.mac = mac(t, v.mac);
  if (v.socket !== undefined) r.socket = nonEmpty(t, "socket", v.socket);
  return r;
}
