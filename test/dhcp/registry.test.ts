/** The proxyDHCP with the real registry as its oracle: answers follow the machine's state. */
import { test } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { once } from "node:events";
import { pino } from "pino";
import { startDhcpServer } from "../../src/dhcp/server/server.js";
import { BootUrls } from "../../src/boot/urls.js";
import { parseMac, type Mac } from "../../src/core/mac.js";
import { MINIMAL_REGISTRATION, testRegistry, tokenOf } from "../support/registry.js";
import { parsePacket } from "../../src/dhcp/codec/packet.js";
import { EDK2_PROXY_REQUEST, loopbackDhcpConfig } from "./fixtures.js";
import { rewrite } from "./rewrite.js";

const mac = parseMac("02:33:00:00:00:01") as Mac;

for (const afterInstall of ["local-boot", "ignore"] as const) {
  test(`registered -> answered with an event; installed with afterInstall ${afterInstall}`, async (t) => {
    const { registry, metrics, cleanup } = await testRegistry({ afterInstall });
    const log = pino({ level: "silent" });
    const config = loopbackDhcpConfig();
    const urls = new BootUrls(config.address, 8080);
    const svc = await startDhcpServer({ config, oracle: registry, urls, log, metrics });
    const client = dgram.createSocket("udp4");
    client.bind(0, "127.0.0.1");
    await once(client, "listening");
    t.after(async () => {
      client.close();
      await svc.close();
      await cleanup();
    });
    let xid = 1;
    const ask = async (): Promise<Buffer | null> => {
      const got = new Promise<Buffer | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), 400);
        client.once("message", (m) => {
          clearTimeout(timer);
          resolve(m);
        });
      });
      client.send(
        rewrite(EDK2_PROXY_REQUEST(), { mac, xid: xid++, ciaddr: "127.0.0.1" }),
        svc.ports.proxy,
        "127.0.0.1",
      );
      return got;
    };

    assert.equal(await ask(), null, "unregistered: silent");
    await registry.upsert(mac, MINIMAL_REGISTRATION);
    const r = parsePacket((await ask())!);
    assert.ok(r.ok);
    assert.equal(r.packet.file, "snponly.efi");
    const ev = registry.get(mac)!.events.find((e) => e.type === "dhcp");
    assert.ok(ev, "the answer is an event on the machine");
    assert.deepEqual(
      { clientKind: ev.clientKind, arch: ev.arch, file: ev.file, port: ev.port },
      { clientKind: "pxe", arch: 7, file: "snponly.efi", port: svc.ports.proxy },
    );

    await registry.session(mac, tokenOf(registry, mac)).complete(null);
    const after = await ask();
    if (afterInstall === "ignore") assert.equal(after, null);
    else
      assert.ok(
        after && parsePacket(after).ok,
        "local-boot: still answered (the script says exit)",
      );
  });
}
