import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import {
  fingerprint,
  formatEd25519PrivateKey,
  generateEd25519KeyPair,
  parseEd25519PrivateKey,
  parsePublicKey,
  publicKeyFromPrivate,
  samePublicKey,
} from "../../src/core/openssh-keys.js";
import { create, outputsOf, runProvider, update } from "./harness.js";

function withDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "lst-provider-keys-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sshKeygen(args: string[]): string {
  return execFileSync("ssh-keygen", args, { encoding: "utf8" });
}

test("ssh-keygen reads our private key: -y gives our public key, -l our fingerprint", () => {
  withDir((dir) => {
    for (const comment of ["", "landscaper@test", "with spaces in it"]) {
      const kp = generateEd25519KeyPair(comment);
      const file = join(dir, "id");
      writeFileSync(file, kp.privateKey, { mode: 0o600 });
      writeFileSync(file + ".pub", kp.publicKey + "\n");
      assert.equal(sshKeygen(["-y", "-f", file]).trim(), kp.publicKey);
      // Without a comment ssh-keygen -l says so.
      const shown = comment || "no comment";
      const listed = sshKeygen(["-l", "-f", file + ".pub"]).trim();
      assert.equal(listed, `256 ${fingerprint(kp.publicKey)} ${shown} (ED25519)`);
      assert.equal(sshKeygen(["-l", "-f", file]).trim().split(" ")[1], fingerprint(kp.publicKey));
    }
  });
});

test("our private key file is byte for byte what ssh-keygen writes for the same key", () => {
  withDir((dir) => {
    const file = join(dir, "k");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "x@y", "-f", file]);
    const theirs = readFileSync(file, "utf8");
    const k = parseEd25519PrivateKey(theirs);
    assert.equal(formatEd25519PrivateKey(k.seed, k.publicKey, k.comment, k.checkInt), theirs);
    assert.equal(publicKeyFromPrivate(theirs), readFileSync(file + ".pub", "utf8").trim());
  });
});

test("public key parsing refuses malformed lines and mismatched types", () => {
  const kp = generateEd25519KeyPair();
  const b64 = kp.publicKey.split(" ")[1]!;
  assert.throws(() => parsePublicKey("ssh-ed25519"), /not an OpenSSH public key/);
  assert.throws(() => parsePublicKey(`ssh-rsa ${b64}`), /holds a ssh-ed25519 key/);
  assert.throws(() => parsePublicKey("ssh-ed25519 AAAA"), /not an SSH key blob/);
  assert.ok(samePublicKey(kp.publicKey, `${kp.publicKey} other comment`));
  assert.ok(!samePublicKey(kp.publicKey, generateEd25519KeyPair().publicKey));
});

test("a private key file pairing one key's seed with another's public key is refused", () => {
  const a = parseEd25519PrivateKey(generateEd25519KeyPair().privateKey);
  const b = parseEd25519PrivateKey(generateEd25519KeyPair().privateKey);
  const forged = formatEd25519PrivateKey(a.seed, b.publicKey, "forged");
  assert.throws(() => publicKeyFromPrivate(forged), /seed does not derive the stated public key/);
});

test("private key parsing refuses corrupt files", () => {
  const kp = generateEd25519KeyPair("c");
  assert.throws(() => publicKeyFromPrivate("hello"), /not an OpenSSH private key/);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 255 }), (pos, x) => {
      const lines = kp.privateKey.split("\n");
      const body = Buffer.from(lines.slice(1, -2).join(""), "base64");
      fc.pre(pos < body.length);
      body[pos]! ^= x;
      const broken = `${lines[0]}\n${body.toString("base64")}\n${lines.at(-2)}\n`;
      // A flipped byte is either refused or (in the comment/padding) still gives a valid key pair.
      try {
        const pub = publicKeyFromPrivate(broken);
        assert.ok(samePublicKey(pub, kp.publicKey));
      } catch (e) {
        assert.ok(e instanceof SyntaxError || e instanceof RangeError, String(e));
      }
    }),
    { numRuns: 300 },
  );
});

test("ssh_keypair: create makes a key pair ssh-keygen accepts; update keeps it unless keyType/comment change", async () => {
  const first = await runProvider([create("ssh_keypair", { comment: "deploy" })]);
  const out = outputsOf(first.responses[0]);
  withDir((dir) => {
    writeFileSync(join(dir, "id"), out.privateKey as string, { mode: 0o600 });
    assert.equal(sshKeygen(["-y", "-f", join(dir, "id")]).trim(), out.publicKey);
  });
  const second = await runProvider([
    update("ssh_keypair", { comment: "deploy" }, out, { comment: "deploy", keyType: "ed25519" }),
    update("ssh_keypair", { comment: "deploy" }, out, { comment: "other" }),
  ]);
  assert.deepEqual(outputsOf(second.responses[0]), out, "same effective inputs keep the key");
  const changed = outputsOf(second.responses[1]);
  assert.notEqual(changed.publicKey, out.publicKey);
  assert.match(changed.publicKey as string, / other$/);
});
