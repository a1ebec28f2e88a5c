import { test, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { launchChromium } from "./chromium.js";
import { controlRequest } from "../../src/control/client.js";
import { startServe, cleanup, tokenFromScript, type RunningServe } from "../support/appliance.js";

/**
 * Everything a booting machine may write reaches the status page: a progress message, a
 * failure message, the failure log. Each carries markup that would run script if the page
 * put it into innerHTML unescaped; the page must show it as text.
 */
const EVIL = `<img src=x onerror=globalThis.pwned=(globalThis.pwned||0)+1>"'&amp;<b>bold</b>`;
const A = "52:54:00:0e:00:01";
const B = "52:54:00:0e:00:02";
let s: RunningServe | null = null;
let browser: Browser | null = null;
after(async () => {
  await browser?.close();
  if (s) await cleanup(s);
});

function callback(mac: string, token: string, what: string, body: unknown) {
  return fetch(`${s!.base}/v1/installs/${mac}/${what}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

test("status page shows markup in every machine-written field as literal text", async () => {
  s = await startServe();
  const kernel = join(s.dir, "vmlinuz");
  await writeFile(kernel, "k");
  // The fields an operator writes are checked at the door: markup in a hostname is refused.
  const refused = await controlRequest(
    s.socket,
    "PUT",
    `/v1/machines/${A}`,
    { kernel, initrd: kernel, hostname: EVIL },
    [400],
  );
  assert.equal(refused.status, 400);
  assert.match(JSON.stringify(refused.body), /hostname: expected a DNS host name/);

  for (const mac of [A, B])
    await controlRequest(s.socket, "PUT", `/v1/machines/${mac}`, { kernel, initrd: kernel });
  const tokenA = await tokenFromScript(s.base, A);
  const tokenB = await tokenFromScript(s.base, B);
  const ev = await callback(A, tokenA, "events", { phase: "disko", progress: 5, message: EVIL });
  assert.equal(ev.status, 200, await ev.text());
  const f = await callback(B, tokenB, "failed", { message: EVIL, log: `line 1\n${EVIL}` });
  assert.equal(f.status, 200, await f.text());

  browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(`${s.base}/`);
  await page.locator(`article[data-mac="${B}"][data-state="failed"]`).waitFor({ timeout: 10_000 });
  await page.locator(`article[data-mac="${A}"][data-state="installing"]`).waitFor();
  // An <img src=x> that got in would have fired its onerror by the time x has 404ed.
  const img = await fetch(`${s.base}/x`);
  assert.equal(img.status, 404);
  await page.waitForTimeout(300);

  assert.equal(await page.locator("#machines img, #machines b").count(), 0, "no element injected");
  assert.equal(await page.evaluate("globalThis.pwned"), undefined, "no handler ran");
  const stepsA = await page.locator(`article[data-mac="${A}"] ol.steps li .text`).allTextContents();
  assert.ok(stepsA.includes(`disko 5%: ${EVIL}`), stepsA.join(" / "));
  const cardB = page.locator(`article[data-mac="${B}"]`);
  assert.equal(await cardB.locator(".failure").textContent(), EVIL);
  assert.equal(await cardB.locator("pre.log").textContent(), `line 1\n${EVIL}`);
  const stepsB = await cardB.locator("ol.steps li .text").allTextContents();
  assert.ok(stepsB.includes(`failed: ${EVIL}`), stepsB.join(" / "));
});
