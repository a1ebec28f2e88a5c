/**
 * Durable first, visible after: `landscaper serve` with its state directory on a tiny tmpfs
 * that the test fills up. A registration, rearm or removal that cannot be written is refused
 * with the cause named, and none of it shows: not in the control API, not on DHCP, not
 * after the space returns, not after a restart.
 *
 * The tmpfs lives in a private mount namespace held by `unshare -m ... sleep`; serve runs
 * in it through `nsenter -m` (which execs, so the PID is serve's), and the test reaches the
 * tmpfs through /proc/HOLDER/root. Everything goes when the holder is killed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { once } from "node:events";
import {
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { controlRequest, type ControlError } from "../../src/control/client.js";
import { parsePacket } from "../../src/dhcp/codec/packet.js";
import { EDK2_PROXY_REQUEST } from "../dhcp/fixtures.js";
import { rewrite } from "../dhcp/rewrite.js";
import { cleanup, freePort, startServe, type RunningServe } from "../support/appliance.js";

const A = "52:54:00:d1:00:01";
const B = "52:54:00:d1:00:02";
const C = "52:54:00:d1:00:03";
const PAGE = 4096;

interface Fixture {
  dir: string;
  stateDir: string;
  holder: ChildProcess;
  /** The state directory as the test sees it (through the holder's mount namespace). */
  seen: string;
  files: { kernel: string; initrd: string };
  dhcp: { port: number; proxyPort: number };
  httpPort: number;
  start(): Promise<RunningServe>;
}

