/** Discovery's store: bounded, least recently seen dropped first, events on new clients only, rate-limited. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createMetrics, type Metrics } from "../../src/core/metrics.js";
import type { Mac } from "../../src/core/mac.js";
import type { DiscoveryEvent, Sighting } from "../../src/registry/doors.js";
import {
  DISCOVERED_KEPT,
  DISCOVERY_EVENTS_PER_SECOND,
  Sightings,
  VENDOR_CLASS_KEPT,
} from "../../src/registry/sightings.js";
import { MINIMAL_REGISTRATION, testRegistry } from "../support/registry.js";

const T0 = Date.parse("2026-12-01T10:00:00.000Z");

function macOf(n: number): Mac {
  const hex = n.toString(16).padStart(12, "0");
  return hex.match(/../g)!.join(":") as Mac;
}

function seen(mac: Mac, over: Partial<Sighting> = {}): Sighting {
  return { mac, kind: "pxe", arch: 7, vendorClass: "PXEClient:Arch:00007:UNDI:003016", ...over };
}

/** A store on a hand-moved clock, with its events and metrics. */
function store(opts: { kept?: number; eventsPerSecond?: number } = {}) {
  let now = T0;
  const metrics = createMetrics();
  const s = new Sightings({ metrics, clock: () => now, ...opts });
  const events: DiscoveryEvent[] = [];
  s.subscribe((e) => events.push(e));
  return {
    s,
    events,
    metrics,
    advance: (ms: number) => (now += ms),
  };
}

async function counter(metrics: Metrics, name: "discovered" | "discoveredForgotten") {
  const out: Record<string, number> = {};
  for (const v of (await metrics[name].get()).values)
    out[String(Object.values(v.labels)[0])] = v.value;
  return out;
}

test("a client seen again is counted and moves to the front; the one seen longest ago makes room", async () => {
  const { s, events, advance, metrics } = store({ kept: 3 });
  const [a, b, c, d] = [1, 2, 3, 4].map(macOf) as [Mac, Mac, Mac, Mac];
  for (const mac of [a, b, c]) {
    s.sighted(seen(mac));
    advance(1000);
  }
  s.sighted(seen(a, { kind: "ipxe", arch: 7, vendorClass: null }));
  advance(1000);
  s.sighted(seen(d));

  assert.equal(s.size, 3);
  const list = s.discovered();
  assert.deepEqual(
    list.map((x) => x.mac),
    [d, a, c],
    "newest first; b, seen longest ago, dropped",
  );
  assert.deepEqual(list[1], {
    mac: a,
    kind: "ipxe",
    arch: 7,
    vendorClass: null,
    firstSeen: new Date(T0).toISOString(),
    lastSeen: new Date(T0 + 3000).toISOString(),
    count: 2,
  });
  // One event per new client; a client seen again is not news.
  assert.deepEqual(
    events.map((e) => e.mac),
    [a, b, c, d],
  );
  assert.deepEqual(await counter(metrics, "discoveredForgotten"), { full: 1 });

  // b comes back after it was dropped: new again, announced again.
  advance(1000);
  s.sighted(seen(b));
  assert.equal(events.at(-1)?.mac, b);
  assert.deepEqual(
    s.discovered().map((x) => x.mac),
    [b, d, a],
  );
  assert.deepEqual(events.at(-1), {
    at: new Date(T0 + 5000).toISOString(),
    type: "discovered",
    mac: b,
    kind: "pxe",
    arch: 7,
    vendorClass: "PXEClient:Arch:00007:UNDI:003016",
  });
});

test("forget drops a client; a vendor class is kept to its first 255 characters", async () => {
  const { s, metrics } = store();
  s.sighted(seen(macOf(1), { vendorClass: "x".repeat(5000) }));
  s.sighted(seen(macOf(2)));
  assert.equal(s.discovered()[1]?.vendorClass, "x".repeat(VENDOR_CLASS_KEPT));
  s.forget(macOf(1));
  s.forget(macOf(9)); // never seen: nothing to count
  assert.deepEqual(
    s.discovered().map((x) => x.mac),
    [macOf(2)],
  );
  assert.deepEqual(await counter(metrics, "discoveredForgotten"), { registered: 1 });
  assert.equal((await metrics.discoveredClients.get()).values[0]?.value, 1);
});

test("events are rate-limited: a burst of new clients announces a few a second, counts the rest", async () => {
  const rate = DISCOVERY_EVENTS_PER_SECOND;
  const { s, events, advance, metrics } = store();
  for (let i = 0; i < 100; i++) s.sighted(seen(macOf(i)));
  assert.equal(events.length, rate, "the bucket's burst, no more");
  advance(1000);
  for (let i = 100; i < 200; i++) s.sighted(seen(macOf(i)));
  assert.equal(events.length, 2 * rate, "a second later, another second's worth");
  // A quiet time does not save up more than one burst.
  advance(60_000);
  for (let i = 200; i < 300; i++) s.sighted(seen(macOf(i)));
  assert.equal(events.length, 3 * rate);
  assert.deepEqual(await counter(metrics, "discovered"), {
    sent: 3 * rate,
    rate_limited: 300 - 3 * rate,
  });
  // Every client is remembered, announced or not.
  assert.equal(s.size, 300);
});

