import { test, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { controlRequest, type ControlError } from "../../src/control/client.js";
import { generateEd25519KeyPair, samePublicKey } from "../../src/core/openssh-keys.js";
import { cleanup, startServe, type RunningServe } from "../support/appliance.js";
import { create, errorOf, outputsOf, runProvider, update } from "./harness.js";

const running: RunningServe[] = [];
after(async () => {
  for (const s of running) await cleanup(s);
});

/** A real `landscaper serve` on loopback, with a kernel and initrd to register. */
async function appliance() {
  const s = await startServe();
  running.push(s);
  const kernel = join(s.dir, "bzImage");
  const initrd = join(s.dir, "initrd");
  await writeFile(kernel, "kernel");
  await writeFile(initrd, "initrd");
  return { s, kernel, initrd };
}

async function machine(s: RunningServe, mac: string): Promise<Record<string, unknown>> {
  return (await controlRequest(s.socket, "GET", `/v1/machines/${mac}`)).body as Record<
    string,
    unknown
  >;
}

test("pxe_nbp registers through the control socket, idempotently, and re-arms when reinstall changes", async () => {
  const { s, kernel, initrd } = await appliance();
  const mac = "52:54:00:ab:00:01";
  const inputs = {
    mac: "52-54-00-AB-00-01",
    kernel,
    initrd,
    cmdline: "console=ttyS0",
    socket: s.socket,
  };

  const first = await runProvider([create("pxe_nbp", inputs), create("pxe_nbp", inputs)]);
  assert.equal(first.code, 0, first.stderr);
  const out = outputsOf(first.responses[0]);
  assert.deepEqual(Object.keys(out).sort(), ["bootUrl", "generation", "installationHostPublicKey"]);
  assert.equal(out.bootUrl, `${s.base}/boot/${mac.replace(/:/g, "-")}.ipxe`);
  assert.equal(out.generation, 1);
  const m = await machine(s, mac);
  assert.equal(m.installationHostPublicKey, out.installationHostPublicKey);
  assert.equal(m.state, "registered");
  assert.deepEqual(outputsOf(first.responses[1]), out, "the same PUT again changes nothing");

  // An update with another cmdline keeps the generation; a bumped reinstall re-arms.
  const changed = { ...inputs, cmdline: "console=ttyS1" };
  const upd = await runProvider([
    update("pxe_nbp", inputs, out, changed),
    update("pxe_nbp", changed, out, { ...changed, reinstall: 1 }),
    update("pxe_nbp", { ...changed, reinstall: 1 }, out, {
      ...changed,
      reinstall: 1,
      hostname: "web-1",
    }),
  ]);
  assert.equal(outputsOf(upd.responses[0]).generation, 1);
  assert.equal(outputsOf(upd.responses[1]).generation, 2, "reinstall 0 -> 1 re-arms");
  assert.equal(outputsOf(upd.responses[2]).generation, 2, "unchanged reinstall does not re-arm");
  const after = await machine(s, mac);
  assert.equal(after.cmdline, "console=ttyS1");
  assert.equal(after.hostname, "web-1");
  assert.ok((after.events as { type: string }[]).some((e) => e.type === "rearmed"));
});

test("pxe_nbp: a given installation host key is used; a changed MAC moves the registration", async () => {
  const { s, kernel, initrd } = await appliance();
  const key = generateEd25519KeyPair("install");
  const a = { mac: "52:54:00:ab:00:02", kernel, initrd, installationHostKey: key };
  const b = { ...a, mac: "52:54:00:ab:00:03" };
  const run = await runProvider([create("pxe_nbp", a)], { env: { LANDSCAPER_SOCKET: s.socket } });
  const out = outputsOf(run.responses[0]);
  assert.ok(samePublicKey(out.installationHostPublicKey as string, key.publicKey));

  const moved = await runProvider([update("pxe_nbp", a, out, b)], {
    env: { LANDSCAPER_SOCKET: s.socket },
  });
  assert.equal(outputsOf(moved.responses[0]).bootUrl, `${s.base}/boot/52-54-00-ab-00-03.ipxe`);
  await assert.rejects(machine(s, a.mac), (e: ControlError) => e.status === 404);
  assert.equal((await machine(s, b.mac)).state, "registered");
});

test("pxe_nbp: the control API's refusal comes back naming the field; a key pair that does not match is refused first", async () => {
  const { s, kernel } = await appliance();
  const other = generateEd25519KeyPair();
  const run = await runProvider([
    create("pxe_nbp", {
      mac: "52:54:00:ab:00:04",
      kernel,
      initrd: "relative/initrd",
      socket: s.socket,
    }),
    create("pxe_nbp", {
      mac: "52:54:00:ab:00:04",
      kernel,
      initrd: kernel,
      socket: s.socket,
      installationHostKey: {
        publicKey: other.publicKey,
        privateKey: generateEd25519KeyPair().privateKey,
      },
    }),
    create("pxe_nbp", {
      mac: "52:54:00:ab:00:04",
      kernel,
      initrd: kernel,
      socket: s.socket,
      job: { steps: 1 },
    }),
  ]);
  assert.match(errorOf(run.responses[0]), /registering 52:54:00:ab:00:04: .*initrd.*HTTP 400/);
  assert.match(
    errorOf(run.responses[1]),
    /installationHostKey: publicKey is not the public half of privateKey/,
  );
  assert.match(errorOf(run.responses[2]), /steps/);
});

test("pxe_nbp: ipv4 reserves the machine's address, an update moves it, a taken one is the API's 409", async () => {
  const { s, kernel, initrd } = await appliance();
  const a = { mac: "52:54:00:ab:00:21", kernel, initrd, socket: s.socket, ipv4: "10.0.0.21" };
  const b = { ...a, mac: "52:54:00:ab:00:22", hostname: "web-2", ipv4: "10.0.0.22" };
  const created = await runProvider([create("pxe_nbp", a), create("pxe_nbp", b)]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal((await machine(s, a.mac)).ipv4, "10.0.0.21");
  const out = outputsOf(created.responses[0]);

  const moved = { ...a, ipv4: "10.0.0.23" };
  const dropped = { ...a, ipv4: null };
  const run = await runProvider([
    update("pxe_nbp", a, out, moved),
    update("pxe_nbp", moved, out, { ...moved, ipv4: "10.0.0.22" }),
    update("pxe_nbp", moved, out, dropped),
  ]);
  assert.equal(outputsOf(run.responses[0]).generation, 1, "a new address does not re-arm");
  assert.match(
    errorOf(run.responses[1]),
    /registering 52:54:00:ab:00:21: ipv4: 10\.0\.0\.22 is already reserved for machine 52:54:00:ab:00:22 \(web-2\).*HTTP 409/,
  );
  const after = await machine(s, a.mac);
  assert.equal(after.ipv4, null, "the last update dropped it");
  assert.deepEqual(
    (after.events as { type: string; ipv4?: string | null }[])
      .filter((e) => e.type === "updated")
      .map((e) => e.ipv4),
    ["10.0.0.23", null],
  );
});
