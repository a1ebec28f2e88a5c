import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { Browser } from "playwright-core";
import { launchChromium } from "./chromium.js";
import { controlRequest } from "../../src/control/client.js";
import {
  startServe,
  cleanup,
  freePort,
  tokenFromScript,
  type RunningServe,
} from "../support/appliance.js";

const run = promisify(execFile);
const OUT = resolve(import.meta.dirname, "../../../test-output");
const A = "52:54:00:0b:00:01";
const B = "52:54:00:0b:00:02";
const running: RunningServe[] = [];
let browser: Browser | null = null;
after(async () => {
  await browser?.close();
  for (const s of running) await cleanup(s);
});

function callback(s: RunningServe, mac: string, token: string, what: string, body: unknown) {
  return fetch(`${s.base}/v1/installs/${mac}/${what}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

test("status page in headless Chromium: a machine appears, its phase changes live, no secrets", async () => {
  const s = await startServe();
  running.push(s);
  const kernel = join(s.dir, "vmlinuz");
  const initrd = join(s.dir, "initrd");
  await writeFile(kernel, "k");
  await writeFile(initrd, "i");
  const job = { steps: [{ phase: "disko", run: "true", progress: 40 }], after: "none" };
  await controlRequest(s.socket, "PUT", `/v1/machines/${A}`, {
    kernel,
    initrd,
    hostname: "web-1",
    job,
  });

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(`console: ${m.text()}`);
  });
  await page.goto(`${s.base}/`);
  const card = page.locator(`article[data-mac="${A}"]`);
  await card.waitFor({ timeout: 10_000 });
  assert.equal(await card.locator("h2").textContent(), "web-1");
  assert.equal(await card.getAttribute("data-state"), "registered");
  await page.locator("#conn.live").waitFor({ timeout: 10_000 });
  // A marker that a reload would wipe.
  await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));

  // The machine boots (its script names the token) and reports progress.
  const token = await tokenFromScript(s.base, A);
  const r = await callback(s, A, token, "events", {
    phase: "disko",
    progress: 40,
    message: "partitioning /dev/vda",
  });
  assert.equal(r.status, 200, await r.text());
  await page.waitForFunction(
    `(() => {
      const el = document.querySelector('article[data-mac="${A}"]');
      return el?.querySelector(".phase")?.textContent?.includes("disko · 40%") === true &&
        el.querySelector('[role="progressbar"]')?.getAttribute("aria-valuenow") === "40";
    })()`,
    null,
    { timeout: 10_000 },
  );
  assert.equal(await card.getAttribute("data-state"), "installing");
  const steps = await card.locator("ol.steps li .text").allTextContents();
  assert.ok(steps.includes("iPXE script served"), steps.join(" / "));
  assert.ok(steps.includes("disko 40%: partitioning /dev/vda"), steps.join(" / "));
  assert.equal(
    await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker),
    42,
    "updated without a reload",
  );
  await mkdir(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, "status-page-progress.png"), fullPage: true });

  // The operator folds A's step list; redraws keep it folded.
  await card.locator("details.steps-d > summary").click();
  const stepsOpen = async () =>
    (await card.locator("details.steps-d").getAttribute("open")) !== null;
  assert.equal(await stepsOpen(), false);

  // A second machine fails with a log that echoes its token and a private key.
  await controlRequest(s.socket, "PUT", `/v1/machines/${B}`, { kernel, initrd, job });
  const tokenB = await tokenFromScript(s.base, B);
  const key =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAsecretkeymaterial\n-----END OPENSSH PRIVATE KEY-----";
  const f = await callback(s, B, tokenB, "failed", {
    message: "disko exited 1",
    log: `cmdline: landscaper.token=${tokenB}\n${key}\nError: /dev/vda: no such device`,
  });
  assert.equal(f.status, 200, await f.text());
  const cardB = page.locator(`article[data-mac="${B}"][data-state="failed"]`);
  await cardB.waitFor({ timeout: 10_000 });
  assert.match((await cardB.locator(".failure").textContent()) ?? "", /disko exited 1/);
  assert.match((await cardB.locator("pre.log").textContent()) ?? "", /no such device/);
  assert.equal(await stepsOpen(), false, "A's steps stay folded across redraws");

  // A installs.
  assert.equal((await callback(s, A, token, "complete", {})).status, 200);
  await page
    .locator(`article[data-mac="${A}"][data-state="installed"]`)
    .waitFor({ timeout: 10_000 });

  const html = await page.content();
  for (const secret of [token, tokenB, "AAAAsecretkeymaterial", "PRIVATE KEY"])
    assert.ok(!html.includes(secret), `the page shows a secret: ${secret}`);
  assert.deepEqual(pageErrors, []);

  await page.screenshot({ path: join(OUT, "status-page.png"), fullPage: true });
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  await phone.goto(`${s.base}/`);
  await phone.locator(`article[data-mac="${B}"]`).waitFor({ timeout: 10_000 });
  const overflow = await phone.evaluate(
    "document.documentElement.scrollWidth > document.documentElement.clientWidth",
  );
  assert.equal(overflow, false, "no horizontal scrolling on a phone");
  await phone.screenshot({ path: join(OUT, "status-page-phone.png"), fullPage: true });

  // The raw stream, read by curl: a snapshot first, with no secrets in it either.
  const { stdout } = await run("curl", ["-sN", "--max-time", "1", `${s.base}/events`]).catch(
    (e: { stdout: string }) => ({ stdout: e.stdout }), // --max-time ends it with code 28
  );
  assert.match(stdout, /^retry: 2000\n\nevent: snapshot\ndata: \{"machines":\[/);
  assert.ok(!stdout.includes(tokenB) && !stdout.includes("secretkeymaterial"));
});

test("/metrics: exact counts after real HTTP and TFTP traffic, process defaults", async () => {
  // An iPXE dir of our own so the TFTP byte count is known: 1500 bytes is 3 blocks of 512.
  const ipxeDir = await mkdtemp(join(tmpdir(), "lst-metrics-"));
  after(() => rm(ipxeDir, { recursive: true, force: true }));
  await writeFile(join(ipxeDir, "snponly.efi"), Buffer.alloc(1500, 7));
  const tftpPort = await freePort();
  const s = await startServe({
    tftp: true,
    extra: ["--tftp-port", String(tftpPort), "--ipxe-dir", ipxeDir],
  });
  running.push(s);
  // Two complete TFTP transfers and one refused (no such file), by curl's TFTP client.
  for (const file of ["snponly.efi", "snponly.efi"]) {
    const got = await run(
      "curl",
      ["-sS", "--max-time", "10", `tftp://127.0.0.1:${tftpPort}/${file}`],
      {
        encoding: "buffer",
      },
    );
    assert.equal(got.stdout.length, 1500);
  }
  await assert.rejects(
    run("curl", ["-sS", "--max-time", "10", `tftp://127.0.0.1:${tftpPort}/nothing.efi`]),
  );
  const kernel = join(s.dir, "vmlinuz");
  await writeFile(kernel, "k");
  await controlRequest(s.socket, "PUT", `/v1/machines/${A}`, { kernel, initrd: kernel });
  await controlRequest(s.socket, "PUT", `/v1/machines/${B}`, { kernel, initrd: kernel });
  const token = await tokenFromScript(s.base, A);
  await (await fetch(`${s.base}/nbp/${A}/kernel`)).arrayBuffer();
  // The server notes the kernel step once its file stream has closed, which can be a moment
  // after the client has every byte: wait for it, as a real installer's minutes would.
  for (let i = 0; i < 100; i++) {
    const m = (await controlRequest(s.socket, "GET", `/v1/machines/${A}`)).body as {
      events: { type: string }[];
    };
    if (m.events.some((e) => e.type === "kernel")) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal((await callback(s, A, token, "complete", {})).status, 200);
  await (await fetch(`${s.base}/`)).text();

  const { stdout, stderr } = await run("curl", ["-sS", "-D", "-", `${s.base}/metrics`]);
  assert.equal(stderr, "");
  assert.match(stdout, /^HTTP\/1\.1 200/);
  assert.match(stdout, /content-type: text\/plain; version=0\.0\.4/i);
  const metric = (re: RegExp) => {
    const m = re.exec(stdout);
    assert.ok(m, `no ${re} in\n${stdout}`);
    return Number(m[1]);
  };
  assert.equal(metric(/^landscaper_machines\{state="installed"\} (\d+)$/m), 1);
  assert.equal(metric(/^landscaper_machines\{state="registered"\} (\d+)$/m), 1);
  assert.equal(metric(/^landscaper_machines\{state="failed"\} (\d+)$/m), 0);
  assert.equal(metric(/^landscaper_http_requests_total\{route="script",status="200"\} (\d+)$/m), 1);
  assert.equal(metric(/^landscaper_http_requests_total\{route="status",status="200"\} (\d+)$/m), 1);
  assert.equal(metric(/^landscaper_http_bytes_total\{route="kernel"\} (\d+)$/m), 1);
  assert.equal(metric(/^landscaper_http_bytes_total\{route="status"\} (\d+)$/m) > 1000, true);
  assert.equal(metric(/^landscaper_install_duration_seconds_count (\d+)$/m), 1);
  assert.match(stdout, /^landscaper_process_cpu_seconds_total /m);
  assert.match(stdout, /^landscaper_nodejs_eventloop_lag_seconds /m);
  assert.match(stdout, /^# TYPE landscaper_dhcp_packets_total counter$/m);
  assert.equal(metric(/^landscaper_tftp_transfers_total\{outcome="complete"\} (\d+)$/m), 2);
  assert.equal(metric(/^landscaper_tftp_transfers_total\{outcome="refused"\} (\d+)$/m), 1);
  assert.equal(metric(/^landscaper_tftp_bytes_total (\d+)$/m), 3000);
  assert.equal(metric(/^landscaper_tftp_malformed_total (\d+)$/m), 0);
  assert.match(stdout, /^# TYPE landscaper_dhcp_first_answer_seconds histogram$/m);
});
