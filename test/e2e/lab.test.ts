// End to end: real firmware (OVMF's EDK2 PXE and HTTP boot, SeaBIOS with iPXE) in QEMU on
// the lab's bridged LAN boots through the real `landscaper serve` to `installed`, and back.
// Each boot is `scripts/lab boot`, which prints every stage's time; on failure the serial
// logs and the LAN's packet capture stay under test-output/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { controlRequest } from "../../src/control/client.js";
import { lab as labNamed, type LabEvent, type LabView } from "../support/lab.js";

const l = labNamed("lab-e2e");
const { dir: labDir, socket, run: lab, machine, step } = l;
const labMac = (name: string): Promise<string> => l.print("mac", name);
type View = LabView;
type Event = LabEvent;

before(() => l.up());
after(() => l.down());

async function installs(name: string, firmware: string): Promise<void> {
  await step(`${firmware} install`, async () => {
    assert.equal(await lab(["register", name]), 0);
    const mac = await labMac(name);
    assert.equal(
      await lab([
        "boot",
        name,
        "--firmware",
        firmware,
        "--expect",
        "installed",
        "--timeout",
        "150",
      ]),
      0,
    );
    const m = await machine(mac);
    assert.equal(m.state, "installed");
    const types = m.events.map((e) => e.type);
    for (const t of ["script", "kernel", "initrd", "job", "progress", "complete"]) {
      assert.ok(types.includes(t), `event ${t} in ${types.join(",")}`);
    }
    assert.deepEqual(
      m.events.filter((e) => e.type === "progress").map((e) => e.phase),
      ["disko", "install"],
    );
  });
}

async function bootsLocally(name: string, firmware: string): Promise<void> {
  await step(`${firmware} local boot`, async () => {
    const mac = await labMac(name);
    const before = await machine(mac);
    assert.equal(
      await lab(["boot", name, "--firmware", firmware, "--expect", "local", "--timeout", "90"]),
      0,
    );
    const m = await machine(mac);
    assert.equal(m.state, "installed");
    assert.equal(m.generation, before.generation);
    const fresh = m.events.slice(before.events.length);
    assert.ok(
      fresh.some((e) => e.type === "script" && e.script === "local"),
      "the local-boot script was served",
    );
    assert.ok(
      !fresh.some((e) => e.type === "kernel" || e.type === "job"),
      "no installer on the second boot",
    );
  });
}

test("BIOS (SeaBIOS + iPXE ROM): power-on to installed, then a local boot", async () => {
  await installs("bios-1", "bios");
  await bootsLocally("bios-1", "bios");
});

test("UEFI PXE (OVMF, EDK2's PXE client): power-on to installed, then a local boot", async () => {
  await installs("uefi-1", "uefi");
  await bootsLocally("uefi-1", "uefi");
});

test("UEFI HTTP boot (OVMF, IPv4 PXE off): power-on to installed", async () => {
  await installs("http-1", "http");
});

test("a job whose step fails ends failed with the log tail", async () => {
  await step("failing job", async () => {
    assert.equal(await lab(["register", "fail-1", "--fail"]), 0);
    const mac = await labMac("fail-1");
    assert.equal(
      await lab(["boot", "fail-1", "--firmware", "bios", "--expect", "failed", "--timeout", "120"]),
      0,
    );
    const m = await machine(mac);
    assert.equal(m.state, "failed");
    assert.equal(m.failure?.message, "phase install failed (exit 3)");
    assert.match(m.failure?.log ?? "", /No space left on device/);
  });
});

test("a machine that was never registered is not answered and does not boot", async () => {
  await step("unregistered", async () => {
    const mac = await labMac("stray-1");
    assert.equal(
      await lab(["boot", "stray-1", "--firmware", "bios", "--expect", "none", "--timeout", "90"]),
      0,
    );
    const r = await controlRequest(socket, "GET", `/v1/machines/${mac}`, undefined, [404]);
    assert.equal(r.status, 404);
  });
});

/** `scripts/lab bmc-story`'s snapshot of Landscaper's record after round `n`. */
function storyRecord(name: string, n: number): View {
  return JSON.parse(
    readFileSync(path.join(labDir, "bmc", name, `machine-${n}.json`), "utf8"),
  ) as View;
}

/** What Landscaper asked the BMC in one generation: `action/trigger: sent`, in order. */
function powerSteps(events: Event[], generation: number): string[] {
  return events
    .filter((e) => e.type === "power" && e.generation === generation)
    .map((e) => `${e.action}/${e.trigger}${e.ok ? "" : " FAILED"}: ${(e.sent ?? []).join(",")}`);
}

// Issue 18: a VM that only its BMC (OpenIPMI's ipmi_sim) switches on, every power action
// Landscaper's (ipmitool from its namespace). BIOS: the lab's fastest firmware (SeaBIOS's
// iPXE ROM goes straight to HTTP, no EDK2 PXE/TFTP stage; its disk boots in ~2 s).
test(
  "a machine with a BMC: Landscaper powers it through an install, its disk, a rearm's install",
  { timeout: 660_000 },
  async () => {
    await step("BMC story", async () => {
      const name = "bmc-1";
      const mac = await labMac(name);
      const started = Date.now();
      try {
        assert.equal(await lab(["bmc-story", name, "--firmware", "bios"], 600_000), 0);
      } finally {
        await lab(["bmc-down", name]);
        process.stderr.write(`e2e: BMC story ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
      }
      // Generation 1: the registration armed it (PXE once, power on: it was off); the
      // installer's reboot left it off; the operator's `on` (no override) booted the disk.
      const first = storyRecord(name, 1);
      assert.equal(first.state, "installed");
      assert.deepEqual(powerSteps(first.events, 1), [
        "arm/registration: pxe-once,on",
        "status/operator: ",
        "on/operator: on",
      ]);
      // Generation 2: the rearm armed it again, and as the disk's boot left it on, cycled it.
      const m = await machine(mac);
      assert.equal(m.state, "installed");
      assert.equal(m.generation, 2);
      assert.deepEqual(powerSteps(m.events, 2), [
        "arm/rearm: pxe-once,cycle",
        "status/operator: ",
        "on/operator: on",
        "off/operator: off",
      ]);
      const phases = m.events.filter((e) => e.type === "progress").map((e) => e.phase);
      assert.deepEqual(phases, ["disko", "install"], "generation 2 ran the installer");
      // The password went to ipmitool through its environment (-E), never its arguments.
      const password = readFileSync(path.join(labDir, "bmc", name, "password"), "utf8").trim();
      const argv = readFileSync(path.join(labDir, "ipmitool-argv.log"), "utf8").trim().split("\n");
      // Three calls per arm (status, bootdev, on or cycle), one per other action.
      assert.equal(argv.length, 11, argv.join("\n"));
      for (const line of argv) {
        assert.ok(!line.includes(password), "the password is not on ipmitool's command line");
        assert.match(line, / -E /);
      }
    });
  },
);
