/**
 * The status page through a whole network boot in namespaces: `landscaper serve` (DHCP,
 * TFTP, HTTP) in one, and in the other busybox udhcpc as the PXE client, curl for TFTP and
 * HTTP, and headless Chromium (run inside that namespace through a wrapper) on the page.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { launchChromium } from "./chromium.js";
import { controlRequest } from "../../src/control/client.js";
import { serveInNetnsPair } from "../support/appliance.js";
import { LineWatcher } from "../support/lines.js";
import type { NetnsPair } from "../support/netns-pair.js";

const OUT = resolve(import.meta.dirname, "../../../test-output");
const M = "02:5e:00:00:0a:01";

/**
 * `landscaper serve` with `config` in namespace a (HTTP on 8092, DHCP, TFTP), machine M registered as
 * `registration` says, headless Chromium inside namespace b on its status page.
 */
async function pageInNetns(
  t: TestContext,
  config: (net: NetnsPair) => Record<string, unknown>,
  registration: (net: NetnsPair) => Record<string, unknown>,
) {
  let closeBrowser = async () => {};
  t.after(() => closeBrowser()); // registered first, so it runs before the namespaces go
  const { net, dir, serve } = await serveInNetnsPair(t, "sb", (n) => ({
    httpPort: 8092,
    dhcp: { port: 67, proxyPort: 4011 },
    tftp: true,
    config: config(n),
  }));
  const { socket, base } = serve;
  const inB = (cmd: string[]) => {
    const r = spawnSync("ip", ["netns", "exec", net.b, ...cmd], {
      encoding: "utf8",
      timeout: 30_000,
    });
    return r;
  };
  spawnSync("ip", ["-n", net.b, "link", "set", net.ifB, "address", M]);
  const kernel = join(dir, "vmlinuz");
  writeFileSync(kernel, "kernel");
  await controlRequest(socket, "PUT", `/v1/machines/${M}`, {
    kernel,
    initrd: kernel,
    ...registration(net),
  });

  // Chromium inside the client's namespace: a wrapper is its executable.
  const wrapper = join(dir, "chromium-in-netns");
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${net.b} /usr/bin/chromium "$@"\n`);
  chmodSync(wrapper, 0o755);
  const browser = await launchChromium(wrapper);

  closeBrowser = () => browser.close();
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  await page.goto(`${base}/`);
  const card = page.locator(`article[data-mac="${M}"]`);
  await card.waitFor({ timeout: 10_000 });
  return { net, dir, inB, page, card, base };
}

/** busybox udhcpc's options that make it a BIOS PXE client. */
const PXE = ["-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000"];

test("status page shows DHCP, TFTP, script, kernel, initrd, job, phase and installed from real clients", async (t) => {
  const { net, inB, page, card, base } = await pageInNetns(
    t,
    () => ({}),
    () => ({
      hostname: "rack1-u7",
      job: { steps: [{ phase: "disko", run: "true", progress: 50 }], after: "none" },
    }),
  );
  const stepShown = (text: string) =>
    card.locator("ol.steps li .text", { hasText: text }).first().waitFor({ timeout: 10_000 });

  // The PXE client: busybox udhcpc with the PXE vendor class and BIOS architecture.
  inB([
    "busybox",
    "udhcpc",
    "-i",
    net.ifB,
    "-n",
    "-q",
    "-t",
    "2",
    "-T",
    "1",
    "-s",
    "/bin/true",
    ...PXE,
  ]);
  await stepShown("DHCP answer to");
  const tftp = inB(["curl", "-sS", "-o", "/dev/null", `tftp://${net.addrA}/undionly.kpxe`]);
  assert.equal(tftp.status, 0, tftp.stderr);
  await stepShown("TFTP undionly.kpxe");
  const script = inB(["curl", "-sS", `${base}/boot/${M}.ipxe`]);
  const token = /landscaper\.token=(\S+)/.exec(script.stdout)?.[1];
  assert.ok(token, script.stdout);
  for (const f of ["kernel", "initrd"])
    assert.equal(inB(["curl", "-sSf", "-o", "/dev/null", `${base}/nbp/${M}/${f}`]).status, 0);
  const auth = ["-H", `Authorization: Bearer ${token}`];
  assert.equal(inB(["curl", "-sSf", ...auth, `${base}/v1/installs/${M}/job.sh`]).status, 0);
  const post = (what: string, body: unknown) =>
    inB([
      "curl",
      "-sSf",
      ...auth,
      "-H",
      "content-type: application/json",
      "-d",
      JSON.stringify(body),
      `${base}/v1/installs/${M}/${what}`,
    ]).status;
  assert.equal(post("events", { phase: "disko", progress: 50 }), 0);
  await stepShown("disko 50%");
  assert.equal(post("complete", {}), 0);
  await page
    .locator(`article[data-mac="${M}"][data-state="installed"]`)
    .waitFor({ timeout: 10_000 });

  const steps: string[] = [];
  for (const li of await card.locator("ol.steps li").all())
    steps.push(`${await li.getAttribute("data-type")}: ${await li.locator(".text").textContent()}`);
  const types = steps.map((s) => s.split(":")[0]);
  for (const ty of ["dhcp", "tftp", "script", "kernel", "initrd", "job", "progress", "complete"])
    assert.ok(types.includes(ty), `${ty} in\n${steps.join("\n")}`);
  assert.ok(
    types.indexOf("dhcp") < types.indexOf("tftp") &&
      types.indexOf("tftp") < types.indexOf("script"),
  );
  assert.match(
    steps.find((s) => s.startsWith("dhcp"))!,
    /undionly\.kpxe/,
  );
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, "status-page-boot.png"), fullPage: true });
});

test("status page in DHCP server mode: the reserved address, and the leased one until released", async (t) => {
  const host = (net: NetnsPair) => net.addrA.replace(/\.\d+$/, ".7");
  const { net, dir, page, card } = await pageInNetns(
    t,
    (n) => ({
      dhcp: {
        mode: "server",
        server: { subnet: n.addrA.replace(/\.\d+$/, ".0/24"), pingMs: 0 },
      },
    }),
    (n) => ({ hostname: "rack1-u8", ipv4: host(n) }),
  );
  const ip = host(net);
  const addresses = async (text: string) => {
    await card.locator(".addr", { hasText: text }).waitFor({ timeout: 10_000 });
    assert.equal(await card.locator(".addr").textContent(), text);
  };
  await addresses(`reserved ${ip}`);
  // udhcpc gets the reservation from Landscaper, the only DHCP server here; its script
  // puts the address on the interface (the RELEASE is a unicast from it).
  const script = join(dir, "udhcpc-bound");
  writeFileSync(
    script,
    '#!/bin/sh\n[ "$1" = bound ] && ip addr replace "$ip/24" dev "$interface"\nexit 0\n',
  );
  chmodSync(script, 0o755);
  const client = net.spawn(net.b, ["busybox", "udhcpc", "-f", "-i", net.ifB, "-s", script, ...PXE]);
  await new LineWatcher(client.stderr!).waitFor(
    (l) => l.includes(`lease of ${ip} obtained`),
    15_000,
    "udhcpc bound",
  );
  await addresses(`reserved ${ip} · leased ${ip}`);
  const step = (text: string) =>
    card.locator("ol.steps li .text", { hasText: text }).first().waitFor({ timeout: 10_000 });
  await step(`DHCP address ${ip} leased`);
  // SIGUSR2: busybox udhcpc releases its lease.
  client.kill("SIGUSR2");
  await step(`DHCP address ${ip} released`);
  await addresses(`reserved ${ip}`);
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, "status-page-lease.png"), fullPage: true });
});
