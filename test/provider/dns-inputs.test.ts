import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, errorOf, runProvider } from "./harness.js";

/**
 * `dns_record_set` inputs refused before any packet is sent: every message names the
 * input, and none shows a secret. (The server named here does not exist: nothing may reach it.)
 */

const T = "dns_record_set";
const base = {
  server: "192.0.2.1:5353",
  zone: "example.test",
  name: "www",
  type: "A",
  records: ["192.0.2.10"],
};

test("dns_record_set refuses bad inputs, naming each, before talking to any server", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lst-dns-inputs-"));
  try {
    const notBase64 = join(dir, "bind.key");
    writeFileSync(notBase64, 'key "k" { algorithm hmac-sha256; secret "c2VjcmV0"; };\n');
    const cases: [object, RegExp][] = [
      [{ ...base, colour: "red" }, /unknown input "colour"/],
      [{ ...base, records: undefined }, /missing required input records/],
      [{ ...base, records: "192.0.2.10" }, /input records must be a list/],
      [{ ...base, records: [] }, /records is empty \(to remove the set, set present = false\)/],
      [{ ...base, type: "NS" }, /type "NS" is not supported \(one of A, AAAA, CNAME/],
      [{ ...base, records: ["192.0.2.300"] }, /records\[0\] is not A data: .*not an IPv4 address/],
      [{ ...base, type: "TXT", records: ['"open'] }, /records\[0\] is not TXT data: .*not closed/],
      [{ ...base, type: "CNAME", records: ["a", "b"] }, /a CNAME record set holds one record/],
      [{ ...base, name: "www.example.org." }, /not within zone example\.test\./],
      [{ ...base, server: "ns1:99999" }, /port must be 1\.\.65535/],
      [{ ...base, ttl: -1 }, /ttl must be 0\.\.2147483647/],
      [{ ...base, present: "no" }, /input present must be a boolean/],
      [{ ...base, tsigKeyName: "k" }, /give both tsigKeyName and tsigSecretFile, or neither/],
      [
        { ...base, tsigKeyName: "k", tsigSecretFile: "/x", tsigAlgorithm: "hmac-md5" },
        /tsigAlgorithm "hmac-md5" is not supported/,
      ],
      [{ ...base, tsigKeyName: "k", tsigSecretFile: "rel" }, /must be an absolute path/],
      [
        { ...base, tsigKeyName: "k", tsigSecretFile: join(dir, "missing") },
        /cannot read tsigSecretFile .*missing: ENOENT/,
      ],
      [{ ...base, tsigKeyName: "k", tsigSecretFile: notBase64 }, /does not hold a base64 secret/],
    ];
    const r = await runProvider(cases.map(([inputs]) => create(T, inputs)));
    assert.equal(r.code, 0, r.stderr);
    cases.forEach(([, pattern], i) => {
      const msg = errorOf(r.responses[i]);
      assert.match(msg, pattern, `case ${i}`);
      assert.ok(!msg.includes("c2VjcmV0"), "the secret file's content is not shown");
    });
    assert.ok(!r.stderr.includes("c2VjcmV0"), "nor logged");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
