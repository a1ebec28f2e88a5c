import { test, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { controlRequest } from "../../src/control/client.js";
import { startServe, cleanup, type RunningServe } from "../support/appliance.js";

const ROUNDS = 30;
/** Concurrent registrations (sharing fsyncs: group commit) and concurrent script fetchers. */
const REGISTRARS = 16;
const BOOTERS = 4;
const running: RunningServe[] = [];
after(async () => {
  for (const s of running) await cleanup(s);
});

const macOf = (n: number) =>
  `52:54:00:dd:${((n >> 8) & 0xff).toString(16).padStart(2, "0")}:${(n & 0xff).toString(16).padStart(2, "0")}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Registrations and boot steps (script GETs, each an event in the journal and, the first
 * time, a record change) until `stop` is set; every registration the appliance answers
 * is recorded as acknowledged.
 */
function storm(
  s: RunningServe,
  files: object,
  acked: string[],
  next: { n: number; steps: number },
) {
  let stop = false;
  const register = async () => {
    while (!stop) {
      const mac = macOf(next.n++);
      try {
        await controlRequest(s.socket, "PUT", `/v1/machines/${mac}`, files);
        acked.push(mac);
      } catch {
        return; // the appliance is gone
      }
    }
  };
  const boot = async () => {
    while (!stop) {
      const mac = acked[Math.floor(Math.random() * acked.length)];
      if (!mac) {
        await sleep(5);
        continue;
      }
      try {
        await (await fetch(`${s.base}/boot/${mac}.ipxe`)).text();
        next.steps++;
      } catch {
        return;
      }
    }
  };
  const workers = [
    ...Array.from({ length: REGISTRARS }, register),
    ...Array.from({ length: BOOTERS }, boot),
  ];
  return {
    end: async () => {
      stop = true;
      await Promise.all(workers);
    },
  };
}

test(
  `${ROUNDS} SIGKILLs at random moments of a registration and boot storm lose no acknowledged registration`,
  { timeout: 110_000 },
  async () => {
    let s = await startServe();
    running.push(s);
    const files = { kernel: join(s.dir, "vmlinuz"), initrd: join(s.dir, "initrd.img") };
    await writeFile(files.kernel, "k");
    await writeFile(files.initrd, "i");
    const acked: string[] = [];
    const next = { n: 0, steps: 0 };
    const started = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      const load = storm(s, files, acked, next);
      const at = 50 + Math.floor(Math.random() * 400);
      await sleep(at);
      // Every third round stops cleanly first and is killed a moment later, so some kills
      // land inside the compaction that a clean stop runs.
      const how = round % 3 === 2 ? "SIGTERM then SIGKILL" : "SIGKILL";
      if (how !== "SIGKILL") {
        s.proc.kill("SIGTERM");
        await sleep(Math.floor(Math.random() * 30));
      }
      await s.kill();
      await load.end();
      // Start-up must never be refused (startServe throws if serve exits).
      s = await startServe({ dir: s.dir, httpPort: s.httpPort });
      running.push(s);
      const list = (await controlRequest(s.socket, "GET", "/v1/machines")).body as {
        machines: { mac: string }[];
      };
      const have = new Set(list.machines.map((m) => m.mac));
      const lost = acked.filter((m) => !have.has(m));
      assert.deepEqual(
        lost,
        [],
        `round ${round + 1} (${how} after ${at} ms): acknowledged but lost`,
      );
    }
    assert.ok(acked.length > ROUNDS * 10, `a storm: ${acked.length} registrations acknowledged`);
    console.log(
      `${ROUNDS} rounds, ${acked.length} acknowledged registrations, ${next.steps} boot steps, ` +
        `${Date.now() - started} ms`,
    );
  },
);
