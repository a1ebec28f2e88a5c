import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { request, type IncomingMessage } from "node:http";
import { promisify } from "node:util";
import { writeFile, stat, readFile, mkdir } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { controlRequest, type ControlError } from "../../src/control/client.js";
import {
  startServe,
  cleanup,
  tokenFromScript,
  CLI,
  type RunningServe,
} from "../support/appliance.js";

const run = promisify(execFile);
const MAC = "52:54:00:aa:00:01";
const running: RunningServe[] = [];
after(async () => {
  for (const s of running) await cleanup(s);
});

async function serveWithFiles(extra: string[] = []) {
  const s = await startServe({ extra });
  running.push(s);
  const kernel = join(s.dir, "vmlinuz");
  const initrd = join(s.dir, "initrd.img");
  // Random content so a byte-for-byte check means something; 3 MiB crosses the 1 MiB chunks.
  await writeFile(kernel, randomBytes(3 << 20));
  await writeFile(initrd, Buffer.alloc(1234, 7));
  return { s, kernel, initrd };
}

const put = (s: RunningServe, mac: string, body: unknown) =>
  controlRequest(s.socket, "PUT", `/v1/machines/${mac}`, body);

test("register, boot, install: the whole installer conversation over real HTTP", async () => {
  const { s, kernel, initrd } = await serveWithFiles();
  const job = { steps: [{ phase: "disko", run: "true", progress: 30 }], after: "none" };
  const r1 = await put(s, "52-54-00-AA-00-01", {
    kernel,
    initrd,
    cmdline: "console=ttyS0",
    hostname: "web-1",
    job,
  });
  assert.equal(r1.status, 201);
  const m1 = r1.body as {
    mac: string;
    generation: number;
    state: string;
    bootUrl: string;
    installationHostPublicKey: string;
  };
  assert.equal(m1.mac, MAC);
  assert.equal(m1.state, "registered");
  assert.equal(m1.bootUrl, `${s.base}/boot/52-54-00-aa-00-01.ipxe`);
  assert.match(m1.installationHostPublicKey, /^ssh-ed25519 AAAA/);
  assert.ok(!JSON.stringify(r1.body).includes("token"), "the control view never carries the token");

  // Idempotent: the same body again is the same generation and the same token.
  const token = await tokenFromScript(s.base, MAC);
  const r2 = await put(s, MAC, {
    kernel,
    initrd,
    cmdline: "console=ttyS0",
    hostname: "web-1",
    job,
  });
  assert.equal(r2.status, 200);
  assert.equal((r2.body as { generation: number }).generation, 1);
  assert.equal(await tokenFromScript(s.base, MAC), token);

  const script = await (await fetch(`${s.base}/boot/${MAC}.ipxe`)).text();
  assert.match(
    script,
    new RegExp(
      `initrd=initrd console=ttyS0 landscaper.url=${s.base} landscaper.token=${token} landscaper.mac=${MAC}`,
    ),
  );

  // curl: whole file, HEAD, one range, a range past the end.
  const url = `${s.base}/nbp/${MAC}/kernel`;
  const out = join(s.dir, "got");
  await run("curl", ["-sf", "-o", out, url]);
  assert.deepEqual(await readFile(out), await readFile(kernel));
  const head = await run("curl", ["-sI", url]);
  assert.match(head.stdout, new RegExp(`content-length: ${(await stat(kernel)).size}`, "i"));
  const part = await run("curl", ["-s", "-r", "10-19", "-D", "-", url]);
  assert.match(part.stdout, /^HTTP\/1.1 206/);
  assert.match(part.stdout, /content-range: bytes 10-19\//i);
  const past = await run("curl", [
    "-s",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code}",
    "-r",
    "99999999-",
    url,
  ]);
  assert.equal(past.stdout, "416");

  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  // A wrong token changes nothing.
  const bad = await fetch(`${s.base}/v1/installs/${MAC}/complete`, {
    method: "POST",
    headers: { ...auth, authorization: "Bearer nope" },
    body: "{}",
  });
  assert.equal(bad.status, 403);
  const jobRes = await fetch(`${s.base}/v1/installs/${MAC}/job`, { headers: auth });
  assert.equal(jobRes.status, 200);
  const j = (await jobRes.json()) as {
    installationHostKey: { privateKey: string };
    job: unknown;
    hostname: string;
  };
  assert.match(j.installationHostKey.privateKey, /BEGIN OPENSSH PRIVATE KEY/);
  assert.deepEqual(j.job, job);
  assert.equal(j.hostname, "web-1");
  // The private key goes out once per generation: a second fetch (job or job.sh) is refused.
  const again = await fetch(`${s.base}/v1/installs/${MAC}/job.sh`, { headers: auth });
  assert.equal(again.status, 409);
  assert.match(await again.text(), /someone else may have them/);
  const ev = await fetch(`${s.base}/v1/installs/${MAC}/events`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ phase: "disko", progress: 30 }),
  });
  assert.equal(ev.status, 200);
  const badEv = await fetch(`${s.base}/v1/installs/${MAC}/events`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ phase: "disko", colour: 1 }),
  });
  assert.equal(badEv.status, 400);
  assert.match(((await badEv.json()) as { error: { message: string } }).error.message, /colour/);

  const waiting = controlRequest(
    s.socket,
    "GET",
    `/v1/machines/${MAC}/wait?state=installed&timeout=20`,
  );
  const done = await fetch(`${s.base}/v1/installs/${MAC}/complete`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ hostPublicKey: "ssh-ed25519 AAAAC3 new" }),
  });
  assert.equal(done.status, 200);
  const w = await waiting;
  assert.equal(w.status, 200);
  assert.equal((w.body as { state: string }).state, "installed");

  // Installed: the script boots locally, the installer files and the private key are gone.
  assert.match(await (await fetch(`${s.base}/boot/${MAC}.ipxe`)).text(), /^exit 1$/m);
  assert.equal((await fetch(url)).status, 404);
  // The token of an ended install opens nothing any more.
  assert.equal((await fetch(`${s.base}/v1/installs/${MAC}/job`, { headers: auth })).status, 403);

  const shown = await controlRequest(s.socket, "GET", `/v1/machines/${MAC}`);
  const types = (shown.body as { events: { type: string }[] }).events.map((e) => e.type);
  for (const t of ["registered", "script", "kernel", "job", "progress", "complete"])
    assert.ok(types.includes(t), `event ${t} in ${types.join(",")}`);

  // Rearm: a new generation, a new token; the old token is refused.
  const re = await controlRequest(s.socket, "POST", `/v1/machines/${MAC}/rearm`);
  assert.equal((re.body as { generation: number; state: string }).generation, 2);
  const old = await fetch(`${s.base}/v1/installs/${MAC}/events`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ phase: "x" }),
  });
  assert.equal(old.status, 403);
  assert.notEqual(await tokenFromScript(s.base, MAC), token);

  assert.equal(await s.stop(), 0, "SIGTERM exits 0");
});

