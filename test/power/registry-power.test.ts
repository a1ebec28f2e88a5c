/**
 * The registry drives a machine's BMC: a real registry and control API on a Unix socket, a
 * real BMC (OpenIPMI's ipmi_sim on loopback) driven by ipmitool. Binds UDP ports: run under
 * the lab lock (flock /tmp/landscaper-netns.lock).
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { controlRequest, ControlError } from "../../src/control/client.js";
import { createMetrics } from "../../src/core/metrics.js";
import { startControlServer } from "../../src/control/server.js";
import { parseMac, type Mac } from "../../src/core/mac.js";
import type { Bmc } from "../../src/power/bmc.js";
import { Power } from "../../src/power/power.js";
import type { MachineEvent } from "../../src/registry/machine.js";
import type { Registry } from "../../src/registry/registry.js";
import { testRegistry, tokenOf } from "../support/registry.js";
import { SIM_PASSWORD, startIpmiSim, type SimBmc } from "./ipmi-sim.js";

const MAC = parseMac("52:54:00:18:00:01") as Mac;
const quick = { callTimeoutMs: 15_000, patience: { attemptSeconds: 1, retries: 1 } };

interface Rig {
  sim: SimBmc;
  registry: Registry;
  /** One control API call; rejects with a ControlError on a non-2xx answer. */
  api: (method: string, path: string, body?: unknown) => Promise<unknown>;
  put: (bmc: Partial<Bmc> | null, extra?: Record<string, unknown>) => Promise<unknown>;
  /** The machine's `power` events once there are `n` of them (bounded: 20 s). */
  powerEvents: (n: number) => Promise<MachineEvent[]>;
}

