import fc from "fast-check";
import type { RecordType } from "../../src/provider/dns/rdata.js";

/**
 * Random record sets in presentation form, for the codec's and the servers' round trips.
 * Names point at `ns1.example.test.`, which has an address (BIND refuses an MX whose
 * exchange has none).
 */

const TARGETS = ["ns1.example.test.", "NS1.Example.Test.", "ns1"];

/** A TXT string of printable ASCII (quotes, backslashes and spaces included), quoted. */
const txtString = fc
  .string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: 40,
  })
  .map((s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`);

export const recordText: Record<RecordType, fc.Arbitrary<string>> = {
  A: fc.ipV4(),
  AAAA: fc.ipV6(),
  CNAME: fc.constantFrom(...TARGETS),
  PTR: fc.constantFrom(...TARGETS),
  TXT: fc.array(txtString, { minLength: 1, maxLength: 3 }).map((a) => a.join(" ")),
  MX: fc
    .tuple(fc.integer({ min: 0, max: 65535 }), fc.constantFrom(...TARGETS))
    .map(([p, t]) => `${p} ${t}`),
  SRV: fc
    .tuple(
      fc.integer({ min: 0, max: 65535 }),
      fc.integer({ min: 0, max: 65535 }),
      fc.integer({ min: 1, max: 65535 }),
      fc.constantFrom(...TARGETS),
    )
    .map((f) => f.join(" ")),
};

export interface RandomSet {
  type: RecordType;
  records: string[];
  ttl: number;
}

/** One type, 1..4 records (1 for CNAME), a TTL. */
export const recordSet: fc.Arbitrary<RandomSet> = fc
  .constantFrom<RecordType>("A", "AAAA", "CNAME", "PTR", "TXT", "MX", "SRV")
  .chain((type) =>
    fc.record({
      type: fc.constant(type),
      records: fc.array(recordText[type], { minLength: 1, maxLength: type === "CNAME" ? 1 : 4 }),
      ttl: fc.integer({ min: 0, max: 2147483647 }),
    }),
  );
