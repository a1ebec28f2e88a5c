import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { queryRecordSet, sendUpdate } from "../../src/provider/dns/client.js";
import {
  CLASS,
  decodeMessage,
  emptyMessage,
  encodeMessage,
  OPCODE,
  TYPE,
} from "../../src/provider/dns/message.js";
import { parseName } from "../../src/provider/dns/name.js";
import { canonicalRecord, rdataToText, typeCode } from "../../src/provider/dns/rdata.js";
import { signRequest, verifyResponse, type TsigKey } from "../../src/provider/dns/tsig.js";
import { exchange } from "../../src/provider/dns/transport.js";
import { absent, addAll, deleteSet } from "../../src/provider/dns/update.js";
import {
  dig,
  DNS_SERVER_KINDS,
  KEY_NAME,
  OTHER_KEYS,
  startDnsServer,
  ZONE,
  type DnsServer,
} from "../provider/dns-servers.js";
import { recordSet } from "./records.js";

/**
 * Random record sets go through the encoder to a real server and come back, read both by
 * our query and by kdig; and real signed answers are checked for what TSIG must catch.
 */

const zone = parseName(ZONE);
const RUNS = 15;

for (const kind of DNS_SERVER_KINDS) {
  describe(`DNS codec against ${kind}`, () => {
    let s: DnsServer;
    let key: TsigKey;
    before(async () => {
      s = await startDnsServer(kind);
      const secret = Buffer.from(readFileSync(s.secretFile, "utf8").trim(), "base64");
      key = { name: parseName(KEY_NAME), algorithm: "hmac-sha256", secret };
    });
    after(async () => {
      await s?.stop();
    });

    it(`${RUNS} random record sets round-trip through the encoder and the server`, async () => {
      const server = { host: "127.0.0.1", port: s.port };
      let n = 0;
      await fc.assert(
        fc.asyncProperty(recordSet, async (set) => {
          const name = parseName(`p${n++}`, zone);
          const spec = { name, type: set.type, zone };
          const want = [...new Set(set.records.map((r) => canonicalRecord(set.type, r, zone)))];
          want.sort();
          const res = await sendUpdate(
            server,
            zone,
            absent(spec),
            addAll(spec, { records: want, ttl: set.ttl }),
            key,
          );
          assert.equal(res, "done");
          const held = await queryRecordSet(server, name, typeCode(set.type), key);
          assert.deepEqual(held.rdata.map((r) => rdataToText(set.type, r)).sort(), want);
          assert.equal(held.ttl, set.ttl);
          assert.deepEqual(await dig(s.port, `p${n - 1}.${ZONE}`, set.type), want);
          assert.equal(await sendUpdate(server, zone, [], deleteSet(spec), key), "done");
          assert.deepEqual((await queryRecordSet(server, name, typeCode(set.type), key)).rdata, []);
        }),
        { numRuns: RUNS },
      );
    });

    it("a signed answer fails verification when a byte is changed or the clock is off", async () => {
      const req = encodeMessage({
        ...emptyMessage(4242, OPCODE.UPDATE),
        questions: [{ name: zone, type: TYPE.SOA, cls: CLASS.IN }],
      });
      const now = Date.now() / 1000;
      const { wire, mac } = signRequest(req, key, now);
      const raw = await exchange({ host: "127.0.0.1", port: s.port }, wire, 5000);
      const msg = decodeMessage(raw);
      assert.equal(msg.rcode, 0);
      assert.deepEqual(verifyResponse(raw, msg, key, mac, now), { ok: true });
      const changed = Buffer.from(raw);
      changed[13] = (changed[13] as number) ^ 0x20; // case of the zone's first letter
      const v1 = verifyResponse(changed, decodeMessage(changed), key, mac, now);
      assert.ok(!v1.ok && !v1.unsigned && v1.tsigError === 16, JSON.stringify(v1));
      const v2 = verifyResponse(raw, msg, key, mac, now + 1000);
      assert.ok(!v2.ok && !v2.unsigned && v2.tsigError === 18, JSON.stringify(v2));
    });

    for (const other of OTHER_KEYS) {
      it(`an UPDATE and a query signed with ${other.algorithm} verify both ways`, async () => {
        const server = { host: "127.0.0.1", port: s.port };
        const k: TsigKey = { ...key, name: parseName(other.name), algorithm: other.algorithm };
        const name = parseName(`alg-${other.algorithm}`, zone);
        const spec = { name, type: "A" as const, zone };
        const set = { records: ["192.0.2.77"], ttl: 60 };
        assert.equal(await sendUpdate(server, zone, absent(spec), addAll(spec, set), k), "done");
        const held = await queryRecordSet(server, name, TYPE.A, k);
        assert.deepEqual(
          held.rdata.map((r) => rdataToText("A", r)),
          ["192.0.2.77"],
        );
      });
    }
  });
}
