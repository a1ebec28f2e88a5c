/**
 * Secrets stay with their machine (issue 13, item 2), on a real LAN: `landscaper serve` in
 * one namespace, the LAN's other host in the other, with the MAC of machine M1. The
 * neighbour table of the server's namespace is what says which MAC a client is.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { controlRequest } from "../../src/control/client.js";
import type { MachineView } from "../../src/registry/machine.js";
import { serveInNetnsPair } from "../support/appliance.js";
import { curl, header, metric } from "./peer.js";

const M1 = "02:5e:00:00:13:01";
const M2 = "02:5e:00:00:13:02";
const PORT = 8093;

test("scripts, the host key and tokens reach only the machine they belong to", async (t) => {
  // No trusted sources at all: even the appliance's own loopback must prove its MAC.
  const { net, dir, serve } = await serveInNetnsPair(t, "hl", {
    httpPort: PORT,
    config: { security: { trustedClients: [] } },
  });
  const { socket, base } = serve;
  net.exec(net.b, ["ip", "link", "set", net.ifB, "address", M1]);
  const kernel = join(dir, "vmlinuz");
  writeFileSync(kernel, "kernel bytes");
  for (const mac of [M1, M2])
    await controlRequest(socket, "PUT", `/v1/machines/${mac}`, { kernel, initrd: kernel });
  const fromB = (args: string[]) => curl(args, net.b);
  const machine = async (mac: string) =>
    (await controlRequest(socket, "GET", `/v1/machines/${mac}`)).body as MachineView;

  // Another machine's script: 403, no token in it, and a warning on that machine.
  const stolen = await fromB([`${base}/boot/${M2}.ipxe`]);
  assert.equal(stolen.status, 403);
  assert.doesNotMatch(stolen.body, /landscaper\.token/);
  const m2 = await machine(M2);
  const warning = m2.events.find((e) => e.type === "warning");
  assert.equal(warning?.reason, "script-refused");
  assert.equal(warning?.client, net.addrB);
  assert.equal(warning?.owner, M1);
  assert.equal(m2.state, "registered");
  // The appliance's own loopback, not trusted here: refused too (no neighbour entry).
  const local = await curl([`http://127.0.0.1:${PORT}/boot/${M2}.ipxe`], net.a);
  assert.equal(local.status, 403);

  // A one-byte Range GET of another machine's initrd moves nothing.
  const range = await fromB(["-r", "0-0", `${base}/nbp/${M2}/initrd`]);
  assert.equal(range.status, 206);
  assert.equal((await machine(M2)).state, "registered");

  // Its own script: served, and only that makes it `booting`.
  const own = await fromB([`${base}/boot/${M1}.ipxe`]);
  assert.equal(own.status, 200);
  const token = /landscaper\.token=(\S+)/.exec(own.body)?.[1] ?? "";
  assert.ok(token, own.body);
  assert.equal((await machine(M1)).state, "booting");
  const auth = ["-H", `authorization: Bearer ${token}`];

  // The host key once per generation: the second fetch is refused and leaves a warning.
  const job = await fromB([...auth, `${base}/v1/installs/${M1}/job`]);
  assert.equal(job.status, 200);
  assert.match(job.body, /BEGIN OPENSSH PRIVATE KEY/);
  assert.equal((await machine(M1)).state, "installing");
  const again = await fromB([...auth, `${base}/v1/installs/${M1}/job.sh`]);
  assert.equal(again.status, 409);
  assert.doesNotMatch(again.body, /PRIVATE KEY/);
  assert.ok((await machine(M1)).events.some((e) => e.reason === "job-fetched-again"));

  // A token means something only while its install runs.
  const post = (route: string) =>
    fromB([...auth, "-X", "POST", `${base}/v1/installs/${M1}/${route}`]);
  assert.equal((await post("complete")).status, 200);
  assert.equal((await machine(M1)).state, "installed");
  assert.equal((await post("complete")).status, 403);
  assert.equal((await post("events")).status, 403);

  // Wrong tokens: a few are told 403, then the source waits (429 with Retry-After), and
  // even a right token from it waits; another source is not held up.
  const statuses: number[] = [];
  let retryAfter: string | null = null;
  for (let i = 0; i < 15; i++) {
    const a = await fromB([
      "-H",
      `authorization: Bearer guess${i}`,
      `${base}/v1/installs/${M2}/job`,
    ]);
    statuses.push(a.status);
    retryAfter ??= header(a, "retry-after");
  }
  assert.deepEqual(statuses.slice(0, 8), Array(8).fill(403), statuses.join(","));
  assert.equal(statuses.at(-1), 429, statuses.join(","));
  assert.ok(Number(retryAfter) >= 1, `Retry-After ${retryAfter}`);
  const fromA = await curl(
    ["-H", "authorization: Bearer guess", `http://127.0.0.1:${PORT}/v1/installs/${M2}/job`],
    net.a,
  );
  assert.equal(fromA.status, 403);
  const metrics = (await fromB([`${base}/metrics`])).body;
  assert.ok(metric(metrics, 'landscaper_installer_refusals_total{reason="limited"}') >= 1);
  assert.ok(metric(metrics, 'landscaper_installer_refusals_total{reason="token"}') >= 8);
  assert.equal(metric(metrics, "landscaper_script_refusals_total"), 2);
});
