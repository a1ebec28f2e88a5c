import { Client, type ConnectConfig } from "ssh2";
import { fingerprint, parsePublicKey } from "../core/openssh-keys.js";
import type { Logger } from "../core/log.js";
import { ResourceError } from "./resource.js";

/**
 * SSH connections pinned to known host keys. A host presenting any other key is refused
 * during the key exchange, before authentication, so no credential is offered to it.
 */

export type Credentials = { privateKey: string } | { agent: string };

export interface Target {
  host: string;
  port: number;
  user: string;
  credentials: Credentials;
}

/** A connected, authenticated session and the host key blob the server proved it holds. */
export interface Session {
  client: Client;
  hostKey: Buffer;
}

/** Why one attempt failed; `hostKey` is set when the host presented a key we refused. */
export class ConnectFailure extends Error {
  override name = "ConnectFailure";
  constructor(
    message: string,
    readonly kind: "refused-host-key" | "auth" | "network",
    readonly hostKey: Buffer | null = null,
  ) {
    super(message);
  }
}

/** The host key algorithms to ask for so that the server shows the key of this type. */
function hostKeyAlgorithms(types: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of types) {
    const algos = t === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [t];
    for (const a of algos) if (!out.includes(a)) out.push(a);
  }
  return out;
}

/** One attempt: connect, accept only `accepted` host keys, authenticate. */
export function connectOnce(
  target: Target,
  accepted: readonly string[],
  readyTimeoutMs: number,
): Promise<Session> {
  const blobs = accepted.map((k) => parsePublicKey(k).blob);
  const types = accepted.map((k) => parsePublicKey(k).type);
  return new Promise((resolve, reject) => {
    const client = new Client();
    let presented: Buffer | null = null;
    let refused = false;
    let settled = false;
    const settle = (err: ConnectFailure | null): void => {
      if (settled) return;
      settled = true;
      if (err === null) {
        resolve({ client, hostKey: presented ?? Buffer.alloc(0) });
      } else {
        client.end();
        reject(err);
      }
    };
    client.on("ready", () => settle(null));
    client.on("error", (e: Error & { level?: string }) => {
      if (refused) {
        const fp = presented ? fingerprint(presented) : "?";
        settle(new ConnectFailure(`host presented ${fp}`, "refused-host-key", presented));
      } else if (e.level === "client-authentication") {
        settle(new ConnectFailure(`authentication as ${target.user} failed: ${e.message}`, "auth"));
      } else {
        settle(new ConnectFailure(e.message, "network"));
      }
    });
    client.on("close", () => settle(new ConnectFailure("connection closed", "network")));
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      readyTimeout: Math.max(1000, Math.round(readyTimeoutMs)),
      algorithms: { serverHostKey: hostKeyAlgorithms(types) as never },
      hostVerifier: (key: Buffer) => {
        presented = Buffer.from(key);
        refused = !blobs.some((b) => b.equals(key));
        return !refused;
      },
      ...target.credentials,
    };
    try {
      client.connect(config);
    } catch (e) {
      settle(new ConnectFailure((e as Error).message, "network"));
    }
  });
}

export interface RetryPolicy {
  /** epoch ms after which no new attempt starts */
  deadline: number;
  /** host keys that are not refused but mean "not yet" (retry) rather than success */
  notYet?: readonly string[];
  /** first pause between attempts (default 1 s); it doubles up to 15 s */
  firstBackoffMs?: number;
  log: Logger;
  what: string;
}

const MAX_ATTEMPTS = 500;
const MAX_BACKOFF_MS = 15_000;
const ATTEMPT_TIMEOUT_MS = 20_000;

/**
 * Connects with retries and exponential backoff (1 s doubling to 15 s) until the deadline:
 * a machine that is rebooting refuses connections or times out for a while. A refused host
 * key ends the retries at once (it is not "not up yet", it is the wrong host or key),
 * unless it is one of `notYet`, e.g. the old key just before sshd has re-read its keys.
 */
export async function connectWithRetry(
  target: Target,
  accepted: readonly string[],
  policy: RetryPolicy,
): Promise<Session> {
  const notYet = (policy.notYet ?? []).map((k) => parsePublicKey(k).blob);
  let backoff = policy.firstBackoffMs ?? 1000;
  let last: ConnectFailure | null = null;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const remaining = policy.deadline - Date.now();
    if (remaining <= 0) break;
    try {
      return await connectOnce(
        target,
        [...accepted, ...(policy.notYet ?? [])],
        Math.min(ATTEMPT_TIMEOUT_MS, remaining),
      ).then((s) => {
        if (notYet.some((b) => b.equals(s.hostKey))) {
          s.client.end();
          throw new ConnectFailure(
            `host still presents ${fingerprint(s.hostKey)}`,
            "network",
            s.hostKey,
          );
        }
        return s;
      });
    } catch (e) {
      if (!(e instanceof ConnectFailure)) throw e;
      last = e;
      if (e.kind === "refused-host-key") {
        throw new ResourceError(
          `${policy.what}: ${target.host}:${target.port} presented host key ${
            e.hostKey ? fingerprint(e.hostKey) : "?"
          }, which is not the expected ${accepted.map((k) => fingerprint(k)).join(" or ")}; refusing to log in`,
        );
      }
      policy.log.info(
        { host: target.host, port: target.port, attempt, error: e.message },
        `${policy.what}: not yet, retrying in ${backoff} ms`,
      );
    }
    const wait = Math.min(backoff, Math.max(0, policy.deadline - Date.now()));
    if (wait <= 0) break;
    await new Promise((r) => setTimeout(r, wait));
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
  throw new ResourceError(
    `${policy.what}: gave up on ${target.user}@${target.host}:${target.port}: ${last?.message ?? "no attempt fitted in the timeout"}`,
  );
}

export interface ExecResult {
  /** null when the connection went away before an exit status (e.g. sshd restarted) */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one command over the session, collecting its output; bounded by `timeoutMs`. */
export function exec(client: Client, command: string, timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    let code: number | null = null;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      reject(new ResourceError(`command did not finish within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    client.once("close", finish);
    client.exec(command, (err, stream) => {
      if (err) {
        done = true;
        clearTimeout(timer);
        reject(new ResourceError(`cannot run a command over SSH: ${err.message}`));
        return;
      }
      stream.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
      stream.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
      stream.on("exit", (c: number | null) => (code = c));
      stream.on("close", finish);
    });
  });
}
