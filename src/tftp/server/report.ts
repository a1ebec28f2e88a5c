/**
 * How a TFTP transfer's end is told: the server's counters, the metrics, one log line, and
 * a boot step on the machine whose IP it was (when the neighbour table knows its MAC).
 */
import type { RemoteInfo } from "node:dgram";
import type { ServerContext } from "../../core/service.js";
import type { Tally } from "../../core/tally.js";
import type { Negotiated } from "../codec/options.js";
import { macForIp } from "../../core/neighbours.js";
import type { TransferResult } from "./transfer.js";

export interface TftpStats {
  active: number;
  complete: number;
  aborted: number;
  timeout: number;
  error: number;
  refused: number;
  malformed: number;
  bytes: number;
  /** Windows resent after a timeout, over all transfers. */
  retransmits: number;
  /** Transfer threads running now (they start with a burst and end when idle). */
  threads: number;
}

export function newStats(): TftpStats {
  return {
    active: 0,
    complete: 0,
    aborted: 0,
    timeout: 0,
    error: 0,
    refused: 0,
    malformed: 0,
    bytes: 0,
    retransmits: 0,
    threads: 0,
  };
}

/** One read request, from its arrival until its transfer reports how it ended. */
export interface Entry {
  readonly id: number;
  /** The client's endpoint (its TID), `address:port`. */
  readonly key: string;
  readonly file: string;
  readonly from: RemoteInfo;
  negotiated: Negotiated | null;
  started: boolean;
  /** The client acknowledged something: a real client, not an RRQ sent and forgotten. */
  acknowledged: boolean;
}

export function reportTransfer(
  ctx: ServerContext,
  stats: TftpStats,
  e: Entry,
  r: TransferResult,
  tally: Tally,
): void {
  const { metrics, log } = ctx;
  stats[r.outcome]++;
  stats.bytes += r.bytes;
  stats.retransmits += r.retransmits;
  metrics.tftpTransfers.inc({ outcome: r.outcome });
  metrics.tftpBytes.inc(r.bytes);
  const ms = Math.round(r.ms);
  // A transfer nobody ever acknowledged is what a flood leaves: counted, told in aggregate,
  // and no neighbour-table read (it is no machine's boot step).
  if (!e.acknowledged) {
    tally.note(`tftp transfers never acknowledged (${r.outcome})`, () => ({
      client: e.key,
      file: e.file,
      reason: r.reason,
    }));
    return;
  }
  log.info(
    {
      client: e.key,
      file: e.file,
      bytes: r.bytes,
      options: Object.fromEntries((e.negotiated?.oack ?? []).map((o) => [o.name, o.value])),
      ms,
      retransmits: r.retransmits,
      outcome: r.outcome,
      reason: r.reason,
    },
    "tftp transfer",
  );
  void macForIp(e.from.address).then((mac) => {
    if (mac)
      ctx.oracle.noteBootStep(mac, {
        type: "tftp",
        file: e.file,
        bytes: r.bytes,
        outcome: r.outcome,
        ms,
      });
  });
}