test("a subscriber that throws does not stop the others", () => {
  const { s, events } = store();
  s.subscribe(() => {
    throw new Error("closed stream");
  });
  const after: DiscoveryEvent[] = [];
  s.subscribe((e) => after.push(e));
  s.sighted(seen(macOf(1)));
  assert.equal(events.length, 1);
  assert.equal(after.length, 1);
});

test("10,000 random MACs: the store stays at its bound and sends at most the rate-limited events", async () => {
  // The real clock: the flood takes what it takes, and the limit holds over that time.
  const metrics = createMetrics();
  const s = new Sightings({ metrics });
  const events: DiscoveryEvent[] = [];
  s.subscribe((e) => events.push(e));
  const started = Date.now();
  for (let i = 0; i < 10_000; i++) {
    const mac = macOf(Math.floor(Math.random() * 2 ** 48));
    s.sighted(seen(mac, { vendorClass: `PXEClient:${"A".repeat(i % 300)}` }));
    assert.ok(s.size <= DISCOVERED_KEPT);
  }
  const seconds = (Date.now() - started) / 1000;
  assert.equal(s.size, DISCOVERED_KEPT);
  assert.equal(s.discovered().length, DISCOVERED_KEPT);
  assert.ok(
    events.length <= DISCOVERY_EVENTS_PER_SECOND * (1 + Math.ceil(seconds)),
    `${events.length} events in ${seconds} s`,
  );
  const c = await counter(metrics, "discovered");
  assert.equal((c.sent ?? 0) + (c.rate_limited ?? 0), 10_000);
  assert.equal(c.sent, events.length);
});

test("property: the store is the last `kept` distinct clients in last-seen order, with their counts", () => {
  const op = fc.oneof(
    fc.record({ t: fc.constant("see" as const), n: fc.integer({ min: 0, max: 12 }) }),
    fc.record({ t: fc.constant("forget" as const), n: fc.integer({ min: 0, max: 12 }) }),
    fc.record({ t: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 3000 }) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 80 }), (kept, ops) => {
      const { s, events, advance } = store({ kept, eventsPerSecond: 2 });
      // The model: MACs oldest first, with their counts; tokens as a plain number.
      let model: { mac: Mac; count: number }[] = [];
      // The bucket as the store keeps it, refilled when a new client asks for a token.
      let tokens = 2;
      let clock = 0;
      let refilledAt = 0;
      let announced = 0;
      for (const o of ops) {
        if (o.t === "wait") {
          advance(o.ms);
          clock += o.ms;
          continue;
        }
        const mac = macOf(o.n);
        const i = model.findIndex((x) => x.mac === mac);
        if (o.t === "forget") {
          s.forget(mac);
          if (i >= 0) model.splice(i, 1);
          continue;
        }
        s.sighted(seen(mac));
        if (i >= 0) {
          const [x] = model.splice(i, 1);
          model.push({ mac, count: x!.count + 1 });
        } else {
          model.push({ mac, count: 1 });
          tokens = Math.min(2, tokens + ((clock - refilledAt) * 2) / 1000);
          refilledAt = clock;
          if (tokens >= 1) {
            tokens -= 1;
            announced++;
          }
          if (model.length > kept) model = model.slice(1);
        }
      }
      const got = s.discovered();
      assert.deepEqual(
        got.map((x) => [x.mac, x.count]),
        model.reverse().map((x) => [x.mac, x.count]),
      );
      assert.equal(events.length, announced, "one event per new client while tokens last");
    }),
  );
});

test("the registry remembers only unregistered MACs; registering one takes it off the list", async (t) => {
  const { registry, cleanup } = await testRegistry();
  t.after(cleanup);
  const [a, b] = [macOf(0x5254000d0001), macOf(0x5254000d0002)];
  const streamed: DiscoveryEvent[] = [];
  registry.subscribeDiscovered((e) => streamed.push(e));
  registry.sighted(seen(a));
  registry.sighted(seen(b));
  assert.deepEqual(
    registry.discovered().map((x) => x.mac),
    [b, a],
  );
  await registry.upsert(a, MINIMAL_REGISTRATION);
  assert.deepEqual(
    registry.discovered().map((x) => x.mac),
    [b],
  );
  // A registered MAC is never remembered, whoever reports it.
  registry.sighted(seen(a));
  assert.deepEqual(
    registry.discovered().map((x) => x.mac),
    [b],
  );
  // Removed, it is a stranger again.
  await registry.remove(a);
  registry.sighted(seen(a));
  assert.deepEqual(
    registry.discovered().map((x) => x.mac),
    [a, b],
  );
  assert.deepEqual(
    streamed.map((e) => e.mac),
    [a, b, a],
  );
});
