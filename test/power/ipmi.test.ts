/**
 * The IPMI driver against a real BMC: OpenIPMI's ipmi_sim on loopback, driven through
 * ipmitool -I lanplus exactly as Landscaper drives a server's BMC. Binds UDP ports: run
 * under the lab lock (flock /tmp/landscaper-netns.lock).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { chmod, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseMac, type Mac } from "../../src/core/mac.js";
import { machineLabel, Power, PowerError, type PowerTarget } from "../../src/power/power.js";
import { freeUdpPort, SIM_PASSWORD, startIpmiSim, type SimBmc } from "./ipmi-sim.js";

const MACHINE = machineLabel(parseMac("52:54:00:12:34:56") as Mac, "web-1");
const quick = { callTimeoutMs: 15_000, patience: { attemptSeconds: 1, retries: 1 } };

async function withSim(
  power: "chassis-control" | "startcmd",
  body: (sim: SimBmc, target: PowerTarget) => Promise<void>,
) {
  const sim = await startIpmiSim(power);
  try {
    await body(sim, { machine: MACHINE, bmc: sim.bmc });
  } finally {
    await sim.stop();
  }
}

async function until<T>(what: string, probe: () => Promise<T | null>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function rejection(p: Promise<unknown>): Promise<PowerError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof PowerError, `expected a PowerError, got ${String(err)}`);
    return err;
  }
  throw new Error("expected the action to fail");
}

test("status of a machine that is off: off, and nothing is switched", async () => {
  await withSim("chassis-control", async (sim, target) => {
    const out = await new Power(quick).perform(target, "status");
    assert.equal(out.power, "off");
    assert.equal(out.before, "off");
    assert.deepEqual(out.sent, []);
    assert.equal(out.bmc, `127.0.0.1:${sim.port}`);
    assert.deepEqual(await sim.powerOns(), []);
    assert.deepEqual(await sim.calls(), ["get power"]);
  });
});

test("pxe-once sets the BMC's boot device to PXE (chassis bootparam get 5)", async () => {
  await withSim("chassis-control", async (sim, target) => {
    assert.match(
      await sim.bootParam(),
      /Boot Device Selector : Force Boot from default Hard-Drive/,
    );
    const out = await new Power(quick).perform(target, "pxe-once");
    assert.deepEqual(out.sent, ["pxe-once"]);
    assert.equal(out.power, "off");
    assert.match(await sim.bootParam(), /Boot Device Selector : Force PXE/);
    assert.deepEqual(await sim.powerOns(), [], "setting the boot device powers nothing on");
  });
});

test("arm while off: PXE for one boot, then power on; the machine starts with boot=pxe", async () => {
  await withSim("chassis-control", async (sim, target) => {
    const power = new Power(quick);
    const out = await power.perform(target, "arm");
    assert.equal(out.before, "off");
    assert.deepEqual(out.sent, ["pxe-once", "on"]);
    assert.equal(out.power, "on");
    assert.deepEqual(await sim.powerOns(), ["on boot=pxe"]);
    assert.deepEqual(await sim.calls(), ["get power", "get boot", "set boot pxe", "set power 1"]);
    assert.equal((await power.perform(target, "status")).power, "on");
    // One boot only: the power-on used the override up.
    assert.match(await sim.bootParam(), /Force Boot from default Hard-Drive/);
  });
});

test("arm while on: PXE for one boot, then a power cycle (off, then on again with boot=pxe)", async () => {
  await withSim("chassis-control", async (sim, target) => {
    const power = new Power(quick);
    await power.perform(target, "on");
    assert.deepEqual(await sim.powerOns(), ["on boot=default"]);
    const out = await power.perform(target, "arm");
    assert.equal(out.before, "on");
    assert.deepEqual(out.sent, ["pxe-once", "cycle"]);
    // ipmi_sim powers off at once and on again a second later.
    const ons = await until("the second power-on", async () => {
      const l = await sim.powerOns();
      return l.length === 2 ? l : null;
    });
    assert.deepEqual(ons, ["on boot=default", "on boot=pxe"]);
    const calls = await sim.calls();
    assert.ok(calls.indexOf("set power 0") < calls.lastIndexOf("set power 1"), calls.join("; "));
  });
});

test("ensure-on powers on a machine that is off and leaves one that is on alone", async () => {
  await withSim("chassis-control", async (sim, target) => {
    const power = new Power(quick);
    const first = await power.perform(target, "ensure-on");
    assert.deepEqual(first.sent, ["pxe-once", "on"]);
    const second = await power.perform(target, "ensure-on");
    assert.equal(second.before, "on");
    assert.deepEqual(second.sent, []);
    assert.deepEqual(await sim.powerOns(), ["on boot=pxe"]);
    assert.ok(!(await sim.calls()).includes("set power 0"), "never powered off");
  });
});

test("off powers the machine off; on with pxeOnce boots it from the network", async () => {
  await withSim("chassis-control", async (sim, target) => {
    const power = new Power(quick);
    await power.perform(target, "on", { pxeOnce: true });
    assert.equal((await power.perform(target, "off")).power, "off");
    assert.equal((await power.perform(target, "status")).power, "off");
    assert.deepEqual(await sim.powerOns(), ["on boot=pxe"]);
  });
});

test("ipmi_sim's startcmd: power on starts the machine, power off ends it", async () => {
  await withSim("startcmd", async (sim, target) => {
    const power = new Power(quick);
    await power.perform(target, "on");
    // ipmi_sim runs its startcmd after it has answered: wait for the record (CI saw [] once).
    const ons = await until("the startcmd ran", async () => {
      const p = await sim.powerOns();
      return p.length > 0 ? p : null;
    });
    assert.deepEqual(ons, ["on boot=unknown"]);
    assert.equal((await power.perform(target, "status")).power, "on");
    await power.perform(target, "off");
    await until("power off", async () =>
      (await power.perform(target, "status")).power === "off" ? true : null,
    );
  });
});

test("a BMC that refuses the boot device: arm fails, names it, and powers nothing on", async () => {
  await withSim("startcmd", async (sim, target) => {
    const err = await rejection(new Power(quick).perform(target, "arm"));
    assert.equal(err.kind, "unsupported");
    assert.deepEqual(err.sent, []);
    assert.match(err.message, /web-1 \(52:54:00:12:34:56\)/);
    assert.match(err.message, new RegExp(`BMC 127\\.0\\.0\\.1:${sim.port}`));
    assert.match(err.message, /Set Chassis Boot Parameter \d\D*Invalid data field in request/);
    assert.deepEqual(await sim.powerOns(), []);
  });
});

test("a wrong password: an auth error naming machine, BMC and password file, never the password", async () => {
  await withSim("chassis-control", async (sim, target) => {
    await writeFile(sim.bmc.passwordFile, "wrong-password\n");
    const err = await rejection(new Power(quick).perform(target, "arm"));
    assert.equal(err.kind, "auth");
    assert.match(err.message, /refused the password/);
    assert.match(err.message, /web-1 \(52:54:00:12:34:56\)/);
    assert.ok(err.message.includes(`127.0.0.1:${sim.port}`));
    assert.ok(err.message.includes(sim.bmc.passwordFile));
    assert.ok(!err.message.includes("wrong-password") && !err.message.includes(SIM_PASSWORD));
    assert.deepEqual(await sim.powerOns(), []);
    // The file is read at each action: the right password works at once.
    await writeFile(sim.bmc.passwordFile, SIM_PASSWORD);
    assert.equal((await new Power(quick).perform(target, "status")).power, "off");
  });
});

test("an unknown user, a missing password file, a missing ipmitool: each a clear error", async () => {
  await withSim("chassis-control", async (sim, target) => {
    const power = new Power(quick);
    const user = await rejection(
      power.perform({ ...target, bmc: { ...target.bmc, username: "nobody" } }, "status"),
    );
    assert.equal(user.kind, "auth");
    assert.match(user.message, /does not know this user name.*"nobody"/);
    const file = join(sim.dir, "no-such-file");
    const missing = await rejection(
      power.perform({ ...target, bmc: { ...target.bmc, passwordFile: file } }, "status"),
    );
    assert.equal(missing.kind, "password");
    assert.ok(missing.message.includes(`cannot read the password file ${file} (ENOENT)`));
    const noTool = await rejection(
      new Power({ ...quick, ipmitool: "/nonexistent/ipmitool" }).perform(target, "status"),
    );
    assert.equal(noTool.kind, "no-ipmitool");
    assert.match(noTool.message, /apt install ipmitool/);
  });
});

/** A UDP socket that takes every datagram and answers none: a BMC that has hung. */
async function silentBmc(t: { after: (fn: () => void) => void }) {
  const port = await freeUdpPort();
  const s = createSocket("udp4");
  let datagrams = 0;
  s.on("message", () => datagrams++);
  await new Promise<void>((resolve) => s.bind(port, "127.0.0.1", resolve));
  t.after(() => s.close());
  return { port, datagrams: () => datagrams };
}

