/**
 * A hostile LAN against the HTTP boundary: no body, however large, and no exception met
 * while answering one request, ends the process (issue 13, item 1).
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pino } from "pino";
import { controlRequest } from "../../src/control/client.js";
import { createMetrics } from "../../src/core/metrics.js";
import { createRouter } from "../../src/core/router.js";
import { cleanup, startServe, tokenFromScript, type RunningServe } from "../support/appliance.js";
import { curl, metric } from "./peer.js";

const MAC = "52:54:00:13:00:01";
const running: RunningServe[] = [];
after(async () => {
  for (const s of running) await cleanup(s);
});

test("over-limit installer bodies are refused and the appliance keeps serving", async () => {
  const s = await startServe();
  running.push(s);
  const kernel = join(s.dir, "vmlinuz");
  await writeFile(kernel, "kernel");
  await controlRequest(s.socket, "PUT", `/v1/machines/${MAC}`, { kernel, initrd: kernel });
  const token = await tokenFromScript(s.base, MAC);
  const body = async (name: string, bytes: number) => {
    const file = join(s.dir, name);
    await writeFile(file, Buffer.alloc(bytes, 0x61));
    return file;
  };
  const cases = [
    ["events", await body("1mib+1", (1 << 20) + 1)],
    ["complete", join(s.dir, "1mib+1")],
    // A failure log over the 4 MiB limit of /failed, as a real installer once sent.
    ["failed", await body("4mib+1", (4 << 20) + 1)],
  ] as const;
  for (const [route, file] of cases) {
    const a = await curl([
      "-H",
      `authorization: Bearer ${token}`,
      "-H",
      "content-type: application/json",
      "--data-binary",
      `@${file}`,
      `${s.base}/v1/installs/${MAC}/${route}`,
    ]);
    // 413, or the connection cut while curl was still sending: either way refused.
    assert.ok(a.status === 413 || a.status === 0, `${route}: status ${a.status}`);
    await new Promise((r) => setTimeout(r, 100)); // the request log runs after the answer
    assert.equal(s.proc.exitCode, null, `serve ended after ${route}: ${s.stderr()}`);
    const health = await controlRequest(s.socket, "GET", "/v1/health");
    assert.equal(health.status, 200);
  }
  assert.doesNotMatch(s.stderr(), /TypeError/);
  const m = await (await fetch(`${s.base}/metrics`)).text();
  assert.equal(metric(m, 'landscaper_internal_errors_total{service="http"}'), 0);
  // The machine took no harm and still installs.
  const done = await curl([
    "-H",
    `authorization: Bearer ${token}`,
    "-X",
    "POST",
    `${s.base}/v1/installs/${MAC}/complete`,
  ]);
  assert.equal(done.status, 200);
});

test("an exception inside one request is answered 500, logged once, counted, and the next is served", async () => {
  const metrics = createMetrics();
  const logged: string[] = [];
  const log = pino({ level: "error" }, { write: (l: string) => void logged.push(l) });
  let finishes = 0;
  const server = createServer(
    createRouter(
      [
        {
          method: "GET",
          path: /^\/bug$/,
          name: "bug",
          handle: () => {
            throw new TypeError("Cannot read properties of null (reading 'remoteAddress')");
          },
        },
        {
          method: "GET",
          path: /^\/late$/,
          name: "late",
          handle: async (_q, res) => {
            res.writeHead(200, { "content-type": "text/plain" });
            res.write("half");
            await Promise.resolve();
            throw new Error("after the headers");
          },
        },
        { method: "GET", path: /^\/ok$/, name: "ok", handle: (_q, res) => void res.end("ok") },
      ],
      {
        log,
        service: "control",
        metrics,
        onFinish() {
          finishes += 1;
          // A request log that throws: the listener of 'finish' must not end the process.
          if (finishes === 1) throw new TypeError("request log bug");
        },
      },
    ),
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const bug = await curl([`${base}/bug`]);
  assert.equal(bug.status, 500);
  assert.match(bug.body, /"code":"internal"/);
  // Headers already out: the connection is cut, there is no second status line to send.
  assert.equal((await curl([`${base}/late`])).status, 200);
  assert.equal((await curl([`${base}/ok`])).body, "ok");
  await new Promise((r) => setTimeout(r, 50));
  const text = await metrics.registry.metrics();
  // The handler's throw, the late throw, and the request log's throw.
  assert.equal(metric(text, 'landscaper_internal_errors_total{service="control"}'), 3);
  const errors = logged.map((l) => JSON.parse(l) as { msg: string; err?: { stack?: string } });
  assert.equal(errors.length, 3);
  assert.ok(
    errors.every((e) => e.err?.stack?.includes("Error")),
    "each logged with its stack",
  );
});
