/**
 * The real `landscaper serve` with `dhcp.mode: "server"`, in a namespace on a bridge with
 * no other DHCP server: ISC dhclient gets a pool address (a dhcp-lease event on its
 * machine, the metric counts it); a replayed EDK2 PXE DISCOVER/REQUEST gets an address and
 * the proxy's boot answer, then its file on port 4011; then dnsmasq joins the LAN: serve
 * refuses to start, naming it, and starts with --force-dhcp.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Lan } from "../support/netns.js";
import { LineWatcher } from "../support/lines.js";
import {
  dhclientCommand,
  dhclientFiles,
  startSiteDhcp,
  udhcpcCommand,
  writeClientHooks,
} from "../support/dhcp-peers.js";
import { startServe, type RunningServe } from "../support/appliance.js";
import { landscaper } from "../cli/run.js";
import { controlRequest } from "../../src/control/client.js";
import { parsePacket, type DhcpPacket } from "../../src/dhcp/codec/packet.js";
import * as o from "../../src/dhcp/codec/options.js";
import { EDK2_DISCOVER, EDK2_PROXY_REQUEST, frame } from "./fixtures.js";
import { ip4, rewrite } from "./rewrite.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const LS = "10.79.0.2";
const SITE = "10.79.0.1";
const POOL = /^10\.79\.0\.1[0-4]\d$/;
const RELAY = "10.79.0.3";
const M = { dhclient: "02:79:00:00:00:10", edk2: "02:79:00:00:00:11", far: "02:79:00:00:00:12" };
const SERVER = {
  subnet: "10.79.0.0/24",
  range: "10.79.0.100-10.79.0.149",
  router: SITE,
  leaseSeconds: 600,
  pingMs: 200,
  relayed: [{ subnet: "10.80.0.0/24", range: "10.80.0.50-10.80.0.59", router: "10.80.0.1" }],
};

interface MachineEvents {
  events: Array<{
    type: string;
    lease?: string;
    ip?: string;
    until?: string;
    port?: number;
    count?: number;
  }>;
}

test("landscaper serve in DHCP server mode: dhclient, EDK2 PXE, a second server", async (t) => {
  const lan = new Lan(`lst-dhcps-${process.pid}`);
  const dir = await mkdtemp(join(tmpdir(), "lst-dhcps-"));
  let serve: RunningServe | null = null;
  t.after(async () => {
    if (serve && serve.proc.exitCode === null && serve.proc.signalCode === null) await serve.kill();
    await lan.destroy();
    await rm(dir, { recursive: true, force: true });
  });
  lan.add("site", "02:79:00:00:00:01", `${SITE}/24`);
  lan.add("ls", "02:79:00:00:00:02", `${LS}/24`);
  lan.add("dhclient", M.dhclient, null);
  lan.add("gen", M.edk2, null);
  // A socket bound to 0.0.0.0 needs a route to send to 255.255.255.255 (firmware does not).
  lan.exec("gen", ["ip", "route", "add", "default", "dev", "eth0"]);
  // A client behind a relay: the appliance's neighbour table never holds its address.
  lan.add("relay", "02:79:00:00:00:03", `${RELAY}/24`);
  lan.addBehind("relay", "far", M.far, "10.80.0.1/24");
  lan.exec("ls", ["ip", "route", "add", "10.80.0.0/24", "via", RELAY]);

  const start = (extra: string[] = []) =>
    startServe({
      dir,
      address: LS,
      prefix: ["ip", "netns", "exec", lan.ns("ls")],
      dhcp: { port: 67, proxyPort: 4011 },
      config: { dhcp: { mode: "server", server: SERVER } },
      extra,
    });
  serve = await start();
  const s = serve;
  const hooks = writeClientHooks(dir);
  const kernel = join(dir, "vmlinuz");
  await writeFile(kernel, "k");
  for (const mac of Object.values(M))
    await controlRequest(s.socket, "PUT", `/v1/machines/${mac}`, { kernel, initrd: kernel });
  const events = async (mac: string) =>
    ((await controlRequest(s.socket, "GET", `/v1/machines/${mac}`)).body as MachineEvents).events;

  await t.test("ISC dhclient gets a pool address, noted on its machine and counted", async () => {
    const asked = Date.now();
    lan.spawn("dhclient", dhclientCommand(dir, hooks.dhclient));
    const addr = await lan.boundAddress("dhclient", 30_000);
    const ip = /inet (\S+)\/24/.exec(addr)?.[1];
    assert.match(ip ?? addr, POOL, "dhclient bound a pool address");
    const noted = (await events(M.dhclient)).filter((e) => e.type === "dhcp-lease");
    assert.deepEqual(
      noted.map((e) => [e.lease, e.ip]),
      [["ack", ip]],
      "the ACK is an event on the machine",
    );
    // ... with the lease's end, so that a lease left to run out stops showing as leased.
    const until = Date.parse(noted[0]!.until ?? "");
    assert.ok(
      until >= asked + SERVER.leaseSeconds * 1000 &&
        until <= Date.now() + SERVER.leaseSeconds * 1000,
      `until ${noted[0]!.until} is the ACK's time + ${SERVER.leaseSeconds} s`,
    );
    const journal = await readFile(join(s.stateDir, "dhcp-leases.jsonl"), "utf8");
    assert.match(journal, new RegExp(`"ip":"${ip!.replace(/\./g, "\\.")}"`));
    const metrics = lan.exec("ls", ["curl", "-s", `http://127.0.0.1:${s.httpPort}/metrics`]);
    assert.match(metrics, /landscaper_dhcp_packets_total\{outcome="ack",client="none"\} [1-9]/);
    assert.match(metrics, /landscaper_dhcp_packets_total\{outcome="offer",client="none"\} [1-9]/);
    // Its install script: the leased address is the MAC's.
    const script200 = lan.exec("dhclient", [
      "curl",
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `http://${LS}:${s.httpPort}/boot/${M.dhclient.replace(/:/g, "-")}.ipxe`,
    ]);
    assert.equal(script200, "200");

    // The CLI shows the lease beside the (absent) reservation, until dhclient releases it.
    const cli = (...a: string[]) => landscaper(["machines", ...a, "--socket", s.socket]);
    const dotted = ip!.replace(/\./g, "\\.");
    assert.match(
      (await cli("show", M.dhclient)).stdout,
      new RegExp(`^ipv4:       -\nleased:     ${dotted}\n`, "m"),
    );
    assert.match(
      (await cli("list")).stdout,
      new RegExp(`^${M.dhclient}  -         -     ${dotted} +booting `, "m"),
    );
    lan.exec("dhclient", ["dhclient", "-r", ...dhclientFiles(dir, hooks.dhclient), "eth0"], 20_000);
    const leased = async () =>
      (
        (await controlRequest(s.socket, "GET", `/v1/machines/${M.dhclient}`)).body as {
          leasedIpv4: string | null;
        }
      ).leasedIpv4;
    for (let i = 0; i < 50 && (await leased()) !== null; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.match((await cli("show", M.dhclient)).stdout, /^leased: {5}-$/m, "released");
  });

  await t.test("EDK2 PXE: an address plus the boot answer, then its file on 4011", async () => {
    const xid = 0x79000011;
    const exchange = (
      bind: { address: string; port: number },
      to: string,
      port: number,
      buf: Buffer,
    ) => {
      const raw = lan.exec("gen", [
        process.execPath,
        join(root, "dist/scripts/dhcp/udp-probe.js"),
        JSON.stringify({
          bind,
          sends: [{ to, port, hex: buf.toString("hex") }],
          waitMs: 3000,
          stopAfter: 1,
        }),
      ]);
      const { replies } = JSON.parse(raw) as { replies: Array<{ from: string; hex: string }> };
      return replies
        .map((r) => parsePacket(Buffer.from(r.hex, "hex")))
        .flatMap((p): DhcpPacket[] => (p.ok && p.packet.xid === xid ? [p.packet] : []));
    };
    const any = { address: "0.0.0.0", port: 68 };
    const [offer] = exchange(
      any,
      "255.255.255.255",
      67,
      rewrite(EDK2_DISCOVER(), { mac: M.edk2, xid }),
    );
    assert.ok(offer, "an OFFER");
    assert.equal(o.messageType(offer), o.MSG.OFFER);
    assert.match(offer.yiaddr, POOL);
    assert.equal(o.vendorClass(offer), "PXEClient");
    assert.equal(offer.siaddr, LS);
    assert.equal(o.serverId(offer), LS);
    assert.equal(o.bootfileName(offer), null, "EDK2 gets its file on 4011");
    assert.equal(o.clientUuid(offer)?.toString("hex"), "002e0a1f8d6c5b7e4d9f80112233445566");
    const request = rewrite(frame("uefi-ovmf-pxe-then-ipxe.pcap", 4), {
      mac: M.edk2,
      xid,
      set: { 50: ip4(offer.yiaddr), 54: ip4(LS) },
    });
    const [ack] = exchange(any, "255.255.255.255", 67, request);
    assert.ok(ack, "an ACK");
    assert.equal(o.messageType(ack), o.MSG.ACK);
    assert.equal(ack.yiaddr, offer.yiaddr);
    assert.equal(o.vendorClass(ack), "PXEClient");
    assert.equal(ack.options.get(51)?.readUInt32BE(0), 600, "lease time");

    lan.exec("gen", ["ip", "addr", "add", `${ack.yiaddr}/24`, "dev", "eth0"]);
    const proxyReq = rewrite(EDK2_PROXY_REQUEST(), { mac: M.edk2, xid, ciaddr: ack.yiaddr });
    const [file] = exchange({ address: ack.yiaddr, port: 4011 }, LS, 4011, proxyReq);
    assert.ok(file, "a port-4011 ACK");
    assert.equal(file.file, "snponly.efi");
    assert.equal(file.siaddr, LS);
    const seen = await events(M.edk2);
    assert.deepEqual(
      seen.filter((e) => e.type === "dhcp-lease").map((e) => [e.lease, e.ip]),
      [["ack", ack.yiaddr]],
    );
    assert.deepEqual(
      seen.filter((e) => e.type === "dhcp").map((e) => [e.port, e.count ?? 1]),
      [
        [67, 2],
        [4011, 1],
      ],
      "boot steps: OFFER and ACK (one entry, counted twice), the 4011 ACK",
    );
  });

  await t.test(
    "a client behind a relay gets its install script: its lease proves its address",
    async () => {
      lan.spawn("relay", ["dhcrelay", "-4", "-d", "-id", "eth1", "-iu", "eth0", LS]);
      lan.spawn("far", udhcpcCommand(hooks.udhcpc));
      const addr = await lan.boundAddress("far", 30_000);
      assert.match(addr, /inet 10\.80\.0\.5\d\/24/, "the relayed client got the relay's subnet");
      const url = (mac: string) => `http://${LS}:${s.httpPort}/boot/${mac.replace(/:/g, "-")}.ipxe`;
      const status = (mac: string) =>
        lan.exec("far", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url(mac)]);
      assert.equal(status(M.far), "200", "its own script");
      assert.equal(status(M.edk2), "403", "not another machine's");
    },
  );

  await t.test(
    "UDP 68 held without sharing: serve refuses naming the holder; --force-dhcp starts",
    async () => {
      assert.equal(await s.stop(), 0, s.stderr());
      // A socket without SO_REUSEADDR, as some DHCP clients hold it: the probe cannot bind.
      const holder = lan.spawn("ls", [
        process.execPath,
        "-e",
        "require('dgram').createSocket('udp4').bind(68, () => console.log('held'))",
      ]);
      try {
        await new LineWatcher(holder.stdout!).waitFor((l) => l === "held", 10_000, "68 held");
        await assert.rejects(
          start(),
          new RegExp(
            `serve exited 1: .*cannot look for another DHCP server before serving: UDP 68 is held by pid ${holder.pid} \\(.*node -e .*\\) on 0\\.0\\.0\\.0; free UDP port 68`,
            "s",
          ),
        );
        const forced = (serve = await start(["--force-dhcp"]));
        assert.match(forced.stderr(), /could not look for another DHCP server; starting anyway/);
        assert.equal(await forced.stop(), 0, forced.stderr());
      } finally {
        holder.kill();
      }
    },
  );

  await t.test(
    "a second DHCP server: serve refuses to start naming it; --force-dhcp starts",
    async () => {
      await startSiteDhcp(
        (c) => lan.spawn("site", c),
        dir,
        "10.79.0.200,10.79.0.250,255.255.255.0,10m",
      );
      await assert.rejects(
        start(),
        /serve exited 1: .*another DHCP server answers on this network: 10\.79\.0\.1 \(from 10\.79\.0\.1, offered 10\.79\.0\.2\d\d\)/s,
      );
      serve = await start(["--force-dhcp"]);
      assert.match(serve.stderr(), /starting anyway/);
      assert.equal(await serve.stop(), 0, serve.stderr());
    },
  );
});
