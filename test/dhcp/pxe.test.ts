import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePacket, type DhcpPacket } from "../../src/dhcp4/packet.js";
import * as o from "../../src/dhcp4/options.js";
import { chooseBoot, classifyClient, type BootFiles } from "../../src/dhcp4/pxe.js";
import { buildReply, replyDestination } from "../../src/dhcp/reply.js";
import type { Mac } from "../../src/core/mac.js";
import {
  CAPTURED_MAC,
  EDK2_DISCOVER,
  EDK2_PROXY_REQUEST,
  IPXE_EFI_DISCOVER,
  SEABIOS_IPXE_DISCOVER,
  frame,
} from "./fixtures.js";
import { httpBootDiscover } from "./http-boot.js";

const mac = CAPTURED_MAC as Mac;
const files: BootFiles = {
  address: "10.99.0.3",
  httpPort: 8080,
  efi: "snponly.efi",
  bios: "undionly.kpxe",
  arm64Efi: null,
};
const install = { kind: "install" } as const;

function p(buf: Buffer): DhcpPacket {
  const r = parsePacket(buf);
  if (!r.ok) assert.fail(r.reason);
  return r.packet;
}

test("classify the captured clients", () => {
  assert.deepEqual(classifyClient(p(EDK2_DISCOVER())), { kind: "pxe", arch: 7 });
  assert.deepEqual(classifyClient(p(IPXE_EFI_DISCOVER())), { kind: "ipxe", arch: 7 });
  assert.deepEqual(classifyClient(p(SEABIOS_IPXE_DISCOVER())), { kind: "ipxe", arch: 0 });
  assert.deepEqual(classifyClient(p(httpBootDiscover())), { kind: "http", arch: 16 });
  // The initrd's own DHCP client (vendor class pxe-lab-initrd) is no boot client.
  assert.equal(classifyClient(p(frame("bios-seabios-ipxe-rom.pcap", 6))).kind, "none");
});

test("boot file table", () => {
  const c = (kind: "pxe" | "http" | "ipxe", arch: number | null, port: "dhcp" | "proxy" = "dhcp") =>
    chooseBoot({ kind, arch }, install, mac, files, port);
  assert.deepEqual(c("ipxe", 7), {
    answer: true,
    vendorClass: "PXEClient",
    file: "http://10.99.0.3:8080/boot/52-54-00-12-34-56.ipxe",
    skipDiscovery: false,
  });
  assert.deepEqual(c("pxe", 0), {
    answer: true,
    vendorClass: "PXEClient",
    file: "undionly.kpxe",
    skipDiscovery: true,
  });
  assert.deepEqual(c("pxe", null), c("pxe", 0));
  for (const arch of [6, 7, 9]) {
    assert.equal((c("pxe", arch) as { file: unknown }).file, null, "EDK2 offer has no file");
    assert.equal((c("pxe", arch, "proxy") as { file: unknown }).file, "snponly.efi");
  }
  assert.deepEqual(c("http", 16), {
    answer: true,
    vendorClass: "HTTPClient",
    file: "http://10.99.0.3:8080/boot/snponly.efi",
    skipDiscovery: false,
  });
  assert.equal(c("pxe", 11).answer, false, "no arm64 binary configured");
  assert.equal(c("http", 19).answer, false);
  assert.equal(
    (
      chooseBoot(
        { kind: "pxe", arch: 11 },
        install,
        mac,
        { ...files, arm64Efi: "arm64.efi" },
        "proxy",
      ) as { file: unknown }
    ).file,
    "arm64.efi",
  );
  assert.equal(
    chooseBoot({ kind: "ipxe", arch: 7 }, { kind: "none" }, mac, files, "dhcp").answer,
    false,
  );
  assert.equal(
    chooseBoot({ kind: "ipxe", arch: 7 }, { kind: "local" }, mac, files, "dhcp").answer,
    true,
  );
  assert.equal(chooseBoot({ kind: "none", arch: null }, install, mac, files, "dhcp").answer, false);
  assert.equal(
    chooseBoot({ kind: "ipxe", arch: 7 }, install, mac, { ...files, httpPort: 80 }, "dhcp")
      .answer && "ok",
    "ok",
  );
});

