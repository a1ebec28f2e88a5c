// End to end: real firmware (OVMF's EDK2 PXE and HTTP boot, SeaBIOS with iPXE) in QEMU on
// the lab's bridged LAN boots through the real `landscaper serve` to `installed`, and back.
// Each boot is `scripts/lab boot`, which prints every stage's time; on failure the serial
// logs and the LAN's packet capture stay under test-output/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { controlRequest } from "../../src/control/client.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const labName = `lst-lab-e2e-${process.pid}`;
const labDir = path.join(root, "test-output", labName);
const env = { ...process.env, LAB_NAME: labName, LAB_DIR: labDir };
const socket = path.join(labDir, "control.sock");
let failed = false;

/** Runs scripts/lab with its output on our stderr (the test log); resolves to the exit code. */
function lab(args: string[], timeoutMs = 240_000): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(path.join(root, "scripts/lab"), args, {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d: Buffer) => process.stderr.write(d));
    child.stderr.on("data", (d: Buffer) => process.stderr.write(d));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}

async function labMac(name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(root, "scripts/lab"), ["mac", name], { env });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error("scripts/lab mac")),
    );
  });
}

interface View {
  state: string;
  generation: number;
  failure: { message: string; log: string | null } | null;
  events: { type: string; state: string; phase?: string; script?: string }[];
}

async function machine(mac: string): Promise<View> {
  const r = await controlRequest(socket, "GET", `/v1/machines/${mac}`);
  return r.body as View;
}

async function step(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    failed = true;
    process.stderr.write(`e2e: ${name} failed; serial logs and lan.pcap kept in ${labDir}\n`);
    throw e;
  }
}

before(async () => {
  rmSync(labDir, { recursive: true, force: true });
  mkdirSync(labDir, { recursive: true });
  assert.equal(await lab(["up"]), 0, "scripts/lab up");
});

after(async () => {
  await lab(["down"]);
  // On failure the lab's directory stays: serial-*.log per VM, lan.pcap, every server's log.
  if (!failed) rmSync(labDir, { recursive: true, force: true });
});

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
