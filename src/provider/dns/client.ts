import { randomInt } from "node:crypto";
import {
  CLASS,
  decodeMessage,
  emptyMessage,
  encodeMessage,
  OPCODE,
  RCODES,
  rcodeText,
  type DecodedMessage,
  type Message,
  type ResourceRecord,
} from "./message.js";
import { DnsFormatError, sameName, type DnsName } from "./name.js";
import { signRequest, verifyResponse, type TsigKey } from "./tsig.js";
import { DnsTimeoutError, exchange, type ServerAddress } from "./transport.js";

/**
 * Asking an authoritative server: a query for one record set, or a signed UPDATE. Retries
 * a timeout or SERVFAIL a bounded number of times with doubling waits; every other
 * failure is a DnsError whose message says what went wrong in the server's terms.
 */

export const RCODE = {
  NOERROR: 0,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  REFUSED: 5,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
} as const;

export interface RetryPolicy {
  attempts: number;
  /** per attempt and transport */
  timeoutMs: number;
  /** the wait after the first failed attempt; doubled after each */
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, timeoutMs: 2000, backoffMs: 250 };

export class DnsError extends Error {
  override name = "DnsError";
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function ask(
  server: ServerAddress,
  what: string,
  build: (id: number) => Message,
  key: TsigKey | undefined,
  retry: RetryPolicy,
): Promise<DecodedMessage> {
  let last = "";
  for (let attempt = 0; attempt < retry.attempts; attempt++) {
    if (attempt > 0) await sleep(retry.backoffMs * 2 ** (attempt - 1));
    const plain = encodeMessage(build(randomInt(0x10000)));
    const signed = key ? signRequest(plain, key, Date.now() / 1000) : null;
    let raw: Buffer;
    try {
      raw = await exchange(server, signed?.wire ?? plain, retry.timeoutMs);
    } catch (e) {
      if (!(e instanceof DnsTimeoutError) && (e as NodeJS.ErrnoException).code === "ENOTFOUND") {
        throw new DnsError(
          `${what}: cannot resolve the server's host name (${(e as Error).message})`,
        );
      }
      last = (e as Error).message;
      continue;
    }
    let msg: DecodedMessage;
    try {
      msg = decodeMessage(raw);
    } catch (e) {
      if (e instanceof DnsFormatError) {
        throw new DnsError(`${what}: the server's answer is malformed: ${e.message}`);
      }
      throw e;
    }
    if (key && signed) {
      const v = verifyResponse(raw, msg, key, signed.mac, Date.now() / 1000);
      if (!v.ok && !v.unsigned) {
        throw new DnsError(
          `${what}: ${rcodeText(v.tsigError)}: ${v.reason}, RCODE ${RCODES[msg.rcode]?.name ?? msg.rcode}`,
        );
      }
      if (!v.ok && msg.rcode === RCODE.NOERROR) {
        throw new DnsError(`${what}: the server's answer to a signed request is not signed`);
      }
    }
    if (msg.rcode === RCODE.SERVFAIL) {
      last = rcodeText(msg.rcode);
      continue;
    }
    return msg;
  }
  throw new DnsError(`${what}: no usable answer after ${retry.attempts} attempts (last: ${last})`);
}

/** A record set as the server holds it: RDATA in wire form, one TTL. */
export interface HeldSet {
  rdata: Buffer[];
  ttl: number;
}

/**
 * Reads one record set from the server, which must answer authoritatively. With a key the
 * query is signed and the answer must verify, so what is read back is what the server said.
 */
export async function queryRecordSet(
  server: ServerAddress,
  name: DnsName,
  type: number,
  key: TsigKey | undefined,
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<HeldSet> {
  const msg = await ask(
    server,
    "querying the record set",
    (id) => ({ ...emptyMessage(id, OPCODE.QUERY), questions: [{ name, type, cls: CLASS.IN }] }),
    key,
    retry,
  );
  if (msg.rcode === RCODE.REFUSED) {
    throw new DnsError(
      "querying the record set: REFUSED: the server does not serve this zone (is the zone name right, and is it loaded there?)",
    );
  }
  if (msg.rcode === RCODE.NOTAUTH) {
    // PowerDNS answers a query whose TSIG it cannot verify with a bare NOTAUTH.
    throw new DnsError(
      `querying the record set: NOTAUTH: the server is not authoritative for this zone${key ? ", or does not accept the TSIG key or secret" : ""}`,
    );
  }
  if (msg.rcode !== RCODE.NOERROR && msg.rcode !== RCODE.NXDOMAIN) {
    throw new DnsError(`querying the record set: ${rcodeText(msg.rcode)}`);
  }
  if (!msg.authoritative) {
    throw new DnsError(
      "querying the record set: the answer is not authoritative (is the server the zone's primary, and the zone loaded?)",
    );
  }
  const mine = msg.answers.filter(
    (r) => r.type === type && r.cls === CLASS.IN && sameName(r.name, name),
  );
  return { rdata: mine.map((r) => r.rdata), ttl: mine[0]?.ttl ?? 0 };
}

export type UpdateResult = "done" | "prerequisite-failed";

/** Sends one signed UPDATE (RFC 2136): zone, prerequisites, updates. */
export async function sendUpdate(
  server: ServerAddress,
  zone: DnsName,
  prerequisites: ResourceRecord[],
  updates: ResourceRecord[],
  key: TsigKey | undefined,
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<UpdateResult> {
  const msg = await ask(
    server,
    "sending the UPDATE",
    (id) => ({
      ...emptyMessage(id, OPCODE.UPDATE),
      questions: [{ name: zone, type: 6 /* SOA */, cls: CLASS.IN }],
      answers: prerequisites,
      authority: updates,
    }),
    key,
    retry,
  );
  if (msg.rcode === RCODE.NOERROR) return "done";
  if (msg.rcode === RCODE.YXRRSET || msg.rcode === RCODE.NXRRSET) return "prerequisite-failed";
  throw new DnsError(`sending the UPDATE: refused: ${rcodeText(msg.rcode)}`);
}
