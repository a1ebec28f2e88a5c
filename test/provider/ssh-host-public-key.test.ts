import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  generateEd25519KeyPair,
  parsePublicKey,
  samePublicKey,
} from "../../src/core/openssh-keys.js";
import { create, errorOf, outputsOf, pending, runProvider, sleep, update } from "./harness.js";
import { freePort, startSshd, type Sshd } from "./sshd-fixture.js";

const TYPE = "ssh_host_public_key";

function inputs(sshd: Sshd, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    host: "127.0.0.1",
    port: sshd.port,
    user: "root",
    privateKey: sshd.clientKey.privateKey,
    expectedHostPublicKey: sshd.installationKey.publicKey,
    hostKeyPath: sshd.hostKeyPath,
    reloadCommand: sshd.reloadCommand,
    timeout: 30,
    ...extra,
  };
}

/** The ed25519 host key a real OpenSSH client sees on the port. */
function keyscan(port: number): string {
  const out = execFileSync("ssh-keyscan", ["-t", "ed25519", "-p", String(port), "127.0.0.1"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 10_000,
  });
  const line = out.split("\n").find((l) => l.includes("ssh-ed25519"));
  assert.ok(line, `ssh-keyscan saw no ed25519 key: ${out}`);
  return line.split(" ").slice(1).join(" ");
}

test("ssh_host_public_key against a real sshd: the key is replaced, presented, and a re-run changes nothing", async (t) => {
  const sshd = await startSshd();
  t.after(() => sshd.stop());

  const created = await runProvider([create(TYPE, inputs(sshd))]);
  assert.equal(created.code, 0, created.stderr);
  const out = outputsOf(created.responses[0]);
  const newKey = out.hostPublicKey as string;
  assert.ok(!samePublicKey(newKey, sshd.installationKey.publicKey), "a new key");
  assert.ok(
    samePublicKey(newKey, readFileSync(sshd.hostKeyPath + ".pub", "utf8")),
    "installed at hostKeyPath",
  );
  assert.ok(samePublicKey(newKey, keyscan(sshd.port)), "sshd presents it to OpenSSH's own client");
  const onDisk = readFileSync(sshd.hostKeyPath, "utf8");
  assert.ok(
    !created.stdout.includes(onDisk.split("\n")[1]!),
    "the new private key never leaves the host",
  );
  assert.equal(parsePublicKey(newKey).comment, "", "the output is the bare key");

  // Re-run (as an update after some input changed) against the host presenting the recorded key.
  const before = sshd.snapshot();
  const again = await runProvider([update(TYPE, inputs(sshd), out, inputs(sshd, { timeout: 20 }))]);
  assert.deepEqual(outputsOf(again.responses[0]), { hostPublicKey: newKey });
  assert.equal(sshd.snapshot(), before, "nothing changed on disk");
  assert.match(again.stderr, /already presents the recorded key/);
});

test("ssh_host_public_key refuses a host whose key is not the expected one and changes nothing", async (t) => {
  const sshd = await startSshd();
  t.after(() => sshd.stop());
  const before = sshd.snapshot();
  const wrong = generateEd25519KeyPair().publicKey;
  const started = Date.now();
  const run = await runProvider([create(TYPE, inputs(sshd, { expectedHostPublicKey: wrong }))]);
  const msg = errorOf(run.responses[0]);
  assert.match(
    msg,
    /presented host key SHA256:\S+, which is not the expected SHA256:\S+; refusing to log in/,
  );
  assert.ok(
    Date.now() - started < 20_000,
    "a wrong key is refused at once, not retried to the timeout",
  );
  assert.equal(sshd.snapshot(), before);
  // An update whose recorded key is also not what the host presents is refused as well.
  const rec = generateEd25519KeyPair().publicKey;
  const upd = await runProvider([
    update(
      TYPE,
      inputs(sshd),
      { hostPublicKey: rec },
      inputs(sshd, { expectedHostPublicKey: wrong }),
    ),
  ]);
  assert.match(errorOf(upd.responses[0]), /refusing to log in/);
  assert.equal(sshd.snapshot(), before);
});

