/**
 * Status page fan-out: N browsers' worth of `/events` streams on a real `landscaper serve`,
 * M progress callbacks; for each callback, the time until every stream has its event.
 *
 *   npm run build && node dist/scripts/bench/status-fanout.js [streams=200] [callbacks=200]
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { controlRequest } from "../../src/control/client.js";
import { startServe, cleanup, tokenFromScript } from "../../test/support/appliance.js";

const streams = Number(process.argv[2] ?? "200");
const callbacks = Number(process.argv[3] ?? "200");
const MAC = "52:54:00:be:00:01";

const s = await startServe();
try {
  const k = join(s.dir, "k");
  await writeFile(k, "k");
  await controlRequest(s.socket, "PUT", `/v1/machines/${MAC}`, { kernel: k, initrd: k });
  const token = await tokenFromScript(s.base, MAC);

  // seen[i] = how many streams have seen progress i; arrival time of the last one
  const seen = new Array<number>(callbacks).fill(0);
  const done = new Array<number>(callbacks).fill(0);
  const sent = new Array<number>(callbacks).fill(0);
  const controllers: AbortController[] = [];
  let connected = 0;
  await Promise.all(
    Array.from({ length: streams }, async () => {
      const ac = new AbortController();
      controllers.push(ac);
      const res = await fetch(`${s.base}/events`, { signal: ac.signal });
      if (res.status !== 200) throw new Error(`/events answered ${res.status}`);
      connected++;
      const reader = res.body!.getReader();
      let buf = "";
      void (async () => {
        for (;;) {
          const chunk = (await reader.read().catch(() => ({ done: true }))) as {
            value?: Uint8Array;
            done: boolean;
          };
          if (chunk.done || !chunk.value) return;
          buf += Buffer.from(chunk.value).toString("utf8");
          let end: number;
          while ((end = buf.indexOf("\n\n")) >= 0) {
            const ev = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const m = /"phase":"b(\d+)"/.exec(ev);
            if (!m || !ev.startsWith("event: machine")) continue;
            const i = Number(m[1]);
            if (++seen[i]! === streams) done[i] = performance.now();
          }
        }
      })();
    }),
  );
  if (connected !== streams) throw new Error(`only ${connected} streams connected`);

  const t0 = performance.now();
  for (let i = 0; i < callbacks; i++) {
    sent[i] = performance.now();
    const r = await fetch(`${s.base}/v1/installs/${MAC}/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ phase: `b${i}`, progress: i % 100 }),
    });
    await r.arrayBuffer();
  }
  const deadline = Date.now() + 30_000;
  while (done.some((d) => d === 0) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const total = performance.now() - t0;
  const lat = done.map((d, i) => d - sent[i]!).sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(1);
  const missing = done.filter((d) => d === 0).length;
  console.log(
    `streams=${streams} callbacks=${callbacks} total=${total.toFixed(0)} ms ` +
      `deliveries=${streams * callbacks} (${((streams * callbacks) / (total / 1000)).toFixed(0)}/s) ` +
      `callback-to-all-streams p50=${q(0.5)} ms p99=${q(0.99)} ms max=${q(1)} ms` +
      (missing ? ` MISSING=${missing}` : ""),
  );
  for (const ac of controllers) ac.abort();
} finally {
  await cleanup(s);
}
