// End to end on a LAN with no site DHCP server (LAB_DHCP=landscaper): Landscaper is the
// DHCP server, with reservations only. Real firmware (SeaBIOS + iPXE, OVMF PXE and HTTP
// boot) boots, installs and comes back from its disk, and every DHCP acknowledgement its
// MAC ever got (firmware, iPXE, the installer's udhcpc, the local boot's firmware) names
// the address it was registered with.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { controlRequest } from "../../src/control/client.js";
import { lab, type LabView } from "../support/lab.js";

const l = lab("labsrv", { LAB_DHCP: "landscaper" });

before(() => l.up());
after(() => l.down());

/** The addresses Landscaper's DHCP server acknowledged to this machine, in order. */
function acked(m: LabView): string[] {
  return m.events
    .filter((e) => e.type === "dhcp-lease" && e.lease === "ack")
    .map((e) => String(e.ip));
}

async function installsAtItsAddress(name: string, firmware: string): Promise<string> {
  const mac = await l.print("mac", name);
  const ip = await l.print("ipv4", name);
  await l.step(`${firmware} install`, async () => {
    assert.equal(await l.run(["register", name]), 0);
    const args = ["boot", name, "--firmware", firmware, "--expect", "installed"];
    assert.equal(await l.run([...args, "--timeout", "150"]), 0);
    const m = await l.machine(mac);
    assert.equal(m.state, "installed");
    assert.equal(m.ipv4, ip);
    const acks = acked(m);
    // The firmware's DHCP, iPXE's, and the installer's: at least two exchanges reached ACK.
    assert.ok(acks.length >= 2, `DHCP acks ${acks.join(",")}`);
    assert.deepEqual(new Set(acks), new Set([ip]), "every ACK gave the reserved address");
  });
  return mac;
}

async function comesBackAtItsAddress(name: string, firmware: string): Promise<void> {
  const mac = await l.print("mac", name);
  const ip = await l.print("ipv4", name);
  await l.step(`${firmware} local boot`, async () => {
    const before = await l.machine(mac);
    const args = ["boot", name, "--firmware", firmware, "--expect", "local"];
    assert.equal(await l.run([...args, "--timeout", "90"]), 0);
    const m = await l.machine(mac);
    assert.equal(m.state, "installed");
    const fresh = acked({ ...m, events: m.events.slice(before.events.length) });
    assert.ok(fresh.length >= 1, "the returning machine asked Landscaper's DHCP again");
    assert.deepEqual(new Set(fresh), new Set([ip]));
  });
}

test("BIOS (SeaBIOS + iPXE): installs and comes back at its reserved address", async () => {
  await installsAtItsAddress("bios-s", "bios");
  await comesBackAtItsAddress("bios-s", "bios");
});

test("UEFI PXE (OVMF): installs and comes back at its reserved address", async () => {
  await installsAtItsAddress("uefi-s", "uefi");
  await comesBackAtItsAddress("uefi-s", "uefi");
});

test("UEFI HTTP boot (OVMF): installs at its reserved address", async () => {
  await installsAtItsAddress("http-s", "http");
});

test("an unregistered machine gets no address and no boot file, and is discovered", async () => {
  const mac = await l.print("mac", "stray-s");
  await l.step("unregistered", async () => {
    const args = ["boot", "stray-s", "--firmware", "bios", "--expect", "none"];
    assert.equal(await l.run([...args, "--timeout", "90"]), 0);
    const r = await controlRequest(l.socket, "GET", "/v1/discovered");
    const seen = (r.body as { discovered: { mac: string; kind: string }[] }).discovered;
    assert.ok(
      seen.some((c) => c.mac === mac),
      `${mac} in the discovered list: ${JSON.stringify(seen)}`,
    );
  });
});
