/**
 * Provider figures: requests per second through one `nixops4-resources-landscaper`
 * process (ssh_keypair: pure CPU; pxe_nbp: a PUT to a real `landscaper serve`, which
 * fsyncs its state before answering), and the wall time of one ssh_host_public_key
 * key swap against a local OpenSSH sshd. Run after `npm run build`:
 *
 *   node dist/scripts/bench/provider.js [keypairs=2000] [registrations=200] [swaps=10]
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanup, startServe } from "../../test/support/appliance.js";
import { create, runProvider } from "../../test/provider/harness.js";
import { startSshd } from "../../test/provider/sshd-fixture.js";

const [keypairs = 2000, registrations = 200, swaps = 10] = process.argv.slice(2).map(Number);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function timed(requests: object[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const t0 = performance.now();
  const run = await runProvider(requests, { env, timeoutMs: 600_000 });
  const ms = performance.now() - t0;
  const errors = run.responses.filter((r) => "errorResponse" in r);
  if (run.code !== 0 || run.responses.length !== requests.length || errors.length > 0) {
    throw new Error(`bench run failed: ${JSON.stringify(errors[0])} ${run.stderr.slice(-500)}`);
  }
  return ms;
}

const idleRuns: number[] = [];
for (let i = 0; i < 3; i++) idleRuns.push(await timed([]));
console.log(`provider start and exit, no request: median ${median(idleRuns).toFixed(0)} ms of 3`);

/** Median over 3 runs of N requests in one provider process (start-up included). */
async function rate(make: (run: number, i: number) => object, n: number): Promise<string> {
  const runs: number[] = [];
  for (let r = 0; r < 3; r++)
    runs.push(await timed(Array.from({ length: n }, (_, i) => make(r, i))));
  const ms = median(runs);
  return `${n} requests in one process: median ${ms.toFixed(0)} ms of 3 runs (${runs.map((x) => x.toFixed(0)).join(", ")}) = ${((n * 1000) / ms).toFixed(0)} req/s with start-up`;
}

console.log(`ssh_keypair creates: ${await rate(() => create("ssh_keypair", {}), keypairs)}`);

const s = await startServe();
try {
  const kernel = join(s.dir, "bzImage");
  await writeFile(kernel, "k");
  const mac = (i: number) =>
    `52:54:01:${[i >> 16, i >> 8, i].map((b) => (b & 255).toString(16).padStart(2, "0")).join(":")}`;
  const line = await rate(
    (r, i) =>
      create("pxe_nbp", {
        mac: mac(r * registrations + i),
        kernel,
        initrd: kernel,
        socket: s.socket,
      }),
    registrations,
  );
  console.log(`pxe_nbp creates (new machines, fsync'd by serve): ${line}`);
} finally {
  await cleanup(s);
}

const swapMs: number[] = [];
for (let i = 0; i < swaps; i++) {
  const sshd = await startSshd();
  try {
    swapMs.push(
      await timed([
        create("ssh_host_public_key", {
          host: "127.0.0.1",
          port: sshd.port,
          privateKey: sshd.clientKey.privateKey,
          expectedHostPublicKey: sshd.installationKey.publicKey,
          hostKeyPath: sshd.hostKeyPath,
          reloadCommand: sshd.reloadCommand,
          timeout: 60,
        }),
      ]),
    );
  } finally {
    await sshd.stop();
  }
}
console.log(
  `ssh_host_public_key key swap (connect, ssh-keygen on target, SIGHUP, reconnect): median ${median(swapMs).toFixed(0)} ms, min ${Math.min(...swapMs).toFixed(0)}, max ${Math.max(...swapMs).toFixed(0)} over ${swaps} (provider start-up included)`,
);