/** A tmpfs of `size` bytes over a fresh state directory, in a namespace of its own. */
async function fixture(t: { after(fn: () => Promise<void>): void }, size: number) {
  const dir = await mkdtemp(join(tmpdir(), "lst-diskfull-"));
  const stateDir = join(dir, "state");
  await mkdir(stateDir);
  const holder = spawn(
    "unshare",
    [
      "-m",
      "--propagation",
      "private",
      "sh",
      "-c",
      `mount -t tmpfs -o size=${size},mode=0700 tmpfs "$0" && echo mounted && exec sleep 300`,
      stateDir,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const running: RunningServe[] = [];
  t.after(async () => {
    for (const s of running) await cleanup(s);
    holder.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });
  const [out] = (await once(holder.stdout as NodeJS.ReadableStream, "data")) as [Buffer];
  assert.equal(out.toString().trim(), "mounted");
  const files = { kernel: join(dir, "vmlinuz"), initrd: join(dir, "initrd.img") };
  await writeFile(files.kernel, "k");
  await writeFile(files.initrd, "i");
  const f: Fixture = {
    dir,
    stateDir,
    holder,
    seen: `/proc/${holder.pid}/root${stateDir}`,
    files,
    dhcp: { port: await freePort(), proxyPort: await freePort() },
    httpPort: await freePort(),
    start: async () => {
      const s = await startServe({
        dir,
        httpPort: f.httpPort,
        dhcp: f.dhcp,
        prefix: ["nsenter", "-t", String(holder.pid), "-m", "--"],
      });
      running.push(s);
      return s;
    },
  };
  return f;
}

/** Fills the tmpfs to the last page; returns the filler's path. */
async function fill(seen: string): Promise<string> {
  const path = join(seen, "filler");
  const fh = await open(path, "w");
  const chunk = Buffer.alloc(64 * 1024, 0x55);
  try {
    for (let i = 0; i < 1024; i++) await fh.write(chunk);
    assert.fail("the tmpfs never filled up");
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, "ENOSPC");
  } finally {
    await fh.close();
  }
  return path;
}

/** Whether the proxyDHCP answers `mac` (a captured OVMF request on port 4011). */
async function dhcpAnswers(proxyPort: number, mac: string): Promise<boolean> {
  const client = dgram.createSocket("udp4");
  client.bind(0, "127.0.0.1");
  await once(client, "listening");
  try {
    const got = new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 500);
      client.once("message", (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
    client.send(rewrite(EDK2_PROXY_REQUEST(), { mac, xid: 7, ciaddr: "127.0.0.1" }), proxyPort);
    const reply = await got;
    return reply !== null && parsePacket(reply).ok;
  } finally {
    client.close();
  }
}

const notFound = (s: RunningServe, mac: string) =>
  assert.rejects(
    controlRequest(s.socket, "GET", `/v1/machines/${mac}`),
    (e: ControlError) => e.status === 404,
  );

type Machine = { mac: string; generation: number; state: string; events: unknown[] };
const machines = async (s: RunningServe) =>
  (
    (await controlRequest(s.socket, "GET", "/v1/machines")).body as { machines: Machine[] }
  ).machines.map((m) => `${m.mac} gen ${m.generation} ${m.state}`);

test("a full state disk refuses registration, rearm and removal, names the cause, and shows none of them", async (t) => {
  const f = await fixture(t, 512 * 1024);
  // A registered machine, folded into the snapshot by a clean stop: the next serve has no
  // journal file yet, so its first write needs a page of its own.
  const first = await f.start();
  assert.equal(
    (await controlRequest(first.socket, "PUT", `/v1/machines/${A}`, f.files)).status,
    201,
  );
  assert.equal(await first.stop(), 0);

  let s = await f.start();
  const before = (await controlRequest(s.socket, "GET", `/v1/machines/${A}`)).body as Machine;
  const filler = await fill(f.seen);

  const refused = (method: string, path: string, body?: object) =>
    assert.rejects(controlRequest(s.socket, method, path, body), (e: ControlError) => {
      assert.equal(e.status, 507, `${method} ${path}: ${e.message}`);
      assert.equal(e.code, "insufficient_storage");
      assert.match(e.message, /^state disk full \(ENOSPC\) writing \S+journal-\d+\.jsonl; /);
      return true;
    });
  await refused("PUT", `/v1/machines/${B}`, f.files);
  await refused("POST", `/v1/machines/${A}/rearm`);
  await refused("DELETE", `/v1/machines/${A}`);
  // A changed registration of A is refused as well, and A keeps its old files.
  await refused("PUT", `/v1/machines/${A}`, { ...f.files, cmdline: "console=ttyS0" });

  const now = (await controlRequest(s.socket, "GET", `/v1/machines/${A}`)).body as Machine;
  assert.deepEqual(now, before, "A exactly as before: generation, state, files, history");
  await notFound(s, B);
  assert.deepEqual(await machines(s), [`${A} gen 1 registered`]);
  assert.equal(await dhcpAnswers(f.dhcp.proxyPort, B), false, "B refused: no DHCP answer");
  assert.equal(await dhcpAnswers(f.dhcp.proxyPort, A), true, "A still armed: answered");

  // A clean stop on the full disk: its compaction fails, and leaves no temp file behind.
  assert.equal(await s.stop(), 0);
  assert.deepEqual(
    (await readdir(f.seen)).filter((n) => n.startsWith("machines.json.tmp")),
    [],
    "no temp file of the failed snapshot write",
  );

  // Space returns: what was refused does not come back, and writing works again.
  await rm(filler);
  s = await f.start();
  assert.deepEqual(await machines(s), [`${A} gen 1 registered`]);
  assert.equal((await controlRequest(s.socket, "PUT", `/v1/machines/${C}`, f.files)).status, 201);
  await s.kill();
  s = await f.start();
  assert.deepEqual(await machines(s), [`${A} gen 1 registered`, `${C} gen 1 registered`]);
  assert.equal(await dhcpAnswers(f.dhcp.proxyPort, B), false);
});

test("a write cut short by a full disk is cut off the journal: a restart does not bring it back", async (t) => {
  const f = await fixture(t, 256 * 1024);
  const first = await f.start();
  const put = (s: RunningServe, mac: string, cmdline: string) =>
    controlRequest(s.socket, "PUT", `/v1/machines/${mac}`, { ...f.files, cmdline });
  assert.equal((await put(first, A, "")).status, 201);
  // The journal's first line is A's record: B's is as long plus its command line.
  const [journal] = (await readdir(f.seen)).filter((n) => n.startsWith("journal-"));
  const text = await readFile(join(f.seen, journal ?? ""), "utf8");
  const recordLine = (text.split("\n")[0] ?? "").length + 1;
  assert.equal(await first.stop(), 0);

  const s = await f.start();
  const filler = await fill(f.seen);
  // One page free: B's record (one line, all but the page's last 60 bytes) fits in it,
  // the event after it does not, so the write stops part-way through the event line.
  await truncate(filler, (await stat(filler)).size - PAGE);
  await assert.rejects(
    put(s, B, "x".repeat(PAGE - 60 - recordLine)),
    (e: ControlError) => e.status === 507,
  );
  await notFound(s, B);
  await s.kill();
  await rm(filler);
  const again = await f.start();
  assert.deepEqual(
    await machines(again),
    [`${A} gen 1 registered`],
    "B's whole record was cut off",
  );
});
