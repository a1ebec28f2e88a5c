import { readv } from "node:fs";
import { writeDataHeader } from "../codec/packet.js";

/** Aim for pages of about this many bytes: one readv per page, not per block. */
const PAGE_BYTES = 128 * 1024;
/** Linux IOV_MAX is 1024; one iovec per block. */
const MAX_BLOCKS_PER_PAGE = 1024;
/** Evicted page buffers kept for the next loads, in bytes over all sizes. */
const SPARE_BYTES = 4 * 1024 * 1024;

/**
 * One version of one file cut at one blksize. Two transfers with the same key send the
 * same bytes for every block, headers included (block n's wire number is n mod 65536 in
 * both), so they can send from the same page buffers.
 */
export class PagedFile {
  readonly key: string;
  readonly totalBlocks: number;
  readonly perPage: number;
  readonly lastPage: number;

  /** `version` names the file's contents (device, inode, size, mtime, ctime). */
  constructor(
    version: string,
    readonly size: number,
    readonly blksize: number,
  ) {
    this.key = `${version}/${blksize}`;
    // Block n (1-based) holds bytes [(n-1)*blksize, n*blksize); a final short (maybe empty)
    // block tells the client the file ended.
    this.totalBlocks = Math.floor(size / blksize) + 1;
    this.perPage = Math.max(
      1,
      Math.min(Math.ceil(PAGE_BYTES / blksize), MAX_BLOCKS_PER_PAGE, this.totalBlocks),
    );
    this.lastPage = Math.floor((this.totalBlocks - 1) / this.perPage);
  }

  pageOf(block: number): number {
    return Math.floor((block - 1) / this.perPage);
  }

  dataLength(block: number): number {
    return block < this.totalBlocks ? this.blksize : this.size - (block - 1) * this.blksize;
  }
}

/** A page of consecutive blocks laid out as ready-to-send DATA packets. */
export interface Page {
  readonly index: number;
  state: "loading" | "ready" | "failed";
  /** One DATA packet (header and data) per block of the page, once ready. */
  packets: Buffer[];
  readonly frame: Frame;
  /**
   * A send from this page was queued by libuv (the kernel had no room at once), so the
   * buffer may still be read after the page is evicted: it must not be reused.
   */
  queuedSend: boolean;
  /** Who is waiting for it or sending from it. */
  readonly holders: Set<PageHolder>;
}

/**
 * A page's memory: one buffer of `count` slots of `stride` bytes, and the views made on it
 * once (whole packets, and the data parts readv fills), so a reused frame allocates nothing.
 */
interface Frame {
  readonly buf: Buffer;
  readonly slots: Buffer[];
  readonly data: Buffer[];
}

function newFrame(stride: number, count: number): Frame {
  const buf = Buffer.allocUnsafe(stride * count);
  const slots: Buffer[] = [];
  const data: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    slots.push(buf.subarray(i * stride, (i + 1) * stride));
    data.push(buf.subarray(i * stride + 4, (i + 1) * stride));
  }
  return { buf, slots, data };
}

/** A transfer's side of the cache. */
export interface PageHolder {
  /** Its open descriptor of the file: a page nobody has yet is read through it. */
  readonly fd: number;
  /** A read through `fd` began or ended (the descriptor must stay open in between). */
  readStarted(): void;
  readEnded(): void;
  /** A page it holds finished loading (`err` null) or could not be read. */
  pageSettled(page: Page, err: Error | null): void;
}

/**
 * Pages shared by every transfer of the same file version and blksize: when 200 machines
 * boot at once, each page of ipxe.efi is read from disk once and sent 200 times from one
 * buffer, instead of 200 transfers each reading and holding their own copy. Pages some
 * transfer holds stay; pages nobody holds are kept, least recently released evicted
 * first, up to `budgetBytes`. An evicted page's buffer is reused for the next page read
 * (a 64 MiB stream would otherwise leave its whole size behind for the collector), unless
 * a send from it was ever queued.
 */
