/**
 * Served files under a hostile LAN (issue 13, items 6 and 7): a registered path is judged at
 * every open, on the file actually opened, and a FIFO cannot freeze the disk work of
 * `serve` (every open is non-blocking).
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { controlRequest } from "../../src/control/client.js";
import { cleanup, freePort, startServe, type RunningServe } from "../support/appliance.js";
import { curl } from "./peer.js";

const MAC = "52:54:00:13:00:07";
const running: RunningServe[] = [];
after(async () => {
  for (const s of running) await cleanup(s);
});

test("registration outside the allowed roots is refused, naming them", async () => {
  const s = await startServe();
  running.push(s);
  const r = await controlRequest(s.socket, "PUT", `/v1/machines/${MAC}`, {
    kernel: "/etc/hostname",
    initrd: "/etc/hostname",
  }).catch((e: Error) => e);
  assert.ok(r instanceof Error);
  assert.match(r.message, /kernel: \/etc\/hostname is outside the directories/);
  assert.match(r.message, new RegExp(`files\\.allowedRoots and ipxe\\.dir: ${s.dir}, `));
});

test("a symlink changed after registration never serves the state file or leaves the roots", async () => {
  const s = await startServe();
  running.push(s);
  const link = join(s.dir, "kernel-link");
  // At registration the symlink leads nowhere yet: judged as written, inside the roots.
  await symlink(join(s.dir, "not-yet"), link);
  const r = await controlRequest(s.socket, "PUT", `/v1/machines/${MAC}`, {
    kernel: link,
    initrd: link,
  });
  assert.equal(r.status, 201);
  const url = `${s.base}/nbp/${MAC}/kernel`;
  for (const target of [join(s.stateDir, "machines.json"), "/etc/passwd"]) {
    await unlink(link);
    await symlink(target, link);
    const a = await curl([url]);
    assert.equal(a.status, 404, `${target}: ${a.status}`);
    assert.doesNotMatch(a.body, /token|root:/);
  }
  // A file the roots allow is served through the same link.
  await writeFile(join(s.dir, "real-kernel"), "kernel");
  await unlink(link);
  await symlink(join(s.dir, "real-kernel"), link);
  assert.equal((await curl([url])).body, "kernel");
});

/** `p`, or a rejection naming `what` after `ms`: a frozen appliance fails the test, not hangs it. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

test("FIFOs in ipxe.dir: four TFTP and four HTTP reads leave PUTs and file fetches working", async () => {
  const ipxeDir = await mkdtemp(join(tmpdir(), "lst-fifo-"));
  after(() => rm(ipxeDir, { recursive: true, force: true }));
  execFileSync("mkfifo", [join(ipxeDir, "fifo.efi")]);
  await writeFile(join(ipxeDir, "snponly.efi"), "efi");
  const tftpPort = await freePort();
  const s = await startServe({
    tftp: true,
    extra: ["--tftp-port", String(tftpPort), "--ipxe-dir", ipxeDir],
  });
  running.push(s);
  const kernel = join(s.dir, "vmlinuz");
  await writeFile(kernel, "kernel");
  // libuv has four pool threads: four blocking opens of a FIFO once took every one.
  const tftp = Array.from(
    { length: 4 },
    () =>
      new Promise<string>((resolve) =>
        execFile("curl", ["-s", "--max-time", "5", `tftp://127.0.0.1:${tftpPort}/fifo.efi`], (e) =>
          resolve(e ? String(e.code) : "0"),
        ),
      ),
  );
  const http = Array.from({ length: 4 }, () => curl([`${s.base}/boot/fifo.efi`]));
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  const put = await within(
    3000,
    "PUT",
    controlRequest(s.socket, "PUT", `/v1/machines/${MAC}`, { kernel, initrd: kernel }),
  );
  assert.equal(put.status, 201);
  assert.equal((await curl(["--max-time", "3", `${s.base}/nbp/${MAC}/kernel`])).body, "kernel");
  assert.equal((await curl(["--max-time", "3", `${s.base}/boot/snponly.efi`])).body, "efi");
  assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  for (const a of await Promise.all(http)) assert.equal(a.status, 404);
  // TFTP refuses them with an error packet: curl fails at once, not at its 5 s limit.
  const codes = await Promise.all(tftp);
  assert.ok(
    codes.every((c) => c !== "0" && c !== "28"),
    `curl exit codes ${codes.join(",")}`,
  );
});