test("a BMC that does not answer: 'no answer' within ipmitool's bounded retries", async (t) => {
  await withSim("chassis-control", async (sim, target) => {
    const silent = await silentBmc(t);
    const started = Date.now();
    const err = await rejection(
      new Power(quick).perform({ ...target, bmc: { ...target.bmc, port: silent.port } }, "arm"),
    );
    const ms = Date.now() - started;
    assert.equal(err.kind, "unreachable");
    assert.match(
      err.message,
      new RegExp(`BMC 127\\.0\\.0\\.1:${silent.port} failed: "status": no answer`),
    );
    assert.ok(silent.datagrams() > 0, "ipmitool did send");
    assert.ok(ms < quick.callTimeoutMs, `gave up after ${ms} ms`);
  });
});

test("our own bound: an ipmitool that outlives callTimeoutMs is killed and reported", async (t) => {
  await withSim("chassis-control", async (sim, target) => {
    const silent = await silentBmc(t);
    const power = new Power({ callTimeoutMs: 800, patience: { attemptSeconds: 5, retries: 5 } });
    const started = Date.now();
    const err = await rejection(
      power.perform({ ...target, bmc: { ...target.bmc, port: silent.port } }, "status"),
    );
    assert.equal(err.kind, "timeout");
    assert.match(err.message, /no result within 800 ms/);
    assert.ok(Date.now() - started < 5000, "killed well before ipmitool's own 25 s");
  });
});

