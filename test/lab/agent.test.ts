// The installer agent (nbp/agent.sh) run by a real busybox shell, with busybox wget and with
// curl, against the real `landscaper serve`: the job it runs is renderJobSh's, the kernel
// command line is the one the iPXE script gives, and what it reports is read back from the
// registry through the control API.
import { test, after as afterAll } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat, symlink, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import fc from "fast-check";
import { controlRequest } from "../../src/control/client.js";
import { generateEd25519 } from "../../src/core/openssh-keys.js";
import type { Job } from "../../src/boot/job.js";
import type { MachineView } from "../../src/registry/machine.js";
import { startServe, cleanup, type RunningServe } from "../support/appliance.js";

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const agent = path.join(root, "nbp/agent.sh");
const KEY = generateEd25519("landscaper-install");

let serve: RunningServe | null = null;
afterAll(async () => {
  if (serve) await cleanup(serve);
});
let nextMac = 0x10;

/**
 * Registers a fresh machine with `job` on the one running `serve` and returns its MAC and
 * the kernel command line its iPXE script boots (what the agent reads as /proc/cmdline).
 */
async function register(job: Job): Promise<{ s: RunningServe; mac: string; cmdline: string }> {
  serve ??= await startServe();
  const s = serve;
  const mac = `52:54:00:1a:00:${(nextMac++).toString(16).padStart(2, "0")}`;
  const kernel = path.join(s.dir, "vmlinuz");
  await writeFile(kernel, "k");
  await controlRequest(s.socket, "PUT", `/v1/machines/${mac}`, {
    kernel,
    initrd: kernel,
    hostname: "web-1",
    job,
    installationHostKey: KEY,
  });
  const script = await (await fetch(`${s.base}/boot/${mac}.ipxe`)).text();
  const m = /^kernel \S+ (.*) && goto initrd \|\|$/m.exec(script);
  assert.ok(m?.[1], script);
  return { s, mac, cmdline: `BOOT_IMAGE=vmlinuz ${m[1]}\n` };
}

async function machine(s: RunningServe, mac: string): Promise<MachineView> {
  return (await controlRequest(s.socket, "GET", `/v1/machines/${mac}`)).body as MachineView;
}

/** The installer's own reports (progress, complete, failed), as the registry recorded them. */
function reports(m: MachineView): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const e of m.events) {
    if (e.type === "progress") {
      const { phase, message, progress } = e;
      out.push(progress === undefined ? { phase, message } : { phase, message, progress });
    } else if (e.type === "complete") out.push({ complete: e.hostPublicKey });
    else if (e.type === "failed") out.push({ failed: e.message });
  }
  return out;
}

/** A PATH holding only busybox applets (so `wget` is busybox's), plus curl when asked. */
async function makeBin(dir: string, withCurl: boolean): Promise<string> {
  const bin = path.join(dir, "bin");
  await mkdir(bin);
  await run("busybox", ["--install", "-s", bin]);
  await rm(path.join(bin, "reboot"), { force: true });
  await rm(path.join(bin, "poweroff"), { force: true });
  if (withCurl) await symlink("/usr/bin/curl", path.join(bin, "curl"));
  return bin;
}

interface AgentRun {
  code: number | null;
  stderr: string;
  dir: string;
}

async function runAgent(
  dir: string,
  bin: string,
  cmdline: string,
  env: Record<string, string> = {},
): Promise<AgentRun> {
  await writeFile(path.join(dir, "cmdline"), cmdline);
  await writeFile(path.join(dir, "power"), `#!/bin/sh\necho "$1" > ${dir}/powered\n`, {
    mode: 0o755,
  });
  const child = spawn("busybox", ["sh", agent], {
    env: {
      PATH: bin,
      TMPDIR: dir,
      LANDSCAPER_CMDLINE_FILE: path.join(dir, "cmdline"),
      LANDSCAPER_LOG: path.join(dir, "agent.log"),
      LANDSCAPER_SSH_DIR: path.join(dir, "etc/ssh"),
      LANDSCAPER_POWER_CMD: path.join(dir, "power"),
      LANDSCAPER_SKIP_NETWORK: "1",
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stderr, dir };
}

const STEPS: Job["steps"] = [
  {
    phase: "disko",
    run: 'echo "partitioning for $LANDSCAPER_HOSTNAME"\necho disk > "$TMPDIR/disk"',
    progress: 30,
  },
  { phase: "install", run: 'echo installing; echo system >> "$TMPDIR/disk"', progress: 90 },
  { phase: "finish", run: "true" },
];

for (const withCurl of [false, true]) {
  const clientName = withCurl ? "curl" : "busybox wget";

  // `after` is poweroff here and reboot below: the agent's default is reboot, so only a
  // job.sh that really carries LANDSCAPER_AFTER makes this one power off.
  test(`agent with ${clientName}: runs the steps in order, installs the host key, completes, powers off`, async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), "lst-lab-agent-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const { s, mac, cmdline } = await register({ steps: STEPS, after: "poweroff" });
    const bin = await makeBin(dir, withCurl);
    const r = await runAgent(dir, bin, cmdline);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`HTTP client ${withCurl ? "curl" : "wget"}`));
    const m = await machine(s, mac);
    assert.deepEqual(reports(m), [
      { phase: "disko", message: "step 1 of 3", progress: 30 },
      { phase: "install", message: "step 2 of 3", progress: 90 },
      { phase: "finish", message: "step 3 of 3" },
      { complete: KEY.publicKey },
    ]);
    assert.equal(m.state, "installed");
    assert.equal(m.hostPublicKey, KEY.publicKey);
    assert.equal(await readFile(path.join(dir, "disk"), "utf8"), "disk\nsystem\n");
    assert.equal(await readFile(path.join(dir, "powered"), "utf8"), "poweroff\n");
    const keyFile = path.join(dir, "etc/ssh/ssh_host_ed25519_key");
    assert.equal((await readFile(keyFile, "utf8")).trimEnd(), KEY.privateKey.trimEnd());
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    assert.equal(await readFile(keyFile + ".pub", "utf8"), KEY.publicKey + "\n");
    assert.match(await readFile(path.join(dir, "agent.log"), "utf8"), /partitioning for web-1/);
  });

  test(`agent with ${clientName}: a failing step reports failed with the log tail and stops`, async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), "lst-lab-agent-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const { s, mac, cmdline } = await register({
      steps: [
        { phase: "disko", run: 'echo "wiping \\"sda\\" at C:\\\\path\ttab"', progress: 20 },
        { phase: "install", run: "echo 'nixos-install: no space left'\nfalse\necho never" },
        { phase: "after", run: 'touch "$TMPDIR/after-ran"' },
      ],
      after: "reboot",
    });
    const bin = await makeBin(dir, withCurl);
    const r = await runAgent(dir, bin, cmdline);
    assert.equal(r.code, 1, r.stderr);
    const m = await machine(s, mac);
    assert.deepEqual(reports(m), [
      { phase: "disko", message: "step 1 of 3", progress: 20 },
      { phase: "install", message: "step 2 of 3" },
      { failed: "phase install failed (exit 1)" },
    ]);
    assert.equal(m.state, "failed");
    const log = m.failure?.log ?? "";
    assert.match(log, /wiping "sda" at C:\\path tab\n/);
    assert.match(log, /nixos-install: no space left\n/);
    assert.doesNotMatch(log, /never/);
    await assert.rejects(stat(path.join(dir, "after-ran")));
    await assert.rejects(stat(path.join(dir, "powered")));
  });
}