test("failed installs end the wait with the failure and its log", async () => {
  const { s, kernel, initrd } = await serveWithFiles();
  await put(s, MAC, { kernel, initrd });
  const token = await tokenFromScript(s.base, MAC);
  const waiting = controlRequest(
    s.socket,
    "GET",
    `/v1/machines/${MAC}/wait?state=installed&timeout=20`,
  );
  const f = await fetch(`${s.base}/v1/installs/${MAC}/failed`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ message: "disko failed", log: "line1\nmkfs: no such device" }),
  });
  assert.equal(f.status, 200);
  const w = (await waiting).body as { state: string; failure: { message: string; log: string } };
  assert.equal(w.state, "failed");
  assert.equal(w.failure.message, "disko failed");
  assert.match(w.failure.log, /no such device/);
  // A timeout is a 408 with the current state.
  await controlRequest(s.socket, "POST", `/v1/machines/${MAC}/rearm`);
  const t = await controlRequest(
    s.socket,
    "GET",
    `/v1/machines/${MAC}/wait?state=installed&timeout=0.2`,
    undefined,
    [408],
  );
  assert.equal(t.status, 408);
  assert.equal((t.body as { machine: { state: string } }).machine.state, "registered");
});

test("control API errors name the field or value", async () => {
  const { s, kernel, initrd } = await serveWithFiles();
  const err = async (p: Promise<unknown>, status: number, re: RegExp) => {
    await assert.rejects(p, (e: ControlError) => e.status === status && re.test(e.message));
  };
  await err(put(s, "not-a-mac", { kernel, initrd }), 400, /not a MAC address: "not-a-mac"/);
  await err(put(s, MAC, { kernel, initrd, colour: "red" }), 400, /colour: unknown field/);
  await err(put(s, MAC, { kernel, initrd, cmdline: "a\nb" }), 400, /cmdline: contains a newline/);
  await err(put(s, MAC, { initrd }), 400, /kernel: required/);
  await err(controlRequest(s.socket, "GET", `/v1/machines/${MAC}`), 404, /not registered/);
  await err(
    controlRequest(s.socket, "GET", `/v1/machines/${MAC}/wait?state=done`),
    400,
    /state: expected one of/,
  );
  await err(controlRequest(s.socket, "PATCH", `/v1/machines/${MAC}`), 405, /PATCH is not allowed/);
  const raw = await run("curl", [
    "-s",
    "--unix-socket",
    s.socket,
    "-X",
    "PUT",
    "-H",
    "content-type: application/json",
    "-d",
    "{oops",
    `http://x/v1/machines/${MAC}`,
  ]);
  assert.match(raw.stdout, /"code":"bad_json"/);
  const unknown = await fetch(`${s.base}/boot/02:00:00:00:00:99.ipxe`);
  assert.equal(unknown.status, 404);
  assert.match(
    await unknown.text(),
    /^#!ipxe\necho Landscaper: 02:00:00:00:00:99 is not registered/,
  );
});

