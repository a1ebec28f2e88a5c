import { readFile } from "node:fs/promises";
import ssh2 from "ssh2";
import { fingerprint, formatPublicKey, parsePublicKey } from "../core/openssh-keys.js";
import { checkSshHostPublicKeyInputs, type SshHostPublicKeyInputs } from "./inputs.js";
import { waitInstalled } from "./install-wait.js";
import type { ExtantResource, JsonObject } from "./protocol.js";
import { ResourceError, socketPath, type ResourceContext, type ResourceType } from "./resource.js";
import {
  connectWithRetry,
  exec,
  type Credentials,
  type Session,
  type Target,
} from "./ssh-session.js";

/**
 * `ssh_host_public_key`: takes over an installed machine's SSH identity. The machine
 * comes up presenting the installation host key (known to the deployment); this resource
 * logs in only to a host proving that key, makes a new host key on the machine itself
 * (the private half never crosses the network), has sshd take it up, checks the host
 * now proves the new key, and outputs it.
 */
export const sshHostPublicKey: ResourceType = {
  create(props, ctx) {
    return run(checkSshHostPublicKeyInputs(props), null, ctx);
  },
  update(previous: ExtantResource, props: JsonObject, ctx) {
    const recorded = previous.outputProperties?.hostPublicKey;
    let key: string | null = null;
    if (typeof recorded === "string") {
      try {
        parsePublicKey(recorded);
        key = recorded;
      } catch {
        ctx.log.warn("previous hostPublicKey output is not a public key; ignoring it");
      }
    }
    return run(checkSshHostPublicKeyInputs(props), key, ctx);
  },
};

/** Time allowed after the key swap for sshd to show the new key, whatever is left of `timeout`. */
const VERIFY_MS = 60_000;
const COMMAND_MS = 60_000;
const INSTALLER_RECHECK_MS = 3000;
const MAX_INSTALLER_CHECKS = 2000;
const INSTALLER_MARK = "landscaper.token=";