function answer(buf: Buffer, port: "dhcp" | "proxy", from = { address: "0.0.0.0", port: 68 }) {
  const req = p(buf);
  const choice = chooseBoot(classifyClient(req), install, mac, files, port);
  assert.ok(choice.answer);
  const dest = replyDestination(req, port, from);
  const reply = p(buildReply(req, o.messageType(req)!, choice, files.address, dest));
  return { req, reply, dest };
}

test("EDK2 offer on 67: like the reference proxy's, broadcast, no file, UUID echoed", () => {
  const { req, reply, dest } = answer(EDK2_DISCOVER(), "dhcp");
  assert.deepEqual(dest, { address: "255.255.255.255", port: 68, broadcast: true });
  const ref = p(frame("uefi-ovmf-pxe-then-ipxe.pcap", 2));
  for (const k of ["op", "xid", "flags", "ciaddr", "yiaddr", "siaddr", "giaddr", "file"] as const)
    assert.equal(reply[k], ref[k], k);
  assert.deepEqual(reply.chaddr, req.chaddr);
  assert.equal(o.messageType(reply), o.MSG.OFFER);
  assert.equal(o.serverId(reply), "10.99.0.3");
  assert.equal(o.vendorClass(reply), "PXEClient");
  assert.deepEqual(o.clientUuid(reply), o.clientUuid(req));
  assert.equal(o.bootfileName(reply), null);
});

test("EDK2 port-4011 ACK: unicast back to ciaddr:4011 with the file, like the reference", () => {
  const { reply, dest } = answer(EDK2_PROXY_REQUEST(), "proxy", {
    address: "10.99.0.158",
    port: 4011,
  });
  assert.deepEqual(dest, { address: "10.99.0.158", port: 4011, broadcast: false });
  const ref = p(frame("uefi-ovmf-pxe-then-ipxe.pcap", 7));
  for (const k of ["op", "xid", "flags", "ciaddr", "siaddr", "file"] as const)
    assert.equal(reply[k], ref[k], k);
  assert.equal(o.messageType(reply), o.MSG.ACK);
  assert.equal(o.bootfileName(reply), "snponly.efi");
});

test("iPXE and BIOS PXE and HTTP boot replies", () => {
  const ipxe = answer(SEABIOS_IPXE_DISCOVER(), "dhcp");
  assert.equal(ipxe.reply.siaddr, "10.99.0.3");
  assert.equal(ipxe.reply.file, "http://10.99.0.3:8080/boot/52-54-00-12-34-56.ipxe");
  assert.equal(ipxe.reply.flags, 0x8000, "broadcast reply says so");
  assert.equal(o.pxeVendorOptions(ipxe.reply), null);
  const http = answer(httpBootDiscover(), "dhcp");
  assert.equal(o.vendorClass(http.reply), "HTTPClient");
  assert.equal(http.reply.file, "http://10.99.0.3:8080/boot/snponly.efi");
  assert.equal(o.bootfileName(http.reply), http.reply.file);
  // A plain BIOS PXE ROM: the EDK2 packet with arch 0 and no option 93.
  const req = p(EDK2_DISCOVER());
  const bios = new Map(req.options);
  bios.delete(93);
  bios.set(60, Buffer.from("PXEClient:Arch:00000:UNDI:002001"));
  const biosReq = { ...req, options: bios };
  const choice = chooseBoot(classifyClient(biosReq), install, mac, files, "dhcp");
  assert.ok(choice.answer);
  const reply = p(
    buildReply(
      biosReq,
      o.MSG.DISCOVER,
      choice,
      files.address,
      replyDestination(biosReq, "dhcp", { address: "0.0.0.0", port: 68 }),
    ),
  );
  assert.equal(reply.file, "undionly.kpxe");
  assert.equal(o.pxeVendorOptions(reply)?.discoveryControl, 8);
});

test("reply destinations", () => {
  const req = p(EDK2_DISCOVER());
  const from = { address: "10.0.0.1", port: 67 };
  assert.deepEqual(replyDestination({ ...req, giaddr: "10.0.0.1" }, "dhcp", from), {
    address: "10.0.0.1",
    port: 67,
    broadcast: false,
  });
  assert.deepEqual(replyDestination({ ...req, flags: 0, ciaddr: "10.1.1.1" }, "dhcp", from), {
    address: "10.1.1.1",
    port: 68,
    broadcast: false,
  });
  assert.equal(replyDestination({ ...req, flags: 0 }, "dhcp", from).broadcast, true);
});
