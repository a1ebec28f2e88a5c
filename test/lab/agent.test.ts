// The installer agent (nbp/agent.sh) run by a real busybox shell, with busybox wget and with
// curl, against a small HTTP server that speaks Landscaper's installer routes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { mkdtemp, readFile, rm, stat, symlink, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import fc from "fast-check";

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const agent = path.join(root, "nbp/agent.sh");
const MAC = "52:54:00:12:34:56";
const TOKEN = "tok-3f9a";

interface Step {
  phase: string;
  run: string;
  progress?: number;
}
interface Posted {
  route: string;
  body: unknown;
}

/** POSIX single-quoting, as Landscaper renders job.sh. */
function q(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

function renderJob(steps: Step[], after: string, key: { pub: string; priv: string }): string {
  const lines = [
    `LANDSCAPER_MAC=${q(MAC)}`,
    `LANDSCAPER_GENERATION='1'`,
    `LANDSCAPER_HOSTNAME=${q("web-1")}`,
    `LANDSCAPER_HOST_KEY_PUBLIC=${q(key.pub)}`,
    `LANDSCAPER_HOST_KEY_PRIVATE=${q(key.priv)}`,
    `LANDSCAPER_STEPS=${q(String(steps.length))}`,
  ];
  steps.forEach((s, i) => {
    lines.push(`LANDSCAPER_STEP_${i + 1}_PHASE=${q(s.phase)}`);
    lines.push(`LANDSCAPER_STEP_${i + 1}_RUN=${q(s.run)}`);
    lines.push(
      `LANDSCAPER_STEP_${i + 1}_PROGRESS=${q(s.progress === undefined ? "" : String(s.progress))}`,
    );
  });
  lines.push(`LANDSCAPER_AFTER=${q(after)}`);
  return lines.join("\n") + "\n";
}

const KEY = {
  pub: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFake landscaper-install",
  priv: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA'quoted'\n-----END OPENSSH PRIVATE KEY-----",
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function startFake(
  jobSh: string,
): Promise<{ server: Server; url: string; posted: Posted[] }> {
  const posted: Posted[] = [];
  const prefix = `/v1/installs/${MAC}/`;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(403).end("{}");
        return;
      }
      const route = (req.url ?? "").startsWith(prefix) ? (req.url ?? "").slice(prefix.length) : "";
      if (req.method === "GET" && route === "job.sh") {
        res.writeHead(200, { "content-type": "text/plain" }).end(jobSh);
      } else if (req.method === "POST" && ["events", "complete", "failed"].includes(route)) {
        assert.equal(req.headers["content-type"], "application/json");
        posted.push({ route, body: JSON.parse(body) as unknown });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } else {
        res.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  assert.ok(addr !== null && typeof addr === "object");
  return { server, url: `http://127.0.0.1:${addr.port}`, posted };
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

const STEPS: Step[] = [
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

  test(`agent with ${clientName}: runs the steps in order, installs the host key, completes, reboots`, async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), "lst-lab-agent-"));
    const fake = await startFake(renderJob(STEPS, "reboot", KEY));
    t.after(async () => {
      fake.server.close();
      await rm(dir, { recursive: true, force: true });
    });
    const bin = await makeBin(dir, withCurl);
    const r = await runAgent(
      dir,
      bin,
      `BOOT_IMAGE=vmlinuz console=ttyS0 landscaper.url=${fake.url}/ landscaper.token=${TOKEN} landscaper.mac=${MAC} quiet\n`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`HTTP client ${withCurl ? "curl" : "wget"}`));
    assert.deepEqual(fake.posted, [
      { route: "events", body: { phase: "disko", message: "step 1 of 3", progress: 30 } },
      { route: "events", body: { phase: "install", message: "step 2 of 3", progress: 90 } },
      { route: "events", body: { phase: "finish", message: "step 3 of 3" } },
      { route: "complete", body: { hostPublicKey: KEY.pub } },
    ]);
    assert.equal(await readFile(path.join(dir, "disk"), "utf8"), "disk\nsystem\n");
    assert.equal(await readFile(path.join(dir, "powered"), "utf8"), "reboot\n");
    const keyFile = path.join(dir, "etc/ssh/ssh_host_ed25519_key");
    assert.equal(await readFile(keyFile, "utf8"), KEY.priv + "\n");
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    assert.equal(await readFile(keyFile + ".pub", "utf8"), KEY.pub + "\n");
    assert.match(await readFile(path.join(dir, "agent.log"), "utf8"), /partitioning for web-1/);
  });

  test(`agent with ${clientName}: a failing step reports failed with the log tail and stops`, async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), "lst-lab-agent-"));
    const steps: Step[] = [
      { phase: "disko", run: 'echo "wiping \\"sda\\" at C:\\\\path\ttab"', progress: 20 },
      { phase: "install", run: "echo 'nixos-install: no space left'\nfalse\necho never" },
      { phase: "after", run: 'touch "$TMPDIR/after-ran"' },
    ];
    const fake = await startFake(renderJob(steps, "poweroff", KEY));
    t.after(async () => {
      fake.server.close();
      await rm(dir, { recursive: true, force: true });
    });
    const bin = await makeBin(dir, withCurl);
    const r = await runAgent(
      dir,
      bin,
      `landscaper.mac=${MAC} landscaper.token=${TOKEN} landscaper.url=${fake.url}`,
    );
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(
      fake.posted.map((p) => p.route),
      ["events", "events", "failed"],
    );
    const failed = fake.posted[2]!.body as { message: string; log: string };
    assert.equal(failed.message, "phase install failed (exit 1)");
    assert.match(failed.log, /wiping "sda" at C:\\path tab\n/);
    assert.match(failed.log, /nixos-install: no space left\n/);
    assert.doesNotMatch(failed.log, /never/);
    await assert.rejects(stat(path.join(dir, "after-ran")));
    await assert.rejects(stat(path.join(dir, "powered")));
  });
}

test("agent: a wrong token gets nothing and the agent stops without reporting", async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), "lst-lab-agent-"));
  const fake = await startFake(renderJob(STEPS, "reboot", KEY));
  t.after(async () => {
    fake.server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const bin = await makeBin(dir, true);
  const r = await runAgent(
    dir,
    bin,
    `landscaper.url=${fake.url} landscaper.token=wrong landscaper.mac=${MAC}`,
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot fetch/);
  assert.deepEqual(fake.posted, []);
});

test("agent: a command line without landscaper.url is refused by name", async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), "lst-lab-agent-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bin = await makeBin(dir, false);
  const r = await runAgent(dir, bin, `console=ttyS0 landscaper.token=x landscaper.mac=${MAC}`);
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