/** True when the session is on a machine booted by Landscaper's installer, not its own system. */
async function runsInstaller(session: Session): Promise<boolean> {
  const r = await exec(session.client, "cat /proc/cmdline 2>/dev/null || true", COMMAND_MS);
  return r.stdout.includes(INSTALLER_MARK);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The key swap, run on the target: a new key in a temporary directory beside the old one
 * (same file system, so each rename is atomic), then both files renamed into place.
 */
export function rotateScript(hostKeyPath: string): string {
  const p = shellQuote(hostKeyPath);
  return [
    "set -eu",
    "umask 077",
    `dir=$(dirname ${p})`,
    'tmp=$(mktemp -d "$dir/.landscaper-hostkey.XXXXXX")',
    "trap 'rm -rf \"$tmp\"' EXIT",
    "ssh-keygen -q -t ed25519 -N '' -C '' -f \"$tmp/key\" </dev/null",
    'chmod 600 "$tmp/key"',
    'chmod 644 "$tmp/key.pub"',
    `mv -f "$tmp/key.pub" ${shellQuote(hostKeyPath + ".pub")}`,
    `mv -f "$tmp/key" ${p}`,
    `cat ${shellQuote(hostKeyPath + ".pub")}`,
  ].join("\n");
}

async function credentials(
  inputs: SshHostPublicKeyInputs,
  ctx: ResourceContext,
): Promise<Credentials> {
  if (inputs.privateKey !== undefined) return { privateKey: inputs.privateKey };
  if (inputs.privateKeyFile !== undefined) {
    let text: string;
    try {
      text = await readFile(inputs.privateKeyFile, "utf8");
    } catch (e) {
      throw new ResourceError(
        `ssh_host_public_key: cannot read privateKeyFile ${inputs.privateKeyFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    const parsed = ssh2.utils.parseKey(text);
    if (parsed instanceof Error || Array.isArray(parsed) || !parsed.isPrivateKey()) {
      throw new ResourceError(
        `ssh_host_public_key: privateKeyFile ${inputs.privateKeyFile} is not an unencrypted private key`,
      );
    }
    return { privateKey: text };
  }
  const agent = ctx.env.SSH_AUTH_SOCK;
  if (agent) return { agent };
  throw new ResourceError(
    "ssh_host_public_key: no way to log in: give the input privateKey or privateKeyFile, or run the provider with an ssh-agent (SSH_AUTH_SOCK is not set)",
  );
}

async function run(
  inputs: SshHostPublicKeyInputs,
  recorded: string | null,
  ctx: ResourceContext,
): Promise<JsonObject> {
  const deadline = Date.now() + inputs.timeout * 1000;
  const log = ctx.log.child({ host: inputs.host, port: inputs.port });
  const target: Target = {
    host: inputs.host,
    port: inputs.port,
    user: inputs.user,
    credentials: await credentials(inputs, ctx),
  };
  if (inputs.mac !== undefined) {
    await waitInstalled(socketPath(inputs.socket, ctx.env), inputs.mac, deadline, log);
    log.info({ mac: inputs.mac }, "install complete; connecting over SSH");
  }
  const accepted =
    recorded === null ? [inputs.expectedHostPublicKey] : [inputs.expectedHostPublicKey, recorded];
  let newKey: string | null = null;
  for (let attempt = 1; newKey === null && attempt <= MAX_INSTALLER_CHECKS; attempt++) {
    const session = await connectWithRetry(target, accepted, {
      deadline,
      log,
      what: "ssh_host_public_key",
    });
    try {
      if (recorded !== null && parsePublicKey(recorded).blob.equals(session.hostKey)) {
        log.info(
          { key: fingerprint(recorded) },
          "host already presents the recorded key; nothing to do",
        );
        return { hostPublicKey: normalise(recorded) };
      }
      if (!(await runsInstaller(session))) {
        newKey = await rotate(session, inputs, log);
        break;
      }
    } finally {
      session.client.end();
    }
    // The installer holds the installation key too, and reports "installed" before it
    // reboots; a key made now would live in its RAM and vanish with the reboot.
    if (Date.now() + INSTALLER_RECHECK_MS >= deadline) {
      throw new ResourceError(
        `ssh_host_public_key: ${inputs.host}:${inputs.port} was still running the Landscaper installer (its kernel command line carries landscaper.token=) when the timeout ran out; it should reboot into the installed system`,
      );
    }
    log.info("the host still runs the Landscaper installer; waiting for it to reboot");
    await new Promise((r) => setTimeout(r, INSTALLER_RECHECK_MS));
  }
  if (newKey === null)
    throw new ResourceError("ssh_host_public_key: the host never left the installer");
  let check: Session;
  try {
    check = await connectWithRetry(target, [newKey], {
      deadline: Date.now() + VERIFY_MS,
      notYet: [inputs.expectedHostPublicKey],
      firstBackoffMs: 250,
      log,
      what: "checking that sshd presents the new host key",
    });
  } catch (e) {
    if (!(e instanceof ResourceError)) throw e;
    throw new ResourceError(
      `ssh_host_public_key: the host key at ${inputs.hostKeyPath} is now ${newKey}, but ${e.message}; check reloadCommand and sshd's HostKey setting`,
    );
  }
  check.client.end();
  log.info({ key: fingerprint(newKey) }, "host presents its new key");
  return { hostPublicKey: newKey };
}

function normalise(key: string): string {
  const k = parsePublicKey(key);
  return formatPublicKey(k.type, k.blob);
}

async function rotate(
  session: Session,
  inputs: SshHostPublicKeyInputs,
  log: ResourceContext["log"],
): Promise<string> {
  const gen = await exec(session.client, rotateScript(inputs.hostKeyPath), COMMAND_MS);
  if (gen.code !== 0) {
    throw new ResourceError(
      `ssh_host_public_key: making a new host key at ${inputs.hostKeyPath} on ${inputs.host} failed (exit ${gen.code ?? "none"}): ${gen.stderr.trim() || gen.stdout.trim()}`,
    );
  }
  let newKey: string;
  try {
    newKey = normalise(gen.stdout.trim());
  } catch (e) {
    throw new ResourceError(
      `ssh_host_public_key: the new host key's .pub did not parse: ${(e as Error).message}`,
    );
  }
  log.info(
    { key: fingerprint(newKey), path: inputs.hostKeyPath },
    "new host key installed; reloading sshd",
  );
  const reload = await exec(session.client, inputs.reloadCommand, COMMAND_MS);
  // A reload that restarts sshd may take this session with it (no exit status): the
  // reconnection below is the real test of whether sshd took the key up.
  if (reload.code !== null && reload.code !== 0) {
    throw new ResourceError(
      `ssh_host_public_key: the host key at ${inputs.hostKeyPath} is now ${newKey}, but reloadCommand failed (exit ${reload.code}): ${reload.stderr.trim() || reload.stdout.trim()}`,
    );
  }
  return newKey;
}