test("events stream as NDJSON while machines change", async () => {
  const { s, kernel, initrd } = await serveWithFiles();
  const lines: { type: string; mac: string }[] = [];
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request({ socketPath: s.socket, path: "/v1/events" }, resolve);
    req.on("error", reject);
    req.end();
  });
  let buf = "";
  res.on("data", (c: Buffer) => {
    buf += c.toString();
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim()) lines.push(JSON.parse(line) as { type: string; mac: string });
    }
  });
  await put(s, MAC, { kernel, initrd });
  await controlRequest(s.socket, "POST", `/v1/machines/${MAC}/rearm`);
  await controlRequest(s.socket, "DELETE", `/v1/machines/${MAC}`);
  for (let i = 0; i < 100 && lines.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  res.destroy();
  assert.deepEqual(
    lines.map((l) => l.type),
    ["registered", "rearmed", "removed"],
  );
});

test("50 parallel PUTs and 50 parallel script GETs stay consistent", async () => {
  const { s, kernel, initrd } = await serveWithFiles();
  const macs = Array.from(
    { length: 50 },
    (_, i) => `52:54:00:bb:00:${i.toString(16).padStart(2, "0")}`,
  );
  const puts = await Promise.all(
    macs.map((m) => put(s, m, { kernel, initrd, hostname: `n${m.slice(-2)}` })),
  );
  assert.ok(puts.every((r) => r.status === 201));
  const scripts = await Promise.all(
    macs.map(async (m) => [m, await (await fetch(`${s.base}/boot/${m}.ipxe`)).text()] as const),
  );
  for (const [m, text] of scripts) assert.match(text, new RegExp(`landscaper\\.mac=${m} `));
  const tokens = new Set(scripts.map(([, t]) => /token=(\S+)/.exec(t)?.[1]));
  assert.equal(tokens.size, 50, "a token per machine");
  const list = await controlRequest(s.socket, "GET", "/v1/machines");
  assert.equal((list.body as { machines: unknown[] }).machines.length, 50);
  // A clean stop folds the journal into the snapshot.
  assert.equal(await s.stop(), 0);
  const onDisk = JSON.parse(await readFile(join(s.stateDir, "machines.json"), "utf8")) as {
    machines: unknown[];
  };
  assert.equal(onDisk.machines.length, 50);
});

