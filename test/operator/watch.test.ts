import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { controlRequest } from "../../src/control/client.js";
import {
  startServe,
  cleanup,
  tokenFromScript,
  CLI,
  type RunningServe,
} from "../support/appliance.js";
import { LineWatcher } from "../support/lines.js";

const A = "52:54:00:0c:00:01";
const B = "52:54:00:0c:00:02";
const running: RunningServe[] = [];
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const s of running) await cleanup(s);
});

async function serveWithMachine() {
  const s = await startServe();
  running.push(s);
  const kernel = join(s.dir, "vmlinuz");
  await writeFile(kernel, "k");
  const put = (mac: string, hostname?: string) =>
    controlRequest(s.socket, "PUT", `/v1/machines/${mac}`, {
      kernel,
      initrd: kernel,
      ...(hostname ? { hostname } : {}),
    });
  await put(A, "web-1");
  return { s, put };
}

function watch(args: string[]) {
  const p = spawn(process.execPath, [CLI, "watch", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(p);
  const exited = new Promise<number | null>((r) => p.once("exit", (code) => r(code)));
  return { p, out: new LineWatcher(p.stdout), err: new LineWatcher(p.stderr), exited };
}

const post = (s: RunningServe, mac: string, token: string, what: string, body: unknown) =>
  fetch(`${s.base}/v1/installs/${mac}/${what}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then((r) => r.status);

test("watch, piped: one line per change from the real serve's event stream", async () => {
  const { s, put } = await serveWithMachine();
  const w = watch(["--socket", s.socket]);
  const has =
    (...parts: string[]) =>
    (l: string) =>
      parts.every((p) => l.includes(p));
  await w.out.waitFor(has(A, "web-1", "registered"), 10_000, "the initial line");

  const token = await tokenFromScript(s.base, A);
  await w.out.waitFor(has(A, "web-1 booting", "| iPXE script served"), 10_000, "booting");
  assert.equal(
    await post(s, A, token, "events", { phase: "disko", progress: 40, message: "p1" }),
    200,
  );
  await w.out.waitFor(has(A, "installing disko 40%", "| disko 40%: p1"), 10_000, "progress");
  assert.equal(await post(s, A, token, "complete", {}), 200);
  await w.out.waitFor(has(A, "web-1 installed", "| installed"), 10_000, "installed");

  await put(B, "db-1");
  await w.out.waitFor(has(B, "db-1 registered"), 10_000, "a new machine, with its hostname");
  await controlRequest(s.socket, "DELETE", `/v1/machines/${B}`);
  await w.out.waitFor(has(B, "removed"), 10_000, "removal");

  // every line is a plain line: no terminal control sequences when piped
  assert.ok(
    w.out.lines.every((l) => !l.includes("\x1b")),
    w.out.lines.join("\n"),
  );
  w.p.kill("SIGTERM");
  assert.equal(await w.exited, 0);
});

test("watch --until-done exits 0 once installed; a missing socket is a clear error", async () => {
  const { s } = await serveWithMachine();
  const w = watch(["--socket", s.socket, "--mac", A.toUpperCase(), "--until-done"]);
  await w.out.waitFor((l) => l.includes("registered"), 10_000, "the initial line");
  const token = await tokenFromScript(s.base, A);
  assert.equal(await post(s, A, token, "complete", {}), 200);
  assert.equal(await w.exited, 0);

  const bad = watch(["--socket", join(s.dir, "nope.sock")]);
  assert.equal(await bad.exited, 3);
  await bad.err.waitFor((l) => /cannot reach the control socket .*nope\.sock/.test(l), 1000);
});

test("watch on a terminal redraws a table in place (under script(1)'s pty)", async () => {
  const { s } = await serveWithMachine();
  const cmd = `stty cols 120; ${process.execPath} ${CLI} watch --socket ${s.socket}`;
  const p = spawn("script", ["-qfec", cmd, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
  children.push(p);
  let screen = "";
  p.stdout.on("data", (b: Buffer) => (screen += b.toString("utf8")));
  const exited = new Promise<void>((r) => p.once("exit", () => r()));
  const waitScreen = async (re: RegExp, what: string) => {
    for (let i = 0; i < 200 && !re.test(screen); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(screen, re, what);
  };
  await waitScreen(/MAC\s+HOST\s+STATE\s+PHASE/, "the table header");
  assert.ok(screen.includes("\x1b[?1049h"), "alternate screen");
  const before = screen.split("\x1b[H").length;
  const token = await tokenFromScript(s.base, A);
  assert.equal(await post(s, A, token, "events", { phase: "disko", progress: 50 }), 200);
  await waitScreen(/disko\s+█{10}░{10}\s+50%/, "the progress bar");
  assert.ok(screen.split("\x1b[H").length > before, "redrawn from the top, in place");
  p.kill("SIGTERM");
  await exited;
});

test("watch reconnects when serve restarts", async () => {
  const { s } = await serveWithMachine();
  const w = watch(["--socket", s.socket]);
  await w.out.waitFor((l) => l.includes(A) && l.includes("registered"), 10_000, "first line");
  assert.equal(await s.stop(), 0);
  await w.err.waitFor((l) => l.includes("reconnecting"), 10_000, "watch notices");
  const s2 = await startServe({ dir: s.dir, httpPort: s.httpPort });
  running.push(s2);
  const token = await tokenFromScript(s2.base, A);
  assert.equal(await post(s2, A, token, "events", { phase: "nixos-install", progress: 80 }), 200);
  await w.out.waitFor((l) => l.includes("installing nixos-install 80%"), 15_000, "after restart");
  w.p.kill("SIGTERM");
  assert.equal(await w.exited, 0);
});