async function rig(t: TestContext, settleMs = 200): Promise<Rig> {
  const sim = await startIpmiSim("chassis-control");
  const dir = await mkdtemp(join(tmpdir(), "lst-power-"));
  const reg = await testRegistry({ power: new Power(quick), powerSettleMs: settleMs });
  const socket = join(dir, "control.sock");
  const control = await startControlServer(
    socket,
    "0600",
    reg.registry,
    pino({ level: "silent" }),
    createMetrics(),
  );
  t.after(async () => {
    await control.close();
    await reg.cleanup();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const api = async (method: string, path: string, body?: unknown) =>
    (await controlRequest(socket, method, path, body)).body;
  const events = () => reg.registry.get(MAC)?.events.filter((e) => e.type === "power") ?? [];
  return {
    sim,
    registry: reg.registry,
    api,
    put: (bmc, extra = {}) =>
      api("PUT", `/v1/machines/${MAC}`, {
        kernel: "/k",
        initrd: "/i",
        bmc: bmc === null ? null : { ...sim.bmc, ...bmc },
        ...extra,
      }),
    powerEvents: async (n) => {
      const end = Date.now() + 20_000;
      while (events().length < n) {
        if (Date.now() > end) throw new Error(`${n} power events: not within 20 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return events();
    },
  };
}

test("a registration with a BMC arms the machine: PXE once, then power on", async (t) => {
  const { sim, put, powerEvents, registry } = await rig(t);
  const view = (await put({})) as { bmc: Bmc; state: string };
  assert.equal(view.state, "registered");
  assert.deepEqual(view.bmc, sim.bmc, "the view shows the BMC (the password file's path only)");
  const [e] = await powerEvents(1);
  assert.equal(e?.action, "arm");
  assert.equal(e?.trigger, "registration");
  assert.equal(e?.ok, true);
  assert.deepEqual(e?.sent, ["pxe-once", "on"]);
  assert.equal(e?.power, "on");
  assert.deepEqual(await sim.powerOns(), ["on boot=pxe"]);
  const stored = JSON.stringify(registry.get(MAC));
  assert.ok(!stored.includes(SIM_PASSWORD), "the password is nowhere in the machine");
});

test("an installed machine's plain re-apply leaves its power alone; a rearm cycles it", async (t) => {
  const { sim, put, powerEvents, registry, api } = await rig(t);
  await put({});
  await powerEvents(1);
  registry.noteBootStep(MAC, { type: "kernel", bytes: 1, status: 200 });
  const s = registry.session(MAC, tokenOf(registry, MAC));
  await s.complete(null);
  assert.equal(registry.get(MAC)?.state, "installed");

  await put({});
  await put({}, { cmdline: "quiet" }); // a changed registration is still a re-apply
  await new Promise((r) => setTimeout(r, 1000)); // well past the settle time
  assert.equal((await powerEvents(1)).length, 1, "no power action for a re-apply");
  assert.ok(!(await sim.calls()).includes("set power 0"), "never switched off");

  await api("POST", `/v1/machines/${MAC}/rearm`);
  // The rearm summarised generation 1 (its power event is counted, not kept): the one power
  // event left is generation 2's.
  const [rearm] = await powerEvents(1);
  assert.equal(rearm?.trigger, "rearm");
  assert.deepEqual(rearm?.sent, ["pxe-once", "cycle"]);
  assert.equal(rearm?.generation, 2);
  const end = Date.now() + 5000;
  while ((await sim.powerOns()).length < 2 && Date.now() < end)
    await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await sim.powerOns(), ["on boot=pxe", "on boot=pxe"]);
});

test("the provider's reinstall (PUT, then rearm) powers the machine once, with the rearm's arm", async (t) => {
  const { sim, put, powerEvents, api } = await rig(t, 500);
  await put({});
  await api("POST", `/v1/machines/${MAC}/rearm`);
  const [e] = await powerEvents(1);
  assert.equal(e?.trigger, "rearm");
  assert.deepEqual(e?.sent, ["pxe-once", "on"]);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await powerEvents(1)).length, 1, "the registration's arm was replaced");
  assert.deepEqual(await sim.powerOns(), ["on boot=pxe"]);
});

test("a wrong password: the registration succeeds, the power event says the BMC refused it", async (t) => {
  const { sim, put, powerEvents } = await rig(t);
  await writeFile(sim.bmc.passwordFile, "wrong-password\n");
  const view = (await put({})) as { state: string };
  assert.equal(view.state, "registered");
  const [e] = await powerEvents(1);
  assert.equal(e?.ok, false);
  const error = e?.error as { kind: string; message: string };
  assert.equal(error.kind, "auth");
  assert.match(error.message, /power arm of 52:54:00:18:00:01 through BMC 127\.0\.0\.1:\d+ failed/);
  assert.match(error.message, /refused the password/);
  assert.ok(!JSON.stringify(e).includes("wrong-password"));
  assert.deepEqual(await sim.powerOns(), []);
});

test("a BMC that does not answer: the registration succeeds, the power event says no answer", async (t) => {
  const { put, powerEvents } = await rig(t);
  const silent = createSocket("udp4");
  silent.on("message", () => undefined); // read and drop: a BMC that never answers
  await new Promise<void>((r) => silent.bind(0, "127.0.0.1", r));
  t.after(() => silent.close());
  await put({ port: silent.address().port });
  const [e] = await powerEvents(1);
  assert.equal(e?.ok, false);
  const error = e?.error as { kind: string; message: string };
  assert.equal(error.kind, "unreachable");
  assert.match(error.message, /no answer from the BMC/);
  assert.ok((e?.ms as number) < quick.callTimeoutMs);
});

test("POST /v1/machines/MAC/power: status, on with pxeOnce, and each refusal", async (t) => {
  const { sim, put, powerEvents, api } = await rig(t, 60_000); // the automatic arm never starts
  const path = `/v1/machines/${MAC}/power`;
  const refused = async (body: unknown, p = path) => {
    try {
      await api("POST", p, body);
    } catch (e) {
      assert.ok(e instanceof ControlError);
      return e;
    }
    throw new Error("expected a refusal");
  };
  assert.equal((await refused({ action: "status" })).status, 404);
  await put(null);
  const noBmc = await refused({ action: "status" });
  assert.deepEqual([noBmc.status, noBmc.code], [409, "no_bmc"]);
  await put({});
  const bad = await refused({ action: "explode" });
  assert.deepEqual([bad.status, (bad.body as { field: string }).field], [400, "action"]);
  assert.equal((await refused({ action: "on", pxeOnce: "yes" })).status, 400);
  const badMac = await refused({ action: "status" }, "/v1/machines/nope/power");
  assert.equal(badMac.status, 400);

  // The operator's request replaces the registration's arm, which has not started.
  const status = (await api("POST", path, { action: "status" })) as { power: string };
  assert.equal(status.power, "off");
  const on = (await api("POST", path, { action: "on", pxeOnce: true })) as { sent: string[] };
  assert.deepEqual(on.sent, ["pxe-once", "on"]);
  assert.deepEqual(await sim.powerOns(), ["on boot=pxe"]);
  const events = await powerEvents(2);
  assert.deepEqual(
    events.map((e) => [e.action, e.trigger, e.ok]),
    [
      ["status", "operator", true],
      ["on", "operator", true],
    ],
  );

  await writeFile(sim.bmc.passwordFile, "wrong-password\n");
  const failed = await refused({ action: "off" });
  assert.deepEqual([failed.status, failed.code], [502, "power_failed"]);
  assert.equal((failed.body as { kind: string }).kind, "auth");
  assert.match(failed.message, /BMC 127\.0\.0\.1:\d+ failed/);
});

test("a BMC that is not valid is a 400 naming the field, and nothing is registered", async (t) => {
  const { put, registry } = await rig(t);
  for (const [bmc, field] of [
    [{ port: "623" }, "bmc.port"],
    [{ passwordFile: "relative" }, "bmc.passwordFile"],
    [{ protocol: "redfish" }, "bmc.protocol"],
  ] as const) {
    try {
      await put(bmc as Partial<Bmc>);
      assert.fail("expected a 400");
    } catch (e) {
      assert.ok(e instanceof ControlError);
      assert.equal(e.status, 400);
      assert.equal((e.body as { field: string }).field, field);
      assert.match(e.message, new RegExp(`^${field.replace(".", "\\.")}: `));
    }
  }
  assert.equal(registry.get(MAC), null);
});
