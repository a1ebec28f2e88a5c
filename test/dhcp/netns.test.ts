/**
 * The proxyDHCP for real: dnsmasq as the site DHCP server, Landscaper's server on ports 67
 * and 4011 in its own namespace, and clients replaying captured firmware packets (MAC
 * rewritten) plus busybox udhcpc, all on a bridge in namespaces this test creates.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Lan, JsonLines } from "../support/netns.js";
import { startSiteDhcp } from "../support/dhcp-peers.js";
import { parsePacket, type DhcpPacket } from "../../src/dhcp/codec/packet.js";
import * as o from "../../src/dhcp/codec/options.js";
import {
  EDK2_DISCOVER,
  EDK2_PROXY_REQUEST,
  IPXE_EFI_DISCOVER,
  SEABIOS_IPXE_DISCOVER,
  frame,
} from "./fixtures.js";
import { httpBootDiscover } from "./http-boot.js";
import { rewrite, ip4 } from "./rewrite.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const node = process.execPath;
const SITE = "10.99.0.2";
const LS = "10.99.0.3";
const CLIENT = "10.99.0.50";
const M = {
  edk2: "02:11:00:00:00:07",
  bios: "02:11:00:00:00:00",
  ipxeEfi: "02:11:00:00:00:17",
  http: "02:11:00:00:00:16",
  relayed: "02:11:00:00:00:aa",
  plain: "02:11:00:00:00:99",
  unknown: "02:11:00:00:00:ee",
};

interface Reply {
  from: string;
  port: number;
  packet: DhcpPacket;
}

test("proxyDHCP in namespaces beside dnsmasq, with captured firmware packets", async (t) => {
  const lan = new Lan(`lst-dhcp-${process.pid}`);
  const tmp = mkdtempSync(join(tmpdir(), "lst-dhcp-"));
  t.after(async () => {
    await lan.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });
  lan.add("site", "02:00:00:00:00:02", `${SITE}/24`);
  lan.add("ls", "02:00:00:00:00:03", `${LS}/24`);
  lan.add("cl", "02:00:00:00:00:50", `${CLIENT}/24`);
  lan.add("plain", M.plain, null);
  // A socket bound to 0.0.0.0 needs a route to send to 255.255.255.255 (firmware uses raw
  // frames and does not); the server side does not, its sender is bound to its address.
  lan.exec("cl", ["ip", "route", "add", "default", "dev", "eth0"]);

  await startSiteDhcp(
    (c) => lan.spawn("site", c),
    tmp,
    "10.99.0.100,10.99.0.200,255.255.255.0,10m",
    ["--log-dhcp"],
  );

  const machines = Object.fromEntries(
    Object.entries(M)
      .filter(([k]) => k !== "unknown")
      .map(([, mac]) => [mac, "install" as const]),
  );
  const ls = lan.spawn("ls", [
    node,
    join(root, "dist/scripts/dhcp/proxy-node.js"),
    JSON.stringify({ address: LS, httpPort: 8080, machines }),
  ]);
  let lsErr = "";
  ls.stderr!.on("data", (d: Buffer) => (lsErr += d.toString()));
  const out = new JsonLines(ls);
  const ready = await out.waitFor(
    (l) => l.ready as { ports: { dhcp: number; proxy: number } } | undefined,
    10_000,
  );
  assert.deepEqual(ready.ports, { dhcp: 67, proxy: 4011 });

  let xid = 0x4c530000;
  const probe = (
    bind: { address: string; port: number },
    sends: Array<{ to: string; port: number; buf: Buffer }>,
    waitMs = 1000,
  ): Reply[] => {
    const raw = lan.exec("cl", [
      node,
      join(root, "dist/scripts/dhcp/udp-probe.js"),
      JSON.stringify({
        bind,
        sends: sends.map((s) => ({ to: s.to, port: s.port, hex: s.buf.toString("hex") })),
        waitMs,
      }),
    ]);
    const { replies } = JSON.parse(raw) as {
      replies: Array<{ from: string; port: number; hex: string }>;
    };
    return replies.map((r) => {
      const p = parsePacket(Buffer.from(r.hex, "hex"));
      assert.ok(p.ok, "every reply parses");
      return { from: r.from, port: r.port, packet: p.packet };
    });
  };
  const broadcast = (buf: Buffer) =>
    probe({ address: "0.0.0.0", port: 68 }, [{ to: "255.255.255.255", port: 67, buf }]);
  const fromLs = (rs: Reply[], x: number) => rs.filter((r) => r.from === LS && r.packet.xid === x);
  const fromSite = (rs: Reply[], x: number) =>
    rs.filter((r) => r.from === SITE && r.packet.xid === x);

  await t.test("EDK2 PXE: file-less offer on 67, site lease, file in the port-4011 ACK", () => {
    const x = ++xid;
    const rs = broadcast(rewrite(EDK2_DISCOVER(), { mac: M.edk2, xid: x }));
    const [offer] = fromLs(rs, x);
    assert.ok(offer, `Landscaper answered (${JSON.stringify(rs.map((r) => r.from))})`);
    assert.equal(offer.port, 67);
    assert.equal(o.messageType(offer.packet), o.MSG.OFFER);
    assert.equal(offer.packet.siaddr, LS);
    assert.equal(offer.packet.yiaddr, "0.0.0.0");
    assert.equal(offer.packet.file, "");
    assert.equal(o.serverId(offer.packet), LS);
    assert.equal(o.vendorClass(offer.packet), "PXEClient");
    assert.equal(offer.packet.chaddr.subarray(0, 6).toString("hex"), M.edk2.replace(/:/g, ""));
    // Option 97 echoed: the capture's UUID, byte for byte.
    assert.equal(o.clientUuid(offer.packet)?.toString("hex"), "002e0a1f8d6c5b7e4d9f80112233445566");
    const [site] = fromSite(rs, x);
    assert.ok(site, "dnsmasq offered an address");
    const lease = site.packet.yiaddr;
    assert.match(lease, /^10\.99\.0\.\d+$/);

    // The REQUEST for the site lease is dnsmasq's business alone.
    const req = rewrite(frame("uefi-ovmf-pxe-then-ipxe.pcap", 4), {
      mac: M.edk2,
      xid: x,
      set: { 50: ip4(lease), 54: ip4(SITE) },
    });
    const acks = broadcast(req);
    assert.equal(fromLs(acks, x).length, 0);
    assert.equal(o.messageType(fromSite(acks, x)[0]!.packet), o.MSG.ACK);

    lan.exec("cl", ["ip", "addr", "add", `${lease}/24`, "dev", "eth0"]);
    const proxyReq = rewrite(EDK2_PROXY_REQUEST(), { mac: M.edk2, xid: x, ciaddr: lease });
    const rs4011 = probe({ address: lease, port: 4011 }, [{ to: LS, port: 4011, buf: proxyReq }]);
    const [ack] = fromLs(rs4011, x);
    assert.ok(ack, "port-4011 ACK");
    assert.equal(ack.port, 4011);
    assert.equal(o.messageType(ack.packet), o.MSG.ACK);
    assert.equal(ack.packet.siaddr, LS);
    assert.equal(ack.packet.file, "snponly.efi");
    assert.equal(o.bootfileName(ack.packet), "snponly.efi");
    assert.equal(ack.packet.ciaddr, lease);
  });

  await t.test("SeaBIOS iPXE ROM and iPXE EFI get their per-MAC script URL", () => {
    for (const [buf, mac] of [
      [SEABIOS_IPXE_DISCOVER(), M.bios],
      [IPXE_EFI_DISCOVER(), M.ipxeEfi],
    ] as const) {
      const x = ++xid;
      const [offer] = fromLs(broadcast(rewrite(buf, { mac, xid: x })), x);
      assert.ok(offer, `answer for ${mac}`);
      assert.equal(offer.packet.siaddr, LS, "iPXE needs siaddr with the file");
      assert.equal(offer.packet.file, `http://${LS}:8080/boot/${mac.replace(/:/g, "-")}.ipxe`);
      assert.equal(o.bootfileName(offer.packet), offer.packet.file);
      assert.equal(offer.packet.flags & 0x8000, 0x8000);
      assert.equal(o.clientUuid(offer.packet)?.length, 17);
    }
  });

  await t.test("UEFI HTTP boot gets HTTPClient and an absolute URL", () => {
    const x = ++xid;
    const [offer] = fromLs(broadcast(rewrite(httpBootDiscover(), { mac: M.http, xid: x })), x);
    assert.ok(offer);
    assert.equal(o.vendorClass(offer.packet), "HTTPClient");
    assert.equal(offer.packet.file, `http://${LS}:8080/boot/snponly.efi`);
    assert.equal(offer.packet.siaddr, LS);
  });

  await t.test("an unregistered MAC gets nothing from Landscaper, an address from the site", () => {
    const x = ++xid;
    const rs = broadcast(rewrite(EDK2_DISCOVER(), { mac: M.unknown, xid: x }));
    assert.equal(fromLs(rs, x).length, 0);
    assert.equal(fromSite(rs, x).length, 1);
  });

  await t.test("a relayed DISCOVER is answered by unicast to giaddr:67", () => {
    const x = ++xid;
    const buf = rewrite(EDK2_DISCOVER(), { mac: M.relayed, xid: x, giaddr: CLIENT, hops: 1 });
    const rs = probe({ address: "0.0.0.0", port: 67 }, [{ to: LS, port: 67, buf }]);
    const [offer] = fromLs(rs, x);
    assert.ok(offer, "relay got the offer");
    assert.equal(offer.port, 67);
    assert.equal(offer.packet.giaddr, CLIENT);
    assert.equal(offer.packet.siaddr, LS);
  });

  await t.test(
    "busybox udhcpc (not PXE) gets its lease from dnsmasq, nothing from Landscaper",
    () => {
      const script = join(tmp, "udhcpc.sh");
      writeFileSync(
        script,
        `#!/bin/sh\n[ "$1" = bound ] && echo "$ip $serverid" > ${tmp}/bound\nexit 0\n`,
      );
      chmodSync(script, 0o755);
      lan.exec(
        "plain",
        ["busybox", "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "5", "-T", "1", "-s", script],
        20_000,
      );
      assert.ok(existsSync(`${tmp}/bound`), "udhcpc bound a lease");
      const [ip, server] = readFileSync(`${tmp}/bound`, "utf8").trim().split(" ");
      assert.match(ip!, /^10\.99\.0\.\d+$/);
      assert.equal(server, SITE);
    },
  );

  ls.kill("SIGTERM");
  const packets = await out.waitFor((l) => l.packets as Record<string, number> | undefined, 10_000);
  const steps = out.lines
    .filter((l) => l.step)
    .map(
      (l) =>
        l.step as {
          mac: string;
          port: number;
          file: string | null;
          clientKind: string;
          arch: number | null;
        },
    );
  assert.deepEqual(
    steps.filter((s) => s.mac === M.edk2).map((s) => [s.port, s.file, s.clientKind, s.arch]),
    [
      [67, null, "pxe", 7],
      [4011, "snponly.efi", "pxe", 7],
    ],
  );
  assert.equal(steps.filter((s) => s.mac === M.plain).length, 0, "no step for the plain client");
  assert.ok((packets["answered/pxe"] ?? 0) >= 3, JSON.stringify(packets));
  assert.equal(packets["answered/ipxe"], 2);
  assert.equal(packets["answered/http"], 1);
  assert.ok((packets["ignored/none"] ?? 0) >= 2, "udhcpc's DISCOVER and REQUEST ignored");
  assert.equal(packets["malformed/unknown"] ?? 0, 0);
  assert.equal(lsErr.includes('"level":50'), false, lsErr);
});
