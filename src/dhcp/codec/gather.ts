/**
 * Reading (code, length, value) areas, for DHCP options and for the sub-options inside an
 * encapsulating option. RFC 3396 says every instance of a code continues the same value, so
 * instances are gathered per code: first recorded as spans in wire order, then joined once
 * per code into one buffer of the exact size. The cost is linear in the datagram (a LAN
 * host can send 1,284 one-byte instances of one code in 4 KiB; joining them one by one
 * was quadratic, about 1 ms per datagram). The bytes are bounded by the caller's input
 * limit (DHCP_MAX_INPUT), the instances by MAX_INSTANCES.
 */

/** RFC 2132 PAD and END, also used inside PXE's option 43. */
export const TLV_PAD = 0;
export const TLV_END = 255;

/**
 * Most option instances one packet may carry, empty ones included. Firmware sends 8 to 20
 * (12 at most in the captures); a long value split at 255 bytes (RFC 3396) adds at most 16
 * in a 4 KiB datagram. A packet with more is refused before the work of joining them: this,
 * not the datagram size, bounds the cost of the worst packet. (256 let a flood of repeated
 * options cost 3x more per datagram in walking alone; docs/benchmarks.md, hostile LAN.)
 */
export const MAX_INSTANCES = 64;

/** Per code 0..255, in one array (allocated only for a packet that repeats a code): */
const COUNT = 0; // instances seen
const TOTAL = 256; // value bytes over all instances
const FIRST = 512; // where its joined value starts in the shared buffer
const NEXT = 768; // where its next instance's bytes go (+1; 0: not laid out yet)
/**
 * The per-code array, shared: join() runs to completion and leaves it zeroed (only the
 * slots of the codes it saw), so a packet with repeats allocates no 4 KiB array (the
 * allocation and its collection were most of such a packet's cost under flood).
 */
const PER_CODE = new Int32Array(1024);

/** The instances read so far from one buffer; `join()` gives one value per code. */
export class Instances {
  /** Flat (code, start, length) triples in wire order. */
  private readonly spans: number[] = [];
  /** One bit per code seen: the common packet, no code twice, needs nothing more. */
  private readonly seen = new Uint32Array(8);
  private repeated = false;
  /** Every instance read, empty repeats too (they cost a step of the walk each). */
  private count = 0;

  constructor(private readonly buf: Buffer) {}

  /** Records one instance; a reason when the packet has too many. */
  add(code: number, start: number, length: number): string | null {
    if (++this.count > MAX_INSTANCES) return `more than ${MAX_INSTANCES} option instances`;
    const bit = 1 << (code & 31);
    const word = code >> 5;
    if (this.seen[word]! & bit) {
      // An empty instance after the first adds nothing to the value: not worth a span.
      if (length === 0) return null;
      this.repeated = true;
    } else this.seen[word]! |= bit;
    this.spans.push(code, start, length);
    return null;
  }

  has(code: number): boolean {
    return (this.seen[code >> 5]! & (1 << (code & 31))) !== 0;
  }

  /** The one byte of a code sent once with one byte, or null (anything else). */
  singleByte(code: number): number | null {
    const s = this.spans;
    let value: number | null = null;
    let n = 0;
    for (let i = 0; i < s.length; i += 3) {
      if (s[i] !== code) continue;
      if (++n > 1 || s[i + 2] !== 1) return null;
      value = this.buf[s[i + 1]!]!;
    }
    return value;
  }

  /**
   * One value per code, in order of first appearance, leaving out `skip`. A code sent once
   * is a view of the input. The values of codes sent several times are laid out in one
   * fresh buffer, then filled byte by byte in wire order (instances are short: a native
   * copy or an allocation per instance would cost more than the bytes).
   */
  join(skip = -1): Map<number, Buffer> {
    const out = new Map<number, Buffer>();
    const s = this.spans;
    const buf = this.buf;
    if (!this.repeated) {
      for (let i = 0; i < s.length; i += 3) {
        if (s[i] !== skip) out.set(s[i]!, buf.subarray(s[i + 1], s[i + 1]! + s[i + 2]!));
      }
      return out;
    }
    const pc = PER_CODE;
    try {
      for (let i = 0; i < s.length; i += 3) {
        pc[COUNT + s[i]!]!++;
        pc[TOTAL + s[i]!]! += s[i + 2]!;
      }
      let joinedBytes = 0;
      for (let i = 0; i < s.length; i += 3) {
        const code = s[i]!;
        if (code === skip || pc[COUNT + code]! < 2 || pc[NEXT + code]! > 0) continue;
        pc[FIRST + code] = joinedBytes;
        pc[NEXT + code] = joinedBytes + 1;
        joinedBytes += pc[TOTAL + code]!;
      }
      const joined = Buffer.allocUnsafe(joinedBytes);
      for (let i = 0; i < s.length; i += 3) {
        const code = s[i]!;
        if (code === skip) continue;
        const start = s[i + 1]!;
        const length = s[i + 2]!;
        if (pc[COUNT + code] === 1) {
          out.set(code, buf.subarray(start, start + length));
          continue;
        }
        let at = pc[NEXT + code]! - 1;
        const first = pc[FIRST + code]!;
        if (at === first) out.set(code, joined.subarray(first, first + pc[TOTAL + code]!));
        for (let k = 0; k < length; k++) joined[at++] = buf[start + k]!;
        pc[NEXT + code] = at + 1;
      }
    } finally {
      for (let i = 0; i < s.length; i += 3) {
        const code = s[i]!;
        pc[COUNT + code] = pc[TOTAL + code] = pc[FIRST + code] = pc[NEXT + code] = 0;
      }
    }
    return out;
  }
}

/**
 * Walks one area from `start` to `end`, recording each instance. Returns a reason naming
 * what is wrong, or null. A missing END is tolerated (the area simply ends); a length that
 * runs past the area is not.
 */
export function walkArea(
  buf: Buffer,
  start: number,
  end: number,
  area: string,
  into: Instances,
): string | null {
  let i = start;
  while (i < end) {
    const code = buf[i]!;
    if (code === TLV_PAD) {
      i++;
      continue;
    }
    if (code === TLV_END) return null;
    if (i + 1 >= end) return `option ${code} in ${area} has no length byte`;
    const len = buf[i + 1]!;
    if (i + 2 + len > end) return `option ${code} in ${area} runs past the end (length ${len})`;
    const err = into.add(code, i + 2, len);
    if (err) return err;
    i += 2 + len;
  }
  return null;
}
