import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateEd25519KeyPair, samePublicKey } from "../../src/core/openssh-keys.js";
import { cleanup, startServe, tokenFromScript, type RunningServe } from "../support/appliance.js";
import { create, errorOf, outputsOf, pending, runProvider, sleep } from "./harness.js";
import { freePort, startSshd } from "./sshd-fixture.js";

const running: RunningServe[] = [];
after(async () => {
  for (const s of running) await cleanup(s);
});

async function appliance() {
  const s = await startServe();
  running.push(s);
  const kernel = join(s.dir, "bzImage");
  await writeFile(kernel, "kernel");
  return { s, kernel };
}

/** What the installer agent does at the end: a Bearer-authenticated callback over real HTTP. */
async function callback(base: string, mac: string, what: "complete" | "failed", body: object) {
  const token = await tokenFromScript(base, mac);
  const res = await fetch(`${base}/v1/installs/${mac}/${what}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.text());
}

test("ssh_host_public_key waits for the install callback, then takes over the host key", async (t) => {
  const { s, kernel } = await appliance();
  const sshd = await startSshd();
  t.after(() => sshd.stop());
  const mac = "52:54:00:cd:00:01";

  // The installer would put this key on the machine; the test's sshd already has it.
  const reg = await runProvider([
    create("pxe_nbp", {
      mac,
      kernel,
      initrd: kernel,
      installationHostKey: sshd.installationKey,
      socket: s.socket,
    }),
  ]);
  const expected = outputsOf(reg.responses[0]).installationHostPublicKey as string;

  const p = pending(
    runProvider([
      create("ssh_host_public_key", {
        host: "127.0.0.1",
        port: sshd.port,
        privateKey: sshd.clientKey.privateKey,
        expectedHostPublicKey: expected,
        hostKeyPath: sshd.hostKeyPath,
        reloadCommand: sshd.reloadCommand,
        mac,
        socket: s.socket,
        timeout: 60,
      }),
    ]),
  );
  const before = sshd.snapshot();
  await sleep(1500);
  assert.equal(p.done(), false, "still waiting: the machine is not installed");
  assert.equal(sshd.snapshot(), before, "nothing touched before the install completed");

  await callback(s.base, mac, "complete", {});
  const run = await p.run;
  assert.equal(run.code, 0, run.stderr);
  const key = outputsOf(run.responses[0]).hostPublicKey as string;
  assert.ok(!samePublicKey(key, expected));
  const seen = execFileSync(
    "ssh-keyscan",
    ["-t", "ed25519", "-p", String(sshd.port), "127.0.0.1"],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  assert.ok(samePublicKey(key, seen.trim().split(" ").slice(1).join(" ")));
});

test("a failed install ends the wait with the installer's message and the tail of its log", async () => {
  const { s, kernel } = await appliance();
  const mac = "52:54:00:cd:00:02";
  const reg = await runProvider([
    create("pxe_nbp", { mac, kernel, initrd: kernel, socket: s.socket }),
  ]);
  const expected = outputsOf(reg.responses[0]).installationHostPublicKey as string;
  const p = pending(
    runProvider([
      create("ssh_host_public_key", {
        host: "127.0.0.1",
        port: await freePort(),
        privateKey: generateEd25519KeyPair().privateKey,
        expectedHostPublicKey: expected,
        mac,
        socket: s.socket,
        timeout: 60,
      }),
    ]),
  );
  await sleep(100);
  const log = Array.from({ length: 100 }, (_, i) => `log line ${i + 1}`).join("\n");
  await callback(s.base, mac, "failed", { message: "disko: no disk /dev/sda", log });
  const msg = errorOf((await p.run).responses[0]);
  assert.match(
    msg,
    /^the installation of 52:54:00:cd:00:02 \(generation 1\) failed: disko: no disk \/dev\/sda\n/,
  );
  assert.match(msg, /installer log \(tail\):\nlog line 71\n[^]*log line 100$/);
  assert.doesNotMatch(msg, /log line 70\b/, "only the tail");
});

test("the install wait gives up at the timeout, saying where the machine is", async () => {
  const { s, kernel } = await appliance();
  const mac = "52:54:00:cd:00:03";
  const kp = generateEd25519KeyPair();
  await runProvider([create("pxe_nbp", { mac, kernel, initrd: kernel, socket: s.socket })]);
  const started = Date.now();
  const run = await runProvider([
    create("ssh_host_public_key", {
      host: "127.0.0.1",
      privateKey: kp.privateKey,
      expectedHostPublicKey: kp.publicKey,
      mac,
      socket: s.socket,
      timeout: 2,
    }),
    create("ssh_host_public_key", {
      host: "127.0.0.1",
      privateKey: kp.privateKey,
      expectedHostPublicKey: kp.publicKey,
      mac: "52:54:00:cd:00:99",
      socket: s.socket,
    }),
  ]);
  assert.match(
    errorOf(run.responses[0]),
    /waiting for 52:54:00:cd:00:03 to be installed: timed out \(machine is registered\)/,
  );
  assert.ok(Date.now() - started < 15_000);
  assert.match(errorOf(run.responses[1]), /machine 52:54:00:cd:00:99 is not registered.*HTTP 404/);
});