test("agent: the job's after: reboot reaches the power command", async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), "lst-lab-agent-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { cmdline } = await register({ steps: [{ phase: "x", run: "true" }], after: "none" });
  const bin = await makeBin(dir, true);
  const r = await runAgent(dir, bin, cmdline);
  assert.equal(r.code, 0, r.stderr);
  await assert.rejects(stat(path.join(dir, "powered")), "after: none leaves the machine up");
  const d2 = await mkdtemp(path.join(tmpdir(), "lst-lab-agent-"));
  t.after(() => rm(d2, { recursive: true, force: true }));
  const second = await register({ steps: [{ phase: "x", run: "true" }], after: "reboot" });
  assert.equal((await runAgent(d2, await makeBin(d2, true), second.cmdline)).code, 0);
  assert.equal(await readFile(path.join(d2, "powered"), "utf8"), "reboot\n");
});

test("agent: a wrong token gets nothing and the agent stops without reporting", async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), "lst-lab-agent-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { s, mac, cmdline } = await register({ steps: STEPS, after: "reboot" });
  const bin = await makeBin(dir, true);
  const r = await runAgent(
    dir,
    bin,
    cmdline.replace(/landscaper\.token=\S+/, "landscaper.token=wrong"),
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot fetch/);
  const m = await machine(s, mac);
  assert.deepEqual(reports(m), []);
  assert.ok(!m.events.some((e) => e.type === "job"), "the job was not handed out");
});

test("agent: a command line without landscaper.url is refused by name", async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), "lst-lab-agent-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bin = await makeBin(dir, false);
  const r = await runAgent(
    dir,
    bin,
    `console=ttyS0 landscaper.token=x landscaper.mac=52:54:00:1a:00:01`,
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, /landscaper\.url missing/);
});

test("agent: json_escape yields JSON for any text (busybox tr/sed/awk)", async () => {
  // What the agent promises: tabs become spaces, other control characters vanish, one
  // trailing newline is dropped, everything else survives.
  const expected = (s: string): string =>
    s
      .replaceAll("\t", " ")
      // eslint-disable-next-line no-control-regex -- control characters are the point here
      .replace(/[\x00-\x08\x0b-\x1f]/g, "")
      .replace(/\n$/, "");
  await fc.assert(
    fc.asyncProperty(
      fc
        .array(
          fc.oneof(
            fc.constantFrom("\\", '"', "\n", "\t", "\r", "\x1b", "'", "$", "`"),
            fc.string({ unit: "binary", maxLength: 3 }),
          ),
        )
        .map((parts) => parts.join("")),
      async (raw) => {
        const s = raw.replaceAll("\0", "");
        const { stdout } = await run(
          "busybox",
          ["sh", "-c", `. "${agent}"; json_str "$1"`, "sh", s],
          {
            env: { PATH: "/usr/bin:/bin", LANDSCAPER_AGENT_LIB: "1" },
          },
        );
        assert.equal(JSON.parse(stdout), expected(s));
      },
    ),
    { numRuns: 150 },
  );
});

test("agent: sh -n and shellcheck are clean", async () => {
  await run("sh", ["-n", agent]);
  await run("busybox", ["sh", "-n", agent]);
  await run("shellcheck", ["-s", "sh", agent]);
});
