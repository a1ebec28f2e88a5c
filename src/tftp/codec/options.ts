import type { TftpOption } from "./packet.js";

/** RFC 2348: the largest block that fits a 64 KiB UDP datagram over IPv4. */
export const MAX_BLKSIZE = 65464;
export const MIN_BLKSIZE = 8;
export const DEFAULT_BLKSIZE = 512;

export interface NegotiationLimits {
  readonly maxBlksize: number;
  readonly maxWindowsize: number;
}

/** What one transfer runs with, and the OACK that tells the client so. */
export interface Negotiated {
  readonly blksize: number;
  readonly windowsize: number;
  /** RFC 2349 `timeout` in milliseconds, when the client asked for one. */
  readonly timeoutMs: number | null;
  /** Options acknowledged, in the client's order; empty means no OACK (plain RFC 1350). */
  readonly oack: readonly TftpOption[];
  /** Options left out of the OACK and why (unknown, or a value we cannot honour). */
  readonly ignored: readonly { readonly name: string; readonly reason: string }[];
}

const DECIMAL = /^[0-9]{1,10}$/;

function integer(value: string): number | null {
  return DECIMAL.test(value) ? Number(value) : null;
}

/**
 * RFC 2347 negotiation for a read request. An option we cannot honour is left out of the
 * OACK rather than failing the transfer: the client then falls back to the RFC 1350 default
 * for it, which every client handles.
 */
export function negotiate(
  options: readonly TftpOption[],
  fileSize: number,
  limits: NegotiationLimits,
): Negotiated {
  let blksize = DEFAULT_BLKSIZE;
  let windowsize = 1;
  let timeoutMs: number | null = null;
  const oack: TftpOption[] = [];
  const ignored: { name: string; reason: string }[] = [];
  const blkCap = Math.max(MIN_BLKSIZE, Math.min(limits.maxBlksize, MAX_BLKSIZE));
  const winCap = Math.max(1, limits.maxWindowsize);

  for (const { name, value } of options) {
    const n = integer(value);
    switch (name) {
      case "blksize":
        if (n === null || n < MIN_BLKSIZE) {
          ignored.push({ name, reason: `blksize ${JSON.stringify(value)} is not an integer >= 8` });
        } else {
          blksize = Math.min(n, blkCap);
          oack.push({ name, value: String(blksize) });
        }
        break;
      case "tsize":
        // A read request carries 0; the answer is the real size.
        if (n === null) {
          ignored.push({ name, reason: `tsize ${JSON.stringify(value)} is not an integer` });
        } else if (fileSize === 0) {
          // curl (7.88) rejects "tsize 0" in an OACK as invalid; declining is always allowed.
          ignored.push({ name, reason: "empty file" });
        } else {
          oack.push({ name, value: String(fileSize) });
        }
        break;
      case "timeout":
        // RFC 2349: the server may not change the value, so out of range means refused.
        if (n === null || n < 1 || n > 255) {
          ignored.push({ name, reason: `timeout ${JSON.stringify(value)} is not 1..255 seconds` });
        } else {
          timeoutMs = n * 1000;
          oack.push({ name, value: String(n) });
        }
        break;
      case "windowsize":
        if (n === null || n < 1 || n > 65535) {
          ignored.push({ name, reason: `windowsize ${JSON.stringify(value)} is not 1..65535` });
        } else {
          windowsize = Math.min(n, winCap);
          oack.push({ name, value: String(windowsize) });
        }
        break;
      default:
        ignored.push({ name, reason: "unknown option" });
    }
  }
  return { blksize, windowsize, timeoutMs, oack, ignored };
}