/** An ipmitool wrapper that logs when each run starts and ends, and its arguments. */
async function loggingIpmitool(dir: string): Promise<{ path: string; log: string }> {
  const path = join(dir, "ipmitool-logged");
  const log = join(dir, "runs.log");
  await writeFile(
    path,
    `#!/bin/sh\necho "start $$ $(date +%s%N)" >> ${log}\nsleep 0.2\n` +
      `ipmitool "$@"; rc=$?\necho "end $$ $(date +%s%N)" >> ${log}\nexit $rc\n`,
  );
  await chmod(path, 0o755);
  return { path, log };
}

test("actions on one BMC run one at a time, in the order asked", async () => {
  await withSim("chassis-control", async (sim, target) => {
    const wrapper = await loggingIpmitool(sim.dir);
    const power = new Power({ ...quick, ipmitool: wrapper.path });
    const finished: string[] = [];
    const track = (name: string, p: Promise<unknown>) => p.then(() => finished.push(name));
    await Promise.all([
      track("arm", power.perform(target, "arm")),
      track("off", power.perform(target, "off")),
      track("status", power.perform(target, "status")),
    ]);
    assert.deepEqual(finished, ["arm", "off", "status"]);
    const events = (await readFile(wrapper.log, "utf8")).trim().split("\n");
    // status, pxe-once, on (arm), off, status: five runs, each ended before the next began.
    assert.equal(events.length, 10);
    for (let i = 0; i < events.length; i += 2) {
      assert.match(events[i]!, /^start /);
      assert.match(events[i + 1]!, /^end /);
      assert.equal(events[i]!.split(" ")[1], events[i + 1]!.split(" ")[1], "same process");
    }
    assert.equal((await power.perform(target, "status")).power, "off");
  });
});

test("the password is in no process's command line, only in ipmitool's environment", async (t) => {
  await withSim("chassis-control", async (sim, target) => {
    const silent = await silentBmc(t);
    // A silent BMC keeps ipmitool running long enough to look at it in /proc.
    const pending = new Power({ callTimeoutMs: 4000, patience: { attemptSeconds: 1, retries: 2 } })
      .perform({ ...target, bmc: { ...target.bmc, port: silent.port } }, "status")
      .catch((e: unknown) => e);
    const pid = await until("the ipmitool process", async () => {
      for (const p of await readdir("/proc")) {
        if (!/^\d+$/.test(p)) continue;
        const argv = await readFile(`/proc/${p}/cmdline`, "utf8").catch(() => "");
        if (argv.startsWith("ipmitool\0") && argv.includes(`\0${silent.port}\0`)) return p;
      }
      return null;
    });
    const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
    assert.ok(argv.includes("-E"), argv.join(" "));
    assert.ok(!argv.some((a) => a.includes(SIM_PASSWORD)), "password on the command line");
    assert.ok(!argv.includes("-P"));
    const env = (await readFile(`/proc/${pid}/environ`, "utf8")).split("\0");
    assert.ok(env.includes(`IPMI_PASSWORD=${SIM_PASSWORD}`));
    const err = await pending;
    assert.ok(err instanceof PowerError);
    assert.ok(!err.message.includes(SIM_PASSWORD));
  });
});
