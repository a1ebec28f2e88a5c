/**
 * DHCP datagrams a hostile LAN host would send: the costliest shapes for the codec, and
 * mutations of real firmware packets. Shared by the codec tests, the parse benchmark and the
 * flood generator (scripts/bench/hostile-flood.ts). Deterministic for a given seed.
 */
import { MAX_INSTANCES } from "../../src/dhcp/codec/gather.js";
import { MAGIC_COOKIE } from "../../src/dhcp/codec/packet.js";

const OPTIONS_OFFSET = 240;

/** A BOOTP header with the cookie, as an EDK2 DISCOVER would start, `size` bytes long. */
function header(size: number, overload = 0): Buffer {
  const b = Buffer.alloc(size);
  b[0] = 1;
  b[1] = 1;
  b[2] = 6;
  b.writeUInt32BE(0x1234567, 4);
  b.set([0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 28);
  b.writeUInt32BE(MAGIC_COOKIE, 236);
  let i = OPTIONS_OFFSET;
  b.set([53, 1, 1], i);
  i += 3;
  if (overload) b.set([52, 1, overload], i);
  return b;
}

/** Fills b[from, to) with instances of `codeAt(k)` carrying `len` bytes each; pads the rest. */
function fill(
  b: Buffer,
  from: number,
  to: number,
  len: number,
  codeAt: (k: number) => number,
  most = Infinity,
) {
  let i = from;
  for (let k = 0; i + 2 + len <= to && k < most; k++) {
    b[i] = codeAt(k);
    b[i + 1] = len;
    b.fill(0x41 + (k % 26), i + 2, i + 2 + len);
    i += 2 + len;
  }
}

/** The shapes that cost the codec most per byte, each as a datagram of `size` bytes. */
export function worstCases(size: number): Record<string, Buffer> {
  const start = OPTIONS_OFFSET + 3;
  const one = (code: number, len: number, most = Infinity) => {
    const b = header(size);
    fill(b, start, size, len, () => code, most);
    return b;
  };
  const spread = header(size);
  // Every code but PAD, END, 52 and 53: one join per code, many small ones.
  const codes = Array.from({ length: 256 }, (_, c) => c).filter(
    (c) => c !== 0 && c !== 255 && c !== 52 && c !== 53,
  );
  fill(spread, start, size, 1, (k) => codes[k % codes.length]!);
  const overloaded = header(size, 3);
  fill(overloaded, start + 3, size, 1, () => 60);
  fill(overloaded, 108, 236, 1, () => 60);
  fill(overloaded, 44, 108, 1, () => 60);
  // Option 43 carrying PXE sub-options, each repeated: two levels of joining.
  const vendor = header(size);
  let i = start;
  while (i + 5 <= size) {
    vendor.set([43, 3, 71, 1, 0x80], i);
    i += 5;
  }
  return {
    "one-byte instances of option 60": one(60, 1),
    // The most a packet may carry (MAX_INSTANCES, with option 53): parsed, not refused.
    [`${MAX_INSTANCES - 1} one-byte instances of option 60, then PAD`]: one(
      60,
      1,
      MAX_INSTANCES - 1,
    ),
    "empty instances of option 60": one(60, 0),
    "one-byte instances of option 77 (user class)": one(77, 1),
    "one-byte instances of option 93 (arch)": one(93, 1),
    "one-byte instances over 252 codes": spread,
    "255-byte instances of option 60": one(60, 255),
    "overload 3, one-byte instances in file and sname too": overloaded,
    "option 43, repeated PXE sub-options": vendor,
  };
}

/** A small deterministic generator (mulberry32): the same seed gives the same flood. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Mutation = "flip" | "truncate" | "length-lie" | "repeat" | "huge" | "worst";

/**
 * One mutation of a real datagram: byte flips, truncation, an option length that lies,
 * options repeated to fill the datagram, a 64 KiB datagram, or a worst-case shape.
 */
export function mutate(base: Buffer, kind: Mutation, r: () => number): Buffer {
  const pick = (n: number) => Math.floor(r() * n);
  switch (kind) {
    case "flip": {
      const b = Buffer.from(base);
      for (let k = 1 + pick(8); k > 0; k--) b[pick(b.length)] = pick(256);
      return b;
    }
    case "truncate":
      return base.subarray(0, pick(base.length));
    case "length-lie": {
      const b = Buffer.from(base);
      // An option's length byte (past the cookie) set to run past the end.
      const at = OPTIONS_OFFSET + 1 + 2 * pick(Math.max(1, (b.length - OPTIONS_OFFSET) >> 1));
      if (at < b.length) b[at] = 200 + pick(56);
      return b;
    }
    case "repeat": {
      // The real options, then one of them repeated until the datagram is 1,472 bytes.
      const size = 1472;
      const b = Buffer.alloc(size);
      const end = base.lastIndexOf(255);
      const body = base.subarray(0, end > OPTIONS_OFFSET ? end : base.length);
      body.copy(b);
      fill(b, Math.min(body.length, size), size, pick(3), () => [60, 77, 93, 43][pick(4)]!);
      return b;
    }
    case "huge": {
      const b = Buffer.alloc(65507);
      base.copy(b);
      fill(b, Math.min(base.length, b.length), b.length, 1, () => 60);
      return b;
    }
    case "worst": {
      const all = Object.values(worstCases(1472));
      return all[pick(all.length)]!;
    }
  }
}

export const MUTATIONS: readonly Mutation[] = [
  "flip",
  "truncate",
  "length-lie",
  "repeat",
  "huge",
  "worst",
];