test("a corrupt state file stops the start with a clear error", async () => {
  const { s } = await serveWithFiles();
  await s.stop();
  await mkdir(s.stateDir, { recursive: true });
  await writeFile(join(s.stateDir, "machines.json"), '{"format": 1, "machines": [');
  await assert.rejects(startServe({ dir: s.dir }), /state file .*machines\.json is corrupt/);
});

test("the CLI: table, --json, and a clear error when the socket is missing", async () => {
  const { s, kernel, initrd } = await serveWithFiles();
  const cli = (...a: string[]) =>
    run(process.execPath, [CLI, "machines", ...a, "--socket", s.socket]);
  const add = await cli(
    "add",
    "AABB.CCDD.EE01",
    "--kernel",
    kernel,
    "--initrd",
    initrd,
    "--hostname",
    "db-1",
  );
  assert.match(add.stdout, /registered aa:bb:cc:dd:ee:01 \(generation 1\)/);
  const list = await cli("list");
  assert.match(list.stdout, /^MAC\s+HOSTNAME\s+IPV4\s+LEASED\s+STATE/);
  assert.match(list.stdout, /aa:bb:cc:dd:ee:01\s+db-1\s+-\s+-\s+registered\s+1/);
  const json = JSON.parse((await cli("list", "--json")).stdout) as { mac: string }[];
  assert.equal(json[0]?.mac, "aa:bb:cc:dd:ee:01");
  assert.match(
    (await cli("show", "aa:bb:cc:dd:ee:01")).stdout,
    /state:\s+registered \(generation 1\)/,
  );
  assert.match((await cli("rearm", "aa:bb:cc:dd:ee:01")).stdout, /generation 2/);
  assert.match((await cli("remove", "aa:bb:cc:dd:ee:01")).stdout, /removed/);
  await assert.rejects(
    run(process.execPath, [CLI, "machines", "list", "--socket", join(s.dir, "nope.sock")]),
    (e: { stderr: string; code: number }) => {
      assert.equal(e.code, 3);
      assert.match(
        e.stderr,
        /cannot reach the control socket .*nope\.sock: ENOENT; is `landscaper serve` running\?/,
      );
      return true;
    },
  );
});

test("hooks.onInstalled gets the machine as JSON on stdin and becomes an event", async () => {
  const s0 = await serveWithFiles();
  await s0.s.stop();
  const out = join(s0.s.dir, "hook-out.json");
  const s = await startServe({
    dir: s0.s.dir,
    config: { hooks: { onInstalled: ["sh", "-c", `cat > ${out}; echo hook ran`] } },
  });
  running.push(s);
  await put(s, MAC, { kernel: s0.kernel, initrd: s0.initrd });
  const token = await tokenFromScript(s.base, MAC);
  await fetch(`${s.base}/v1/installs/${MAC}/complete`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  let events: { type: string; ok?: boolean; output?: string }[] = [];
  for (let i = 0; i < 100; i++) {
    events = (
      (await controlRequest(s.socket, "GET", `/v1/machines/${MAC}`)).body as {
        events: typeof events;
      }
    ).events;
    if (events.some((e) => e.type === "hook")) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const hook = events.find((e) => e.type === "hook");
  assert.equal(hook?.ok, true);
  assert.match(hook?.output ?? "", /hook ran/);
  const given = JSON.parse(await readFile(out, "utf8")) as { mac: string; state: string };
  assert.equal(given.mac, MAC);
  assert.equal(given.state, "installed");
  assert.ok(!JSON.stringify(given).includes("PRIVATE KEY"));
});