test("ssh_host_public_key logs in with privateKeyFile read at run time, or with the ssh-agent", async (t) => {
  const sshd = await startSshd();
  t.after(() => sshd.stop());
  const keyFile = join(sshd.dir, "id_deployer");
  writeFileSync(keyFile, sshd.clientKey.privateKey, { mode: 0o600 });
  const noKey = { ...inputs(sshd), privateKey: undefined };

  const viaFile = await runProvider([create(TYPE, { ...noKey, privateKeyFile: keyFile })]);
  const out = outputsOf(viaFile.responses[0]);
  assert.ok(samePublicKey(out.hostPublicKey as string, keyscan(sshd.port)));

  const agentSock = join(sshd.dir, "agent.sock");
  const agent = spawn("ssh-agent", ["-D", "-a", agentSock], { stdio: "ignore" });
  t.after(() => agent.kill("SIGTERM"));
  for (let i = 0; i < 50; i++) {
    try {
      execFileSync("ssh-add", [keyFile], { env: { SSH_AUTH_SOCK: agentSock }, stdio: "ignore" });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const before = sshd.snapshot();
  const viaAgent = await runProvider([update(TYPE, noKey, out, { ...noKey, timeout: 10 })], {
    env: { SSH_AUTH_SOCK: agentSock },
  });
  assert.deepEqual(outputsOf(viaAgent.responses[0]), out);
  assert.equal(sshd.snapshot(), before);

  const none = await runProvider([create(TYPE, noKey)]);
  assert.match(
    errorOf(none.responses[0]),
    /give the input privateKey or privateKeyFile, or run .* ssh-agent/,
  );
  const missing = await runProvider([
    create(TYPE, { ...noKey, privateKeyFile: join(sshd.dir, "nope") }),
  ]);
  assert.match(errorOf(missing.responses[0]), /cannot read privateKeyFile .*nope: ENOENT/);
});

test("ssh_host_public_key retries a closed port with backoff and gives up at the timeout", async () => {
  const port = await freePort();
  const kp = generateEd25519KeyPair();
  const started = Date.now();
  const run = await runProvider([
    create(TYPE, {
      host: "127.0.0.1",
      port,
      privateKey: kp.privateKey,
      expectedHostPublicKey: kp.publicKey,
      timeout: 4,
    }),
  ]);
  const took = Date.now() - started;
  assert.match(errorOf(run.responses[0]), /gave up on root@127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  assert.ok(took >= 3000 && took < 15_000, `took ${took} ms`);
  assert.ok((run.stderr.match(/not yet, retrying/g) ?? []).length >= 2, "more than one attempt");
});

test("ssh_host_public_key: a failing reloadCommand is an error that carries the new key", async (t) => {
  const sshd = await startSshd();
  t.after(() => sshd.stop());
  const run = await runProvider([
    create(TYPE, inputs(sshd, { reloadCommand: "echo no reload >&2; exit 3" })),
  ]);
  const msg = errorOf(run.responses[0]);
  const installed = readFileSync(sshd.hostKeyPath + ".pub", "utf8").trim();
  assert.match(msg, /reloadCommand failed \(exit 3\): no reload/);
  assert.ok(msg.includes(installed.split(" ").slice(0, 2).join(" ")), "names the key now on disk");
});

test("ssh_host_public_key leaves the installer alone and takes over the key once the host has rebooted", async (t) => {
  const sshd = await startSshd({ installer: true });
  t.after(() => sshd.stop());
  const before = sshd.snapshot();
  const p = pending(runProvider([create(TYPE, inputs(sshd, { timeout: 60 }))]));
  await sleep(2000);
  assert.equal(p.done(), false, "still waiting while the installer runs");
  assert.equal(sshd.snapshot(), before, "the installer's host key is not touched");
  await sshd.reboot(false);
  const run = await p.run;
  const key = outputsOf(run.responses[0]).hostPublicKey as string;
  assert.ok(samePublicKey(key, keyscan(sshd.port)));
  assert.match(run.stderr, /still runs the Landscaper installer/);
});

test("ssh_host_public_key gives up on a host that stays in the installer", async (t) => {
  const sshd = await startSshd({ installer: true });
  t.after(() => sshd.stop());
  const before = sshd.snapshot();
  const run = await runProvider([create(TYPE, inputs(sshd, { timeout: 4 }))]);
  assert.match(
    errorOf(run.responses[0]),
    /still running the Landscaper installer .* when the timeout ran out/,
  );
  assert.equal(sshd.snapshot(), before);
});

test("ssh_host_public_key: a reloadCommand that takes the session down (like a restart) still ends verified", async (t) => {
  const sshd = await startSshd();
  t.after(() => sshd.stop());
  // The session's sshd process dies under the command, as with `systemctl restart sshd`.
  const reloadCommand = `${sshd.reloadCommand}; kill -KILL $PPID`;
  const run = await runProvider([create(TYPE, inputs(sshd, { reloadCommand }))]);
  const key = outputsOf(run.responses[0]).hostPublicKey as string;
  assert.ok(samePublicKey(key, keyscan(sshd.port)));
});
