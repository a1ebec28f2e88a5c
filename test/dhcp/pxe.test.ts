import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePacket, type DhcpPacket } from "../../src/dhcp/codec/packet.js";
import * as o from "../../src/dhcp/codec/options.js";
import { chooseBoot, type BootFiles, type PlanKind } from "../../src/dhcp/server/boot-choice.js";
import { BootUrls } from "../../src/boot/urls.js";
import { classifyClient } from "../../src/dhcp/codec/client.js";
import { buildReply, replyCache, replyDestination } from "../../src/dhcp/server/reply.js";
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
const ADDRESS = "10.99.0.3";
const urls = new BootUrls(ADDRESS, 8080);
const files: BootFiles = { efi: "snponly.efi", bios: "undionly.kpxe", arm64Efi: null };
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

type Kind = "pxe" | "http" | "ipxe" | "none";
type Port = "dhcp" | "proxy";
const SCRIPT = "http://10.99.0.3:8080/boot/52-54-00-12-34-56.ipxe";

/**
 * client kind, arch, arrival port, plan, files -> the answer. One row per decision of
 * DESIGN.md "proxyDHCP decisions"; `false` means silence.
 */
const BOOT_ROWS: ReadonlyArray<
  [Kind, number | null, Port, PlanKind["kind"], Partial<BootFiles>, string | null | false, boolean?]
> = [
  ["ipxe", 7, "dhcp", "install", {}, SCRIPT],
  ["ipxe", 0, "dhcp", "install", {}, SCRIPT],
  ["ipxe", 7, "dhcp", "local", {}, SCRIPT],
  ["ipxe", 7, "dhcp", "none", {}, false],
  ["none", null, "dhcp", "install", {}, false],
  ["pxe", 0, "dhcp", "install", {}, "undionly.kpxe", true],
  ["pxe", null, "dhcp", "install", {}, "undionly.kpxe", true],
  ["pxe", 6, "dhcp", "install", {}, null],
  ["pxe", 7, "dhcp", "install", {}, null],
  ["pxe", 9, "dhcp", "install", {}, null],
  ["pxe", 6, "proxy", "install", {}, "snponly.efi"],
  ["pxe", 7, "proxy", "install", {}, "snponly.efi"],
  ["pxe", 9, "proxy", "install", {}, "snponly.efi"],
  ["pxe", 11, "proxy", "install", {}, false],
  ["pxe", 11, "proxy", "install", { arm64Efi: "arm64.efi" }, "arm64.efi"],
  ["pxe", 11, "dhcp", "install", { arm64Efi: "arm64.efi" }, null],
  ["pxe", 16, "dhcp", "install", {}, false],
  ["http", 16, "dhcp", "install", {}, "http://10.99.0.3:8080/boot/snponly.efi"],
  ["http", 19, "dhcp", "install", {}, false],
  ["http", 19, "dhcp", "install", { arm64Efi: "a.efi" }, "http://10.99.0.3:8080/boot/a.efi"],
  ["http", null, "dhcp", "install", {}, false],
  ["http", 7, "dhcp", "install", {}, false],
];

for (const [kind, arch, port, plan, over, file, skip = false] of BOOT_ROWS) {
  test(`boot file: ${kind} arch ${arch} on ${port}, plan ${plan} ${JSON.stringify(over)} -> ${file}`, () => {
    const choice = chooseBoot(
      { kind, arch },
      { kind: plan },
      mac,
      { ...files, ...over },
      urls,
      port,
    );
    if (file === false) {
      assert.equal(choice.answer, false);
      return;
    }
    assert.deepEqual(choice, {
      answer: true,
      vendorClass: kind === "http" ? "HTTPClient" : "PXEClient",
      file,
      skipDiscovery: skip,
    });
  });
}

test("URLs leave out port 80 and name any other", () => {
  assert.equal(
    new BootUrls(ADDRESS, 80).script(mac),
    "http://10.99.0.3/boot/52-54-00-12-34-56.ipxe",
  );
  assert.equal(urls.bootFile("x.efi"), "http://10.99.0.3:8080/boot/x.efi");
});

function answer(buf: Buffer, port: "dhcp" | "proxy", from = { address: "0.0.0.0", port: 68 }) {
  const req = p(buf);
  const choice = chooseBoot(classifyClient(req), install, mac, files, urls, port);
  assert.ok(choice.answer);
  const dest = replyDestination(req, port, from);
  const reply = p(buildReply(req, o.messageType(req)!, choice, replyCache(ADDRESS), dest));
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
  const choice = chooseBoot(classifyClient(biosReq), install, mac, files, urls, "dhcp");
  assert.ok(choice.answer);
  const reply = p(
    buildReply(
      biosReq,
      o.MSG.DISCOVER,
      choice,
      replyCache(ADDRESS),
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
