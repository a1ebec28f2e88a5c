import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { connect } from "node:net";
import { promisify } from "node:util";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { controlRequest } from "../../src/control/client.js";
import { startServe, cleanup, freePort, type RunningServe } from "../support/appliance.js";

const run = promisify(execFile);

/**
 * A POST whose headers declare `length` body bytes, then 10 bytes every 50 ms, for at
 * most 5 s: resolves with what the server answered and how much body had been sent by then.
 */
function dripPost(
  port: number,
  path: string,
  extraHeaders: string,
  length: number,
): Promise<{ response: string; bodySent: number }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    let response = "";
    let bodySent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearInterval(timer);
      sock.destroy();
      resolve({ response, bodySent });
    };
    sock.on("error", reject);
    sock.on("data", (b: Buffer) => {
      response += b.toString("latin1");
      if (response.includes("\r\n\r\n")) finish();
    });
    sock.on("connect", () => {
      sock.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `${extraHeaders}Content-Length: ${length}\r\n\r\n`,
      );
      let ticks = 0;
      timer = setInterval(() => {
        if (++ticks > 100) return finish();
        sock.write("x".repeat(10));
        bodySent += 10;
      }, 50);
    });
  });
}
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
  // A body without the right token is refused before a byte of it is read: on a socket
  // that sends the headers and then drips the body, the 403 comes while almost all of the
  // declared body is still unsent. A server that read the body first would sit waiting.
  for (const auth of ["", "Authorization: Bearer wrong-token\r\n"]) {
    const r = await dripPost(s.httpPort, `/v1/installs/${mac}/failed`, auth, 1_000_000);
    assert.match(r.response, /^HTTP\/1\.1 403 /, `${JSON.stringify(auth)}: ${r.response}`);
    assert.ok(r.bodySent < 1000, `${r.bodySent} body bytes sent before the answer`);
  }
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
