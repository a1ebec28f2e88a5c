/**
 * The TFTP server's read requests, from arrival until their transfer ends: by client
 * endpoint (the TID), counted per client address, and which one to drop when a new request
 * needs a slot. Policy: a transfer whose client never acknowledged anything is the first to
 * go, the oldest first, so a flood of RRQs that are never answered (spoofed sources, or a
 * host that only sends) cannot keep a real client out.
 */
import type { Entry } from "./report.js";

export class TransferTable {
  private readonly byKey = new Map<string, Entry>();
  private readonly perAddress = new Map<string, number>();

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): Entry | undefined {
    return this.byKey.get(key);
  }

  add(e: Entry): void {
    this.byKey.set(e.key, e);
    this.perAddress.set(e.from.address, this.countFrom(e.from.address) + 1);
  }

  /** Removes `e` if it is still the entry for its key; false if it was already replaced. */
  remove(e: Entry): boolean {
    if (this.byKey.get(e.key) !== e) return false;
    this.byKey.delete(e.key);
    const n = this.countFrom(e.from.address) - 1;
    if (n > 0) this.perAddress.set(e.from.address, n);
    else this.perAddress.delete(e.from.address);
    return true;
  }

  countFrom(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  /**
   * The oldest running transfer (from `address`, when given) whose client never
   * acknowledged anything; null when every one was. Entries are in arrival order, so the
   * scan stops at the first match (past the few acknowledged ones before it).
   */
  oldestSilent(address?: string): Entry | null {
    for (const e of this.byKey.values()) {
      if (e.started && !e.acknowledged && (address === undefined || e.from.address === address))
        return e;
    }
    return null;
  }

  clear(): void {
    this.byKey.clear();
    this.perAddress.clear();
  }
}
