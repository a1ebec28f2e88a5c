import { createHmac, timingSafeEqual } from "node:crypto";
import { CLASS, encodeRecord, TYPE, type DecodedMessage, type ResourceRecord } from "./message.js";
import {
  decodeName,
  DnsFormatError,
  encodeName,
  lowerName,
  parseName,
  sameName,
  type DnsName,
} from "./name.js";

/**
 * TSIG (RFC 8945): signing a request and verifying the response with an HMAC over the
 * message and the TSIG variables. Pure: the time is a parameter.
 */

export const TSIG_ALGORITHMS = {
  "hmac-sha1": "sha1",
  "hmac-sha224": "sha224",
  "hmac-sha256": "sha256",
  "hmac-sha384": "sha384",
  "hmac-sha512": "sha512",
} as const;
export type TsigAlgorithm = keyof typeof TSIG_ALGORITHMS;

export interface TsigKey {
  name: DnsName;
  algorithm: TsigAlgorithm;
  secret: Buffer;
}

/** Seconds of clock difference either side that a signature is accepted within (RFC 8945 5.2.3). */
export const FUDGE = 300;

interface TsigFields {
  algorithm: DnsName;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
}

function u48(n: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** The TSIG variables (RFC 8945 section 4.3.3), in the form they are signed in. */
function variables(key: TsigKey, t: TsigFields): Buffer {
  const ct = Buffer.alloc(6);
  ct.writeUInt16BE(CLASS.ANY, 0); // class ANY, TTL 0
  return Buffer.concat([
    encodeName(lowerName(key.name)),
    ct,
    encodeName(lowerName(t.algorithm)),
    u48(t.timeSigned),
    u16(t.fudge),
    u16(t.error),
    u16(t.other.length),
    t.other,
  ]);
}

function hmac(key: TsigKey, parts: Buffer[]): Buffer {
  const h = createHmac(TSIG_ALGORITHMS[key.algorithm], key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

function tsigRecord(key: TsigKey, t: TsigFields): ResourceRecord {
  const rdata = Buffer.concat([
    encodeName(t.algorithm),
    u48(t.timeSigned),
    u16(t.fudge),
    u16(t.mac.length),
    t.mac,
    u16(t.originalId),
    u16(t.error),
    u16(t.other.length),
    t.other,
  ]);
  return { name: key.name, type: TYPE.TSIG, cls: CLASS.ANY, ttl: 0, rdata };
}

/**
 * Appends a TSIG record to an encoded request (whose ARCOUNT does not count it yet).
 * Returns the signed bytes and the MAC, which the response's MAC covers.
 */
export function signRequest(
  request: Buffer,
  key: TsigKey,
  now: number,
): { wire: Buffer; mac: Buffer } {
  const t: TsigFields = {
    algorithm: parseName(`${key.algorithm}.`),
    timeSigned: Math.floor(now),
    fudge: FUDGE,
    mac: Buffer.alloc(0),
    originalId: request.readUInt16BE(0),
    error: 0,
    other: Buffer.alloc(0),
  };
  t.mac = hmac(key, [request, variables(key, t)]);
  const wire = Buffer.concat([request, encodeRecord(tsigRecord(key, t))]);
  wire.writeUInt16BE(request.readUInt16BE(10) + 1, 10);
  return { wire, mac: t.mac };
}

function parseTsig(rdata: Buffer): TsigFields {
  const { name, next } = decodeName(rdata, 0);
  if (next + 10 > rdata.length) throw new DnsFormatError("TSIG RDATA is cut off");
  const macLen = rdata.readUInt16BE(next + 8);
  const p = next + 10 + macLen;
  if (p + 6 > rdata.length) throw new DnsFormatError("TSIG RDATA is cut off");
  const otherLen = rdata.readUInt16BE(p + 4);
  if (p + 6 + otherLen !== rdata.length) throw new DnsFormatError("TSIG RDATA has a bad length");
  return {
    algorithm: name,
    timeSigned: rdata.readUIntBE(next, 6),
    fudge: rdata.readUInt16BE(next + 6),
    mac: Buffer.from(rdata.subarray(next + 10, next + 10 + macLen)),
    originalId: rdata.readUInt16BE(p),
    error: rdata.readUInt16BE(p + 2),
    other: Buffer.from(rdata.subarray(p + 6)),
  };
}

/** The outcome of checking a response's TSIG; `tsigError` is the server's TSIG error code. */
export type TsigVerdict =
  | { ok: true }
  | { ok: false; unsigned: true }
  | { ok: false; unsigned: false; tsigError: number; reason: string };

/**
 * Verifies the TSIG on a response to a request signed with `requestMac` (RFC 8945 5.3).
 * A response with a TSIG error (BADSIG, BADKEY: MAC empty; BADTIME) reports that error.
 */
export function verifyResponse(
  bytes: Buffer,
  msg: DecodedMessage,
  key: TsigKey,
  requestMac: Buffer,
  now: number,
): TsigVerdict {
  const last = msg.additional.at(-1);
  const at = msg.additionalOffsets.at(-1);
  if (last === undefined || at === undefined || last.type !== TYPE.TSIG) {
    return { ok: false, unsigned: true };
  }
  const t = parseTsig(last.rdata);
  const fail = (tsigError: number, reason: string): TsigVerdict => ({
    ok: false,
    unsigned: false,
    tsigError,
    reason,
  });
  if (t.error !== 0) return fail(t.error, "the server reported a TSIG error");
  if (!sameName(last.name, key.name)) return fail(17, "the response is signed with another key");
  if (!sameName(t.algorithm, parseName(`${key.algorithm}.`))) {
    return fail(17, "the response is signed with another algorithm");
  }
  const body = Buffer.from(bytes.subarray(0, at));
  body.writeUInt16BE(t.originalId, 0);
  body.writeUInt16BE(msg.additional.length - 1, 10);
  const expected = hmac(key, [u16(requestMac.length), requestMac, body, variables(key, t)]);
  if (t.mac.length !== expected.length || !timingSafeEqual(t.mac, expected)) {
    return fail(16, "the response's TSIG MAC does not verify with our secret");
  }
  if (Math.abs(Math.floor(now) - t.timeSigned) > t.fudge) {
    return fail(
      18,
      `the response was signed at ${t.timeSigned}, our clock says ${Math.floor(now)}`,
    );
  }
  return { ok: true };
}