export class PageCache {
  private readonly pages = new Map<string, Page>();
  /** Pages no transfer holds, in the order they were let go. */
  private readonly idle = new Map<string, Page>();
  private idleBytes = 0;
  /** Frames of evicted pages by `stride:count`. */
  private readonly spare = new Map<string, Frame[]>();
  private spareBytes = 0;

  constructor(private readonly budgetBytes: number) {}

  /** Page `index` of `file` for `holder`, ready or loading (then `pageSettled` follows). */
  hold(file: PagedFile, index: number, holder: PageHolder): Page {
    const key = `${file.key}#${index}`;
    const known = this.pages.get(key);
    if (known) {
      if (this.idle.delete(key)) this.idleBytes -= known.frame.buf.length;
      known.holders.add(holder);
      return known;
    }
    const first = index * file.perPage + 1;
    const count = Math.min(file.perPage, file.totalBlocks - first + 1);
    const page: Page = {
      index,
      state: "loading",
      packets: [],
      frame: this.takeFrame(file.blksize + 4, count),
      queuedSend: false,
      holders: new Set([holder]),
    };
    this.pages.set(key, page);
    this.load(file, key, page, first, count, holder);
    return page;
  }

  release(file: PagedFile, page: Page, holder: PageHolder): void {
    page.holders.delete(holder);
    if (page.holders.size === 0 && page.state === "ready")
      this.park(`${file.key}#${page.index}`, page);
  }

  /** Bytes of pages nobody holds (for tests and metrics). */
  get idleSize(): number {
    return this.idleBytes;
  }

  private load(
    file: PagedFile,
    key: string,
    page: Page,
    first: number,
    count: number,
    reader: PageHolder,
  ): void {
    const { slots, data } = page.frame;
    const offset = (first - 1) * file.blksize;
    const expected = Math.max(0, Math.min(count * file.blksize, file.size - offset));
    reader.readStarted();
    // The data lands straight behind each packet's 4 header bytes: no copy per block.
    readv(reader.fd, data, offset, (err, bytes) => {
      reader.readEnded();
      let failure: Error | null = err;
      if (!failure && bytes < expected) {
        failure = new Error(`short read at ${offset}: file changed while served`);
      }
      if (failure) {
        // Not reused either: a failed page is simply dropped.
        page.state = "failed";
        if (this.pages.get(key) === page) this.pages.delete(key);
      } else {
        for (let i = 0; i < count; i++) writeDataHeader(slots[i]!, 0, first + i);
        page.packets = slots;
        const last = first + count - 1;
        if (last === file.totalBlocks) {
          // The file's final, short block: a copy of the list, the frame's stays whole.
          page.packets = slots.slice();
          page.packets[count - 1] = slots[count - 1]!.subarray(0, 4 + file.dataLength(last));
        }
        page.state = "ready";
        if (page.holders.size === 0) this.park(key, page);
      }
      // A holder may let go of pages (or end) while being told: tell a copy of the set.
      for (const h of [...page.holders]) h.pageSettled(page, failure);
    });
  }

  private park(key: string, page: Page): void {
    this.idle.set(key, page);
    this.idleBytes += page.frame.buf.length;
    for (const [oldKey, old] of this.idle) {
      if (this.idleBytes <= this.budgetBytes) break;
      this.idle.delete(oldKey);
      this.pages.delete(oldKey);
      this.idleBytes -= old.frame.buf.length;
      if (!old.queuedSend) this.giveBack(old.frame);
    }
  }

  private takeFrame(stride: number, count: number): Frame {
    const frame = this.spare.get(`${stride}:${count}`)?.pop();
    if (!frame) return newFrame(stride, count);
    this.spareBytes -= frame.buf.length;
    return frame;
  }

  private giveBack(frame: Frame): void {
    if (this.spareBytes + frame.buf.length > SPARE_BYTES) return;
    const key = `${frame.data[0]!.length + 4}:${frame.slots.length}`;
    let free = this.spare.get(key);
    if (!free) this.spare.set(key, (free = []));
    free.push(frame);
    this.spareBytes += frame.buf.length;
  }
}
