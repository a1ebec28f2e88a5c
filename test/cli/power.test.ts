/**
 * `landscaper machines add --bmc-*` and `machines power` against a real `landscaper serve`
 * and a real BMC (OpenIPMI's ipmi_sim on loopback, driven by serve's ipmitool). Binds
 * ports: run under the lab lock (flock /tmp/landscaper-netns.lock).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanup, startServe } from "../support/appliance.js";
import { startIpmiSim } from "../power/ipmi-sim.js";
import { landscaper } from "./run.js";

const MAC = "52:54:00:18:00:0c";

async function until(what: string, probe: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("machines add --bmc-* powers the machine on into PXE; machines power drives it", async (t) => {
  const sim = await startIpmiSim("chassis-control");
  const s = await startServe();
  t.after(async () => {
    await cleanup(s);
    await sim.stop();
  });
  const kernel = join(s.dir, "vmlinuz");
  await writeFile(kernel, "k");
  const cli = (...args: string[]) => landscaper(["machines", ...args, "--socket", s.socket]);
  const files = ["--kernel", kernel, "--initrd", kernel];

  const stray = await cli("add", MAC, ...files, "--bmc-user", "admin");
  assert.equal(stray.code, 2, "a BMC flag without --bmc-address is a usage error");
  assert.match(stray.stderr, /--bmc-user needs --bmc-address/);

  const bmc = sim.bmc;
  const added = await cli(
    "add",
    MAC,
    ...files,
    "--hostname",
    "web-1",
    "--bmc-address",
    bmc.address,
    "--bmc-port",
    String(bmc.port),
    "--bmc-user",
    bmc.username,
    "--bmc-password-file",
    bmc.passwordFile,
    "--bmc-cipher-suite",
    "3",
  );
  assert.equal(added.code, 0, added.stderr);
  await until("the registration's power-on", async () => (await sim.powerOns()).length === 1);
  assert.deepEqual(await sim.powerOns(), ["on boot=pxe"]);

  const status = await cli("power", "web-1", "status");
  assert.equal(status.code, 0, status.stderr);
  assert.equal(status.stdout, `web-1 (${MAC}): power on (BMC 127.0.0.1:${bmc.port})\n`);

  const off = await cli("power", "web-1", "off", "--json");
  assert.equal(off.code, 0, off.stderr);
  assert.deepEqual((JSON.parse(off.stdout) as { sent: string[] }).sent, ["off"]);
  const on = await cli("power", MAC, "on", "--pxe-once");
  assert.equal(on.code, 0, on.stderr);
  assert.match(on.stdout, /pxe-once, on done, power on/);
  assert.deepEqual(await sim.powerOns(), ["on boot=pxe", "on boot=pxe"]);

  assert.equal((await cli("power", "web-1", "status", "--pxe-once")).code, 2);
  assert.equal((await cli("power", "web-1", "reboot")).code, 2, "an unknown action");

  // An update without --bmc-* keeps the BMC; show names it, without any password.
  assert.equal((await cli("add", "web-1", ...files, "--cmdline", "quiet")).code, 0);
  const show = await cli("show", "web-1");
  assert.match(show.stdout, new RegExp(`^bmc: +ipmi 127\\.0\\.0\\.1:${bmc.port} user admin`, "m"));
  assert.match(show.stdout, /power +\w+ +action=status trigger=operator ok=true/);
  assert.match(show.stdout, /action=on trigger=operator ok=true sent=pxe-once,on power=on/);

  await writeFile(bmc.passwordFile, "wrong-password\n");
  const refused = await cli("power", "web-1", "status");
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /power status of web-1 \(52:54:00:18:00:0c\) through BMC .* refused the password/,
  );
  // show gives the failed action's reason, not only ok=false.
  const failed = await cli("show", "web-1");
  assert.match(
    failed.stdout,
    /ok=false sent= error=\{"kind":"auth","message":"power status of web-1 /,
  );

  const other = "52:54:00:18:00:0d";
  assert.equal((await cli("add", other, ...files)).code, 0);
  const noBmc = await cli("power", other, "status");
  assert.equal(noBmc.code, 1);
  assert.match(noBmc.stderr, /has no BMC/);
});
