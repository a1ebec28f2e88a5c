import { Refusal } from "../core/refusal.js";
import { isAbsolute } from "node:path";
import { validateJob } from "../boot/job.js";
import { unsafeForScript } from "../boot/script.js";
import { parseHostIp4, type Ip4 } from "../core/ipv4.js";
import { publicKeyIdentity } from "../core/openssh-keys.js";
import { InvalidBmc, parseBmc } from "../power/bmc.js";
import type { Registration } from "./machine.js";

const FIELDS = [
  "kernel",
  "initrd",
  "cmdline",
  "hostname",
  "job",
  "installationHostKey",
  "bmc",
  "ipv4",
];
const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export class InvalidRegistration extends Refusal {
  override name = "InvalidRegistration";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(400, message, { field });
  }
}

function fail(field: string, why: string): never {
  throw new InvalidRegistration(field, `${field}: ${why}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks a PUT body; throws InvalidRegistration naming the field. */
export function parseRegistration(body: unknown): Registration {
  if (!isObject(body)) fail("body", "expected a JSON object {kernel, initrd, ...}");
  for (const k of Object.keys(body)) {
    if (!FIELDS.includes(k)) fail(k, `unknown field (known: ${FIELDS.join(", ")})`);
  }
  const path = (field: "kernel" | "initrd"): string => {
    const v = body[field];
    if (typeof v !== "string" || v === "")
      fail(field, "required: an absolute path on the appliance");
    if (!isAbsolute(v) || v.includes("\0"))
      fail(field, `expected an absolute path, got ${JSON.stringify(v)}`);
    return v;
  };
  const kernel = path("kernel");
  const initrd = path("initrd");
  let cmdline = "";
  if (body.cmdline !== undefined && body.cmdline !== null) {
    if (typeof body.cmdline !== "string") fail("cmdline", "expected a string");
    const why = unsafeForScript(body.cmdline);
    if (why) fail("cmdline", why);
    if (/(^|\s)landscaper\./.test(body.cmdline))
      fail("cmdline", "landscaper.* parameters are added by Landscaper and may not be set");
    cmdline = body.cmdline.trim();
  }
  let hostname: string | null = null;
  if (body.hostname !== undefined && body.hostname !== null) {
    if (
      typeof body.hostname !== "string" ||
      !HOSTNAME.test(body.hostname) ||
      body.hostname.length > 253
    )
      fail("hostname", `expected a DNS host name, got ${JSON.stringify(body.hostname)}`);
    hostname = body.hostname;
  }
  let job = null;
  if (body.job !== undefined && body.job !== null) {
    const j = validateJob(body.job);
    if (typeof j === "string") throw new InvalidRegistration("job", j);
    job = j;
  }
  let installationHostKey = null;
  if (body.installationHostKey !== undefined && body.installationHostKey !== null) {
    const k = body.installationHostKey;
    if (!isObject(k)) fail("installationHostKey", "expected {publicKey, privateKey}");
    for (const f of Object.keys(k)) {
      if (f !== "publicKey" && f !== "privateKey")
        fail(`installationHostKey.${f}`, "unknown field");
    }
    if (typeof k.publicKey !== "string" || publicKeyIdentity(k.publicKey) === null)
      fail(
        "installationHostKey.publicKey",
        "expected an OpenSSH public key line (ssh-ed25519 AAAA...)",
      );
    if (
      typeof k.privateKey !== "string" ||
      !k.privateKey.includes("-----BEGIN OPENSSH PRIVATE KEY-----")
    )
      fail(
        "installationHostKey.privateKey",
        "expected an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----)",
      );
    installationHostKey = { publicKey: k.publicKey.trim(), privateKey: k.privateKey };
  }
  let bmc = null;
  if (body.bmc !== undefined && body.bmc !== null) {
    try {
      bmc = parseBmc(body.bmc);
    } catch (e) {
      if (e instanceof InvalidBmc) throw new InvalidRegistration(e.field, e.message);
      throw e;
    }
  }
  let ipv4: Ip4 | null = null;
  if (body.ipv4 !== undefined && body.ipv4 !== null) {
    const ip = parseHostIp4(body.ipv4);
    if (typeof ip === "string") fail("ipv4", ip);
    ipv4 = ip;
  }
  return { kernel, initrd, cmdline, hostname, job, installationHostKey, bmc, ipv4 };
}
