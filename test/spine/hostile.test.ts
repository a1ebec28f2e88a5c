import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { controlRequest } from "../../src/control/client.js";
import { startServe, cleanup, freePort, type RunningServe } from "../support/appliance.js";

const run = promisify(execFile);
const running: RunningServe[] = [];
after(async () => {
  for (const s of running) await cleanup(s);
});

/** Input that once ended the process: each must leave `serve` answering. */
test("hostile input leaves the appliance running", async () => {
  const tftpPort = await freePort();
  const s = await startServe({
    tftp: true,
    extra: ["--tftp-port", String(tftpPort), "--ipxe-dir", "/usr/lib/ipxe"],
  });
  running.push(s);
  const alive = async () =>
    assert.equal((await controlRequest(s.socket, "GET", "/v1/health")).status, 200);

  // A datagram from source port 0 (unknown opcode, and a stray ACK): dgram.send throws on port 0.
  const raw = await run("python3", [
    "-c",
    `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
for payload in (b"\\x00\\x09", b"\\x00\\x04\\x00\\x01"):
    hdr = (0).to_bytes(2, "big") + (${tftpPort}).to_bytes(2, "big") + (8 + len(payload)).to_bytes(2, "big") + b"\\x00\\x00"
    s.sendto(hdr + payload, ("127.0.0.1", 0))`,
  ]);
  assert.equal(raw.stderr, "");
  await new Promise((r) => setTimeout(r, 200));
  await alive();

  // Control paths `new URL` refuses, and bad percent-encoding.
  const slash = await run("curl", [
    "-s",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code}",
    "--path-as-is",
    "--unix-socket",
    s.socket,
    "http://x//",
  ]);
  assert.equal(slash.stdout, "404");
  const pct = await run("curl", ["-s", "--unix-socket", s.socket, "http://x/v1/machines/%ZZ"]);
  assert.match(pct.stdout, /"code":"invalid_mac"/);
  await alive();

  // A body without a token is refused before it is read.
  const mac = "52:54:00:ee:00:01";
  await writeFile(join(s.dir, "k"), "k");
  await controlRequest(s.socket, "PUT", `/v1/machines/${mac}`, {
    kernel: join(s.dir, "k"),
    initrd: join(s.dir, "k"),
  });
  const big = "x".repeat(3 << 20);
  const res = await fetch(`${s.base}/v1/installs/${mac}/failed`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message: big }),
  }).catch(() => null);
  assert.ok(res === null || res.status === 403, `status ${res?.status}`);
  await alive();

  // A suffix range on an empty file is unsatisfiable, not a 206 with a negative end.
  const empty = join(s.dir, "empty");
  await writeFile(empty, "");
  await controlRequest(s.socket, "PUT", `/v1/machines/${mac}`, { kernel: empty, initrd: empty });
  const r = await run("curl", [
    "-s",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code}",
    "-r",
    "-5",
    `${s.base}/nbp/${mac}/kernel`,
  ]);
  assert.equal(r.stdout, "416");
});

test("files that are not the installer's are never served", async () => {
  // An iPXE dir of our own: one real file, one symlink leading out of it.
  const ipxeDir = await mkdtemp(join(tmpdir(), "lst-ipxe-"));
  await writeFile(join(ipxeDir, "snponly.efi"), "efi");
  await symlink("/etc/hostname", join(ipxeDir, "ipxe.efi"));
  const s = await startServe({ extra: ["--ipxe-dir", ipxeDir] });
  running.push(s);
  after(() => rm(ipxeDir, { recursive: true, force: true }));
  const mac = "52:54:00:ee:00:02";
  // The state file holds every token and key: it cannot be registered as a kernel.
  await assert.rejects(
    controlRequest(s.socket, "PUT", `/v1/machines/${mac}`, {
      kernel: join(s.stateDir, "machines.json"),
      initrd: "/etc/hostname",
    }),
    /kernel: .* is inside the state directory/,
  );
  // A symlink out of the iPXE dir is refused over HTTP, as over TFTP; a real file is served.
  assert.equal((await fetch(`${s.base}/boot/ipxe.efi`)).status, 404);
  assert.equal((await fetch(`${s.base}/boot/snponly.efi`)).status, 200);
});
