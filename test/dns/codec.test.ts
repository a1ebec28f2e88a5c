import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CLASS,
  decodeMessage,
  emptyMessage,
  encodeMessage,
  OPCODE,
  TYPE,
} from "../../src/provider/dns/message.js";
import {
  decodeName,
  DnsFormatError,
  encodeName,
  nameToText,
  parseName,
} from "../../src/provider/dns/name.js";
import {
  canonicalRecord,
  rdataFromText,
  rdataToText,
  typeCode,
} from "../../src/provider/dns/rdata.js";
import { signRequest, verifyResponse } from "../../src/provider/dns/tsig.js";
import { recordSet, recordText } from "./records.js";

const ZONE = parseName("example.test.");

test("names: presentation form and wire form round-trip, escapes included", () => {
  const label = fc.uint8Array({ minLength: 1, maxLength: 63 }).map((a) => Buffer.from(a));
  fc.assert(
    fc.property(fc.array(label, { minLength: 0, maxLength: 3 }), (labels) => {
      const text = nameToText(labels);
      const parsed = parseName(text);
      assert.deepEqual(parsed, labels);
      assert.deepEqual(decodeName(encodeName(labels), 0), {
        name: labels,
        next: encodeName(labels).length,
      });
    }),
  );
  assert.equal(nameToText(parseName("www", ZONE)), "www.example.test.");
  assert.equal(nameToText(parseName("@", ZONE)), "example.test.");
  assert.equal(nameToText(parseName("a\\.b\\032c.example.")), "a\\.b\\032c.example.");
  assert.throws(() => parseName("a..b."), DnsFormatError);
  assert.throws(() => parseName(`${"x".repeat(64)}.`), /at most 63/);
  assert.throws(() => parseName("relative"), /trailing dot/);
});

test("a compression pointer loop is an error, not a hang", () => {
  const msg = Buffer.from([0xc0, 0x00]);
  assert.throws(() => decodeName(msg, 0), /loop/);
});

test("RDATA: every record's canonical form survives text -> wire -> text", () => {
  for (const type of ["A", "AAAA", "CNAME", "PTR", "TXT", "MX", "SRV"] as const) {
    fc.assert(
      fc.property(recordText[type], (text) => {
        const canon = canonicalRecord(type, text, ZONE);
        assert.equal(canonicalRecord(type, canon, ZONE), canon, `${type} ${text}`);
        assert.equal(rdataToText(type, rdataFromText(type, canon, ZONE)), canon);
      }),
    );
  }
  assert.equal(canonicalRecord("AAAA", "2001:DB8:0:0:0:0:0:1", ZONE), "2001:db8::1");
  assert.equal(canonicalRecord("AAAA", "::ffff:192.0.2.1", ZONE), "::ffff:c000:201");
  assert.equal(canonicalRecord("AAAA", "1:0:0:2:0:0:0:3", ZONE), "1:0:0:2::3");
  assert.equal(canonicalRecord("MX", "10 Mail", ZONE), "10 mail.example.test.");
  assert.equal(canonicalRecord("TXT", 'a "b c" d\\"e', ZONE), '"a" "b c" "d\\"e"');
  assert.equal(canonicalRecord("TXT", '"\\255\\010"', ZONE), '"\\255\\010"');
  assert.throws(() => rdataFromText("A", "192.0.2", ZONE), /not an IPv4/);
  assert.throws(() => rdataFromText("TXT", '"open', ZONE), /not closed/);
  assert.throws(() => rdataFromText("TXT", `"${"x".repeat(256)}"`, ZONE), /at most 255/);
  assert.throws(() => rdataFromText("SRV", "1 2 mail.", ZONE), /priority weight port target/);
});

test("UPDATE messages round-trip through the encoder and decoder", () => {
  fc.assert(
    fc.property(recordSet, fc.integer({ min: 0, max: 0xffff }), (set, id) => {
      const name = parseName("x", ZONE);
      const rdata = set.records.map((r) => rdataFromText(set.type, r, ZONE));
      const type = typeCode(set.type);
      const m = {
        ...emptyMessage(id, OPCODE.UPDATE),
        questions: [{ name: ZONE, type: TYPE.SOA, cls: CLASS.IN }],
        answers: [{ name, type, cls: CLASS.NONE, ttl: 0, rdata: Buffer.alloc(0) }],
        authority: rdata.map((r) => ({ name, type, cls: CLASS.IN, ttl: set.ttl, rdata: r })),
      };
      const { additionalOffsets, ...decoded } = decodeMessage(encodeMessage(m));
      assert.deepEqual(decoded, m);
      assert.deepEqual(additionalOffsets, []);
    }),
  );
});

test("any bytes decode or fail with DnsFormatError, never anything else", () => {
  const header = fc.uint8Array({ minLength: 12, maxLength: 12 });
  fc.assert(
    fc.property(header, fc.uint8Array({ maxLength: 200 }), (h, body) => {
      // Small counts, so the body is read rather than refused at once.
      const msg = Buffer.concat([Buffer.from(h), Buffer.from(body)]);
      for (const o of [4, 6, 8, 10]) msg.writeUInt16BE((msg[o + 1] as number) % 4, o);
      try {
        decodeMessage(msg);
      } catch (e) {
        assert.ok(e instanceof DnsFormatError, String(e));
      }
    }),
    { numRuns: 2000 },
  );
});

test("TSIG: a request's own MAC does not pass as a response's, and an unsigned message is reported unsigned", () => {
  const key = {
    name: parseName("k."),
    algorithm: "hmac-sha256" as const,
    secret: Buffer.alloc(32, 1),
  };
  const req = encodeMessage({
    ...emptyMessage(7, OPCODE.UPDATE),
    questions: [{ name: ZONE, type: TYPE.SOA, cls: CLASS.IN }],
  });
  const now = 1_800_000_000;
  const { wire, mac } = signRequest(req, key, now);
  const decodedReq = decodeMessage(wire);
  assert.equal(decodedReq.additional[0]?.type, TYPE.TSIG);
  // A request is not a response to itself: the MAC input differs (request MAC prefix).
  const v = verifyResponse(wire, decodedReq, key, mac, now);
  assert.equal(v.ok, false);
  assert.ok(!v.ok && !v.unsigned && v.tsigError === 16);
  assert.deepEqual(verifyResponse(req, decodeMessage(req), key, mac, now), {
    ok: false,
    unsigned: true,
  });
});
