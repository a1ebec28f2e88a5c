/**
 * Driver for scripts/bench/state: one `landscaper serve` (the CLI given) with MACHINES
 * registered machines, a storm of boot steps the way the appliance gets them (iPXE script
 * GETs over HTTP on loopback, each an event on its machine), and a control API prober.
 * Prints one JSON line: bytes written per boot step (/proc/PID/io write_bytes), steps/s,
 * control p99, start-up times, RSS. Bounded in time; the serve is killed at the end.
 * Start-ups: `firstStartMs` from the format-1 file both variants read, `startMs` from the
 * state the variant itself left at a clean stop (the process then measured), and
 * `restartAfterStormMs` after a SIGKILL at the end of the storm (for the journal: the
 * snapshot plus everything appended since).
 *
 *   node dist/scripts/bench/state-driver.js '{"cli":".../dist/src/cli/main.js",
 *     "machines":10000,"seconds":30,"state":"/tmp/x/machines.json"}'
 */
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { controlRequest } from "../../src/control/client.js";
import type { Mac } from "../../src/core/mac.js";
import { newRecord } from "../../src/registry/record.js";
import { freePort } from "../../test/support/appliance.js";

interface Args {
  cli: string;
  machines: number;
  seconds: number;
  /** A format-1 state file to start from (made when missing), shared by both variants. */
  state: string;
  concurrency?: number;
}

const a = JSON.parse(process.argv[2] ?? "{}") as Args;
const concurrency = a.concurrency ?? 32;
const macOf = (i: number) =>
  `02:5e:00:${((i >> 16) & 0xff).toString(16).padStart(2, "0")}:${((i >> 8) & 0xff)
    .toString(16)
    .padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}` as Mac;

/** The fleet as today's code writes it: format 1, one `registered` event a machine. */
async function makeState(path: string, dir: string): Promise<void> {
  try {
    await readFile(path);
    return;
  } catch {
    // made below
  }
  const at = new Date().toISOString();
  const machines = Array.from({ length: a.machines }, (_, i) => {
    const mac = macOf(i);
    const m = newRecord(
      mac,
      {
        kernel: join(dir, "vmlinuz"),
        initrd: join(dir, "initrd.img"),
        cmdline: "console=ttyS0",
        hostname: `node-${i}`,
        bmc: null,
        ipv4: null,
        job: null,
        installationHostKey: null,
      },
      at,
    );
    m.events.push({ at, mac, generation: 1, type: "registered", state: "registered" });
    return m;
  });
  await writeFile(path, JSON.stringify({ format: 1, machines }, null, 2) + "\n");
}

const proc = (pid: number, file: string) => readFile(`/proc/${pid}/${file}`, "utf8");
const field = (text: string, name: string) =>
  Number(new RegExp(`^${name}:?\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN);

async function start(dir: string, stateDir: string, port: number) {
  const socket = join(dir, "control.sock");
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      a.cli,
      "serve",
      "--address",
      "127.0.0.1",
      "--state-dir",
      stateDir,
      "--socket",
      socket,
      "--http-port",
      String(port),
      "--no-dhcp",
      "--no-tftp",
      "--no-mdns",
    ],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LANDSCAPER_LOG_LEVEL: "warn" } },
  );
  let err = "";
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited: ${err}`);
    try {
      await controlRequest(socket, "GET", "/v1/health");
      break;
    } catch {
      if (performance.now() - t0 > 60_000) throw new Error(`serve did not come up: ${err}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  return { child, socket, startMs: performance.now() - t0 };
}

function get(agent: Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", () => resolve(0));
    });
    req.on("error", () => resolve(0));
    req.end();
  });
}

const dir = await mkdtemp(join(tmpdir(), "lst-bench-state-"));
try {
  await writeFile(join(dir, "vmlinuz"), "k");
  await writeFile(join(dir, "initrd.img"), "i");
  await makeState(a.state, dir);
  const stateDir = join(dir, "state");
  await rm(stateDir, { recursive: true, force: true });
  await mkdir(stateDir);
  await copyFile(a.state, join(stateDir, "machines.json"));
  const port = await freePort();
  // The first start reads the format-1 file both variants understand; a clean stop then
  // leaves the variant's own format, which the measured start reads.
  const first = await start(dir, stateDir, port);
  first.child.kill("SIGTERM");
  await new Promise((r) => first.child.once("exit", r));
  const s = await start(dir, stateDir, port);
  const pid = s.child.pid as number;
  const rssIdle = field(await proc(pid, "status"), "VmRSS");
  const io0 = field(await proc(pid, "io"), "write_bytes");

  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const until = performance.now() + a.seconds * 1000;
  let steps = 0;
  let failed = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const mac = macOf(Math.floor(Math.random() * a.machines));
      const status = await get(agent, port, `/boot/${mac}.ipxe`);
      if (status === 200) steps++;
      else failed++;
    }
  };
  const control: number[] = [];
  const prober = async () => {
    while (performance.now() < until) {
      const mac = macOf(Math.floor(Math.random() * a.machines));
      const t = performance.now();
      await controlRequest(s.socket, "GET", `/v1/machines/${mac}`);
      control.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const t0 = performance.now();
  await Promise.all([...Array.from({ length: concurrency }, worker), prober()]);
  const elapsed = (performance.now() - t0) / 1000;
  const io1 = field(await proc(pid, "io"), "write_bytes");
  const status = await proc(pid, "status");
  agent.destroy();
  let snapshotJournal: number | null = null;
  try {
    const head = (await readFile(join(stateDir, "machines.json"), "utf8")).slice(0, 80);
    snapshotJournal = Number(/"journal": (\d+)/.exec(head)?.[1] ?? NaN);
  } catch {
    // none
  }
  // A crash now (no clean stop, nothing folded): how long does the next start take?
  s.child.kill("SIGKILL");
  await new Promise((r) => s.child.once("exit", r));
  const again = await start(dir, stateDir, port);
  again.child.kill("SIGKILL");
  await new Promise((r) => again.child.once("exit", r));
  control.sort((x, y) => x - y);
  const p = (q: number) => control[Math.min(control.length - 1, Math.floor(q * control.length))];
  console.log(
    JSON.stringify({
      machines: a.machines,
      seconds: Number(elapsed.toFixed(1)),
      steps,
      failed,
      stepsPerSecond: Math.round(steps / elapsed),
      bytesWritten: io1 - io0,
      bytesPerStep: Math.round((io1 - io0) / Math.max(1, steps)),
      controlP50Ms: Number(p(0.5)?.toFixed(1)),
      controlP99Ms: Number(p(0.99)?.toFixed(1)),
      controlSamples: control.length,
      firstStartMs: Math.round(first.startMs),
      startMs: Math.round(s.startMs),
      restartAfterStormMs: Math.round(again.startMs),
      rssIdleMiB: Number((rssIdle / 1024).toFixed(1)),
      rssPeakMiB: Number((field(status, "VmHWM") / 1024).toFixed(1)),
      compactions: Number.isNaN(snapshotJournal) ? null : snapshotJournal,
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
