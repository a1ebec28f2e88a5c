import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNetnsPair, type NetnsPair } from "../support/netns-pair.js";
import { LineWatcher } from "../support/lines.js";
import { TYPE, type DnsMessage } from "../support/dns-wire.js";
import { pino } from "pino";
import { packageVersion } from "../../src/core/version.js";
import { startMdns } from "../../src/mdns/advertise.js";
import { defaultConfig } from "../../src/config/config.js";
import { serverContext } from "../support/context.js";

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const SERVICE = "_landscaper._tcp.local";

/** The hand-written PTR querier in the second namespace, once it is listening. */
async function startQuerier(net: NetnsPair) {
  const proc = net.spawn(net.b, [
    process.execPath,
    here("query-child.js"),
    "--run",
    net.addrB,
    SERVICE,
  ]);
  const out = new LineWatcher(proc.stdout!);
  await out.waitFor((l) => l === "ready", 10_000, "the querier");
  return { proc, out };
}

test("mDNS: _landscaper._tcp answers a PTR query from another namespace, goodbye on close", async (t) => {
  const net = createNetnsPair("op");
  t.after(() => net.destroy());

  const adv = net.spawn(net.a, [
    process.execPath,
    here("advertiser-child.js"),
    "--run",
    net.addrA,
    "8089",
  ]);
  const advOut = new LineWatcher(adv.stdout!);
  const advErr = new LineWatcher(adv.stderr!);
  const announced = await advOut
    .waitFor((l) => l.startsWith("announced "), 15_000, "the advertiser to announce")
    .catch((e: Error) => {
      throw new Error(`${e.message}\nstderr:\n${advErr.lines.join("\n")}`);
    });
  const instance = announced.slice("announced ".length);

  const { proc: q, out: qOut } = await startQuerier(net);
  // Only a reply to the querier's own question counts: the advertiser's unsolicited
  // announcements reach the namespace too, and would pass for answers.
  const isAnswer = (l: string) => {
    if (!l.startsWith('{"kind":"answer"')) return false;
    const m = JSON.parse(l) as DnsMessage;
    return m.records.some((r) => r.type === TYPE.PTR && r.name === SERVICE && r.ttl > 0);
  };
  const answerLine = await qOut.waitFor(isAnswer, 10_000, "an answer to the PTR query");
  const answer = JSON.parse(answerLine) as DnsMessage & { from: string };
  assert.equal(answer.from, net.addrA, "the answer comes from the advertiser's namespace");
  assert.ok(qOut.lines.includes(`asked ${answer.id}`), "it answers a query the querier sent");
  const ptr = answer.records.find((r) => r.type === TYPE.PTR && r.name === SERVICE)!;
  assert.equal(ptr.data, `${instance}.${SERVICE}`);
  const srv = answer.records.find((r) => r.type === TYPE.SRV);
  assert.ok(srv, "SRV in the answer's additional records");
  assert.equal((srv.data as { port: number }).port, 8089);
  const txt = answer.records.find((r) => r.type === TYPE.TXT);
  assert.ok(txt, "TXT in the answer's additional records");
  assert.deepEqual([...(txt.data as string[])].sort(), [
    `http=8089`,
    `version=${packageVersion()}`,
  ]);
  const a = answer.records.find((r) => r.type === TYPE.A);
  assert.equal(a?.data, net.addrA, "A record names the configured address");

  // Goodbye: closing the advertiser sends the PTR again with TTL 0 (RFC 6762 10.1).
  adv.kill("SIGTERM");
  const isGoodbye = (l: string) =>
    l.startsWith('{"kind":"multicast"') &&
    (JSON.parse(l) as DnsMessage).records.some(
      (r) => r.type === TYPE.PTR && r.name === SERVICE && r.ttl === 0,
    );
  await qOut.waitFor(isGoodbye, 10_000, "the goodbye packet");
  await advOut.waitFor((l) => l === "closed", 10_000, "the advertiser to close");
  q.stdin!.end();
});

test("mDNS through `landscaper serve`: advertised with the real HTTP port, silent with --no-mdns", async (t) => {
  const net = createNetnsPair("om");
  const dir = mkdtempSync(join(tmpdir(), "lst-om-"));
  t.after(() => {
    net.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  const cli = here("../../src/cli/main.js");
  const serve = (extra: string[]) =>
    net.spawn(net.a, [
      process.execPath,
      cli,
      "serve",
      "--address",
      net.addrA,
      "--http-port",
      "8090",
      "--no-dhcp",
      "--no-tftp",
      "--state-dir",
      join(dir, "state"),
      "--socket",
      join(dir, "control.sock"),
      ...extra,
    ]);
  const { proc: q, out: qOut } = await startQuerier(net);
  const answers = () =>
    qOut.lines.filter(
      (l) =>
        l.startsWith('{"kind":"answer"') &&
        (JSON.parse(l) as DnsMessage).records.some((r) => r.type === TYPE.PTR && r.ttl > 0),
    );

  const s1 = serve([]);
  const s1err = new LineWatcher(s1.stderr!);
  await s1err.waitFor((l) => l.includes("advertising on mDNS"), 15_000, "serve to advertise");
  q.stdin!.write("query\n");
  const line = await qOut.waitFor(
    (l) => l.startsWith('{"kind":"answer"') && l.includes('"type":33'),
    10_000,
    "an answer with SRV",
  );
  const m = JSON.parse(line) as DnsMessage;
  const srv = m.records.find((r) => r.type === TYPE.SRV)!;
  assert.equal((srv.data as { port: number }).port, 8090);
  const txt = m.records.find((r) => r.type === TYPE.TXT)!;
  assert.ok((txt.data as string[]).includes("http=8090"));
  s1.kill("SIGTERM");
  await qOut.waitFor(
    (l) =>
      l.startsWith('{"kind":"multicast"') &&
      (JSON.parse(l) as DnsMessage).records.some((r) => r.type === TYPE.PTR && r.ttl === 0),
    10_000,
    "the goodbye when serve stops",
  );
  await new Promise((r) => s1.once("exit", r));

  const s2 = serve(["--no-mdns"]);
  const s2err = new LineWatcher(s2.stderr!);
  await s2err.waitFor((l) => l.includes("landscaper serving"), 15_000, "serve --no-mdns up");
  const before = answers().length;
  q.stdin!.write("query\n");
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(answers().length, before, "no answer with --no-mdns");
  assert.ok(!s2err.lines.some((l) => l.includes("mDNS")));
  s2.kill("SIGTERM");
  await new Promise((r) => s2.once("exit", r));
  q.stdin!.end();
});

test("mDNS is skipped, not fatal, when the address is on no interface", async () => {
  const config = defaultConfig();
  config.address = "192.0.2.1"; // TEST-NET-1: on no interface here
  const warnings: string[] = [];
  const log = pino({ level: "warn" }, { write: (l: string) => void warnings.push(l) });
  const svc = await startMdns(serverContext(config, { log }));
  await svc.announced;
  await svc.close();
  assert.equal(svc.name, "mdns");
  assert.match(warnings.join(""), /mDNS not started: the address is on no/);
});
