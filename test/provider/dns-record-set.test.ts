import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { create, errorOf, outputsOf, runProvider, update } from "./harness.js";
import {
  dig,
  DNS_SERVER_KINDS,
  handUpdate,
  KEY_NAME,
  REVERSE_ZONE,
  startDnsServer,
  ZONE,
  type DnsServer,
} from "./dns-servers.js";

/**
 * `dns_record_set` driven through the NixOps4 protocol against real Knot, BIND and
 * PowerDNS. Each server's own UPDATE counter proves when nothing was sent; kdig and
 * knsupdate are the independent reader and the "hand" that changes records behind the
 * resource's back.
 */

const T = "dns_record_set";

for (const kind of DNS_SERVER_KINDS) {
  describe(`${T} against ${kind}`, () => {
    let s: DnsServer;
    before(async () => {
      s = await startDnsServer(kind);
    });
    after(async () => {
      await s?.stop();
    });

    const inputs = (extra: Record<string, unknown>) => ({
      server: s.server,
      zone: ZONE,
      tsigKeyName: KEY_NAME,
      tsigSecretFile: s.secretFile,
      ...extra,
    });

    /** One provider run; fails the test with the server's log on a protocol-level problem. */
    async function provider(requests: object[]) {
      const r = await runProvider(requests, { timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.responses.length, requests.length, r.stderr);
      return r.responses;
    }

    it("creates an A record set that kdig reads back; the same create and update again send no UPDATE", async () => {
      const www = inputs({ name: "www", type: "A", records: ["192.0.2.10", "192.0.2.11"] });
      const n0 = await s.updates();
      const [first] = await provider([create(T, www)]);
      const out = outputsOf(first);
      assert.deepEqual(out, {
        fqdn: "www.example.test.",
        records: ["192.0.2.10", "192.0.2.11"],
        ttl: 3600,
      });
      assert.equal(await s.updates(), n0 + 1, "one UPDATE for the create");
      assert.deepEqual(await dig(s.port, "www.example.test.", "A"), ["192.0.2.10", "192.0.2.11"]);

      const again = await provider([
        create(T, www),
        update(T, www, out, { ...www, records: ["192.0.2.11", "192.0.2.10"], ttl: 3600 }),
      ]);
      assert.deepEqual(outputsOf(again[0]), out);
      assert.deepEqual(outputsOf(again[1]), out);
      assert.equal(await s.updates(), n0 + 1, "an apply with nothing to change sends no UPDATE");
    });

    it("updates the records and TTL it wrote in one UPDATE", async () => {
      const v1 = inputs({ name: "app", type: "A", records: ["192.0.2.20"], ttl: 600 });
      const out1 = outputsOf((await provider([create(T, v1)]))[0]);
      const n0 = await s.updates();
      const v2 = { ...v1, records: ["192.0.2.21", "192.0.2.22"], ttl: 300 };
      const out2 = outputsOf((await provider([update(T, v1, out1, v2)]))[0]);
      assert.deepEqual(out2.records, ["192.0.2.21", "192.0.2.22"]);
      assert.equal(out2.ttl, 300);
      assert.equal(await s.updates(), n0 + 1, "delete and add travel in one UPDATE");
      assert.deepEqual(await dig(s.port, "app.example.test.", "A"), ["192.0.2.21", "192.0.2.22"]);
    });

    it("refuses a record set changed by hand, showing both sides, and overwrites it when told", async () => {
      const v1 = inputs({ name: "db", type: "A", records: ["192.0.2.30"] });
      const out1 = outputsOf((await provider([create(T, v1)]))[0]);
      await handUpdate(s, ZONE, ["update add db.example.test. 3600 A 192.0.2.99"]);
      const v2 = { ...v1, records: ["192.0.2.31"] };
      const n0 = await s.updates();
      const msg = errorOf((await provider([update(T, v1, out1, v2)]))[0]);
      assert.match(msg, /db\.example\.test\. A/);
      assert.match(msg, new RegExp(`127\\.0\\.0\\.1:${s.port}`));
      assert.match(msg, /server holds \[192\.0\.2\.30, 192\.0\.2\.99\]/);
      assert.match(msg, /last wrote \[192\.0\.2\.30\]/);
      assert.match(msg, /overwrite = true/);
      assert.equal(await s.updates(), n0, "nothing sent when drift is found");
      assert.deepEqual(await dig(s.port, "db.example.test.", "A"), ["192.0.2.30", "192.0.2.99"]);

      // A create over a set this resource never wrote is drift too.
      const foreign = errorOf((await provider([create(T, v2)]))[0]);
      assert.match(foreign, /has not written it/);

      const out2 = outputsOf(
        (await provider([update(T, v1, out1, { ...v2, overwrite: true })]))[0],
      );
      assert.deepEqual(out2.records, ["192.0.2.31"]);
      assert.deepEqual(await dig(s.port, "db.example.test.", "A"), ["192.0.2.31"]);

      // A deletion by hand is a change by hand too.
      await handUpdate(s, ZONE, ["update delete db.example.test. A"]);
      const deleted = errorOf((await provider([update(T, v2, out2, v1)]))[0]);
      assert.match(deleted, /server holds nothing, this resource last wrote \[192\.0\.2\.31\]/);
    });

    it("present = false removes the records it wrote and leaves those added by hand", async () => {
      const v1 = inputs({ name: "old", type: "A", records: ["192.0.2.40", "192.0.2.41"] });
      const out1 = outputsOf((await provider([create(T, v1)]))[0]);
      await handUpdate(s, ZONE, ["update add old.example.test. 3600 A 192.0.2.49"]);
      const gone = { ...v1, present: false };
      const out2 = outputsOf((await provider([update(T, v1, out1, gone)]))[0]);
      assert.deepEqual(out2.records, []);
      assert.deepEqual(await dig(s.port, "old.example.test.", "A"), ["192.0.2.49"]);

      // Again: nothing of ours is left, so nothing is sent.
      const n0 = await s.updates();
      assert.deepEqual(outputsOf((await provider([update(T, gone, out2, gone)]))[0]).records, []);
      assert.equal(await s.updates(), n0);
    });

    it("a wrong secret or an unknown key name is refused: BADSIG, BADKEY (PowerDNS: NOTAUTH)", async () => {
      const wrong = join(s.dir, "wrong.secret");
      writeFileSync(wrong, Buffer.alloc(32, 7).toString("base64"));
      const base = { name: "k", type: "A", records: ["192.0.2.50"] };
      const [badSig, badKey] = await provider([
        create(T, inputs({ ...base, tsigSecretFile: wrong })),
        create(T, inputs({ ...base, tsigKeyName: "nobody." })),
      ]);
      const m1 = errorOf(badSig);
      assert.match(m1, /k\.example\.test\. A .*127\.0\.0\.1/);
      // Knot and BIND answer NOTAUTH with TSIG error BADSIG/BADKEY; PowerDNS a bare NOTAUTH.
      const refusal = kind === "pdns" ? /NOTAUTH.*TSIG key or secret/ : /BADSIG/;
      assert.match(m1, refusal);
      assert.ok(!m1.includes(Buffer.alloc(32, 7).toString("base64")), "the secret is not shown");
      assert.match(errorOf(badKey), kind === "pdns" ? /NOTAUTH.*TSIG key or secret/ : /BADKEY/);
      assert.deepEqual(await dig(s.port, "k.example.test.", "A"), []);
    });

    it("an unknown zone fails with a message naming the record, the server and the cause", async () => {
      const [r] = await provider([
        create(
          T,
          inputs({ zone: "elsewhere.test", name: "x", type: "A", records: ["192.0.2.60"] }),
        ),
      ]);
      const msg = errorOf(r);
      assert.match(msg, /x\.elsewhere\.test\. A \(zone elsewhere\.test\.\)/);
      assert.match(msg, new RegExp(`127\\.0\\.0\\.1:${s.port}`));
      assert.match(
        msg,
        /REFUSED: the server does not serve this zone|NOTAUTH: the server is not authoritative for this zone/,
      );
    });

    it("writes an AAAA record and the PTR in the reverse zone", async () => {
      const [aaaa, ptr] = await provider([
        create(T, inputs({ name: "v6", type: "AAAA", records: ["2001:DB8:0:0::0:1"] })),
        create(
          T,
          inputs({ zone: REVERSE_ZONE, name: "10", type: "PTR", records: ["www.example.test."] }),
        ),
      ]);
      assert.deepEqual(outputsOf(aaaa).records, ["2001:db8::1"]);
      assert.deepEqual(outputsOf(ptr), {
        fqdn: "10.2.0.192.in-addr.arpa.",
        records: ["www.example.test."],
        ttl: 3600,
      });
      assert.deepEqual(await dig(s.port, "v6.example.test.", "AAAA"), ["2001:db8::1"]);
      assert.deepEqual(await dig(s.port, "10.2.0.192.in-addr.arpa.", "PTR"), ["www.example.test."]);
    });

    it("writes TXT strings with spaces and quotes, and MX and SRV", async () => {
      const txt = '"v=spf1 -all" "say \\"hi\\" there"';
      // BIND refuses an MX whose exchange has no address: give them one first.
      const [, , t, mx, srv] = await provider([
        create(T, inputs({ name: "mail", type: "A", records: ["192.0.2.25"] })),
        create(T, inputs({ name: "mx2", type: "A", records: ["192.0.2.26"] })),
        create(T, inputs({ name: "@", type: "TXT", records: [txt, "bare words"] })),
        create(T, inputs({ name: "@", type: "MX", records: ["10 mail", "20 mx2.example.test."] })),
        create(T, inputs({ name: "_sip._tcp", type: "SRV", records: ["0 5 5060 sip"] })),
      ]);
      assert.deepEqual(outputsOf(t).records, [
        '"bare" "words"',
        '"v=spf1 -all" "say \\"hi\\" there"',
      ]);
      assert.deepEqual(await dig(s.port, ZONE, "TXT"), outputsOf(t).records);
      assert.deepEqual(outputsOf(mx).records, ["10 mail.example.test.", "20 mx2.example.test."]);
      assert.deepEqual(await dig(s.port, ZONE, "MX"), outputsOf(mx).records);
      assert.deepEqual(outputsOf(srv).records, ["0 5 5060 sip.example.test."]);
      assert.deepEqual(await dig(s.port, "_sip._tcp.example.test.", "SRV"), outputsOf(srv).records);
    });

    it("a record set too big for UDP goes by TCP, and its truncated answer is read again by TCP", async () => {
      // 12 strings of 200 bytes: the UPDATE and the answer are far above 512 bytes.
      const records = Array.from(
        { length: 12 },
        (_, i) => `"${String(i).padStart(2, "0")}${"x".repeat(198)}"`,
      );
      const out = outputsOf(
        (await provider([create(T, inputs({ name: "big", type: "TXT", records }))]))[0],
      );
      assert.equal((out.records as string[]).length, 12);
      assert.equal((await dig(s.port, "big.example.test.", "TXT")).length, 12);
    });
  });
}
