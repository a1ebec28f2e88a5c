import { test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { defaultConfig } from "../../src/config/config.js";
import { parseMac, type Mac } from "../../src/core/mac.js";
import { BootUrls } from "../../src/boot/urls.js";
import { startHttpServer } from "../../src/http/server.js";
import { statusPageRoutes } from "../../src/http/status-page.js";
import type { DiscoveryFeed, MachineFeed } from "../../src/registry/doors.js";
import { testRegistry } from "../support/registry.js";

test("/events: bounded streams, heartbeats, one shared subscription released on disconnect", async (t) => {
  const { registry, metrics, cleanup } = await testRegistry();
  const log = pino({ level: "silent" });
  let subscribers = 0;
  const feed: MachineFeed = {
    list: () => registry.list(),
    get: (mac) => registry.get(mac),
    subscribe: (fn) => {
      subscribers++;
      const off = registry.subscribe(fn);
      return () => {
        subscribers--;
        off();
      };
    },
  };
  let seenSubscribers = 0;
  const discovery: DiscoveryFeed = {
    discovered: () => registry.discovered(),
    subscribeDiscovered: (fn) => {
      seenSubscribers++;
      const off = registry.subscribeDiscovered(fn);
      return () => {
        seenSubscribers--;
        off();
      };
    },
  };
  const config = defaultConfig();
  config.address = "127.0.0.1";
  config.http = { listen: "127.0.0.1", port: 0 };
  const http = await startHttpServer(
    { config, log, metrics },
    { boot: registry, installer: registry },
    statusPageRoutes(feed, { maxStreams: 2, heartbeatMs: 100, metrics, discovery }),
  );
  t.after(async () => {
    await http.close();
    await cleanup();
  });
  const url = `${new BootUrls(config.address, http.port).base}/events`;
  const open = async () => {
    const ac = new AbortController();
    const res = await fetch(url, { signal: ac.signal });
    return { ac, res };
  };
  const a = await open();
  const b = await open();
  assert.equal(a.res.status, 200);
  assert.equal(a.res.headers.get("content-type"), "text/event-stream; charset=utf-8");
  assert.equal(b.res.status, 200);
  const c = await open();
  assert.equal(c.res.status, 503, "a third stream is refused");
  assert.equal(c.res.headers.get("retry-after"), "10");
  await c.res.text();
  assert.equal(subscribers, 1, "one registry subscription shared by every stream");
  assert.equal(seenSubscribers, 1, "and one to discovery");

  // The first stream: snapshot, then a machine event, then heartbeats.
  const reader = a.res.body!.getReader();
  let text = "";
  const readUntil = async (re: RegExp) => {
    for (let i = 0; i < 100 && !re.test(text); i++) {
      const chunk = (await reader.read()) as { value?: Uint8Array; done: boolean };
      if (chunk.done || !chunk.value) break;
      text += Buffer.from(chunk.value).toString("utf8");
    }
    assert.match(text, re);
  };
  await readUntil(
    /event: snapshot\ndata: \{"machines":\[\],"discovered":\[\],"discoveredTotal":0\}\n\n/,
  );
  // An unregistered client seen: a row with the command that registers it.
  registry.sighted({
    mac: parseMac("52:54:00:0d:00:09") as Mac,
    kind: "http",
    arch: 16,
    vendorClass: "HTTPClient:Arch:00016:UNDI:003001",
  });
  await readUntil(
    /event: discovered\ndata: \{"mac":"52:54:00:0d:00:09","kind":"http","arch":16,"vendorClass":"HTTPClient:Arch:00016:UNDI:003001","firstSeen":"[^"]+","lastSeen":"[^"]+","count":1,"register":"landscaper machines add 52:54:00:0d:00:09 --kernel KERNEL --initrd INITRD"\}\n\n/,
  );
  const mac = parseMac("52:54:00:0d:00:01") as Mac;
  await registry.upsert(mac, {
    kernel: "/k",
    initrd: "/i",
    cmdline: "",
    hostname: "h1",
    job: null,
    installationHostKey: null,
    bmc: null,
    ipv4: null,
  });
  await readUntil(
    /event: machine\ndata: \{"mac":"52:54:00:0d:00:01","machine":\{[^\n]*"hostname":"h1"/,
  );
  await readUntil(/\n: ping\n\n/);
  await registry.remove(mac);
  await readUntil(/event: machine\ndata: \{"mac":"52:54:00:0d:00:01","machine":null\}\n\n/);

  // Disconnecting releases the subscriber and the slot.
  a.ac.abort();
  b.ac.abort();
  for (let i = 0; i < 100 && subscribers > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(subscribers, 0);
  assert.equal(seenSubscribers, 0);
  const d = await open();
  assert.equal(d.res.status, 200);
  d.ac.abort();
});
