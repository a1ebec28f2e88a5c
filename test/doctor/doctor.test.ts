import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { netnsPairForTest, type NetnsPair } from "../support/netns-pair.js";
import { LineWatcher } from "../support/lines.js";
import { startDnsmasq } from "../support/dhcp-peers.js";
import type { Finding } from "../../src/doctor/checks.js";
import { startServe, cleanup, serveInNetnsPair } from "../support/appliance.js";

const CLI = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/**
 * Runs doctor in `ns`. Asynchronous: the test's event loop keeps draining the peers'
 * stderr meanwhile (a dnsmasq with --log-dhcp blocks once its pipe is full).
 */
function doctor(
  ns: string,
  args: string[],
  asUser: string[] = [],
): Promise<{ status: number | null; findings: Finding[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      "ip",
      ["netns", "exec", ns, ...asUser, process.execPath, CLI, "doctor", "--json", ...args],
      { encoding: "utf8", timeout: 30_000 },
      (err, stdout, stderr) => {
        const status = err ? (typeof err.code === "number" ? err.code : null) : 0;
        try {
          const findings = (JSON.parse(stdout) as { findings: Finding[] }).findings;
          resolve({ status, findings, stderr });
        } catch {
          reject(new Error(`doctor printed no JSON (status ${status}):\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

/** doctor's flags for an appliance at `address`, HTTP on `port`, probing for 2 s by default. */
const at = (
  address: string,
  port: number,
  stateDir: string,
  socket: string,
  probe = ["--probe-seconds", "2"],
) => [
  "--address",
  address,
  "--http-port",
  String(port),
  "--state-dir",
  stateDir,
  "--socket",
  socket,
  ...probe,
];

function find(findings: Finding[], check: RegExp): Finding {
  const f = findings.find((x) => check.test(x.check));
  assert.ok(f, `no finding ${check}; have:\n${JSON.stringify(findings, null, 2)}`);
  return f;
}

/** dnsmasq in namespace `ns` of the pair, logging DHCP. */
const dnsmasq = (net: NetnsPair, ns: string, dir: string, args: string[]) =>
  startDnsmasq((c) => net.spawn(ns, c), dir, ns, ["--log-dhcp", ...args]);

test("doctor: finds a proxyDHCP on the LAN and names who holds TFTP and HTTP ports", async (t) => {
  const { net, dir } = netnsPairForTest(t, "dr");
  const other = dnsmasq(net, net.b, dir, [
    `--interface=${net.ifB}`,
    "--bind-interfaces",
    `--dhcp-range=${net.addrB.replace(/\.\d+$/, ".0")},proxy`,
    "--pxe-service=x86PC,Other BIOS,pxelinux",
    "--pxe-service=X86-64_EFI,Other EFI,grubx64.efi",
  ]);
  await other.log.waitFor((l) => /DHCP, proxy on subnet/.test(l), 10_000, "dnsmasq proxy up");
  const tftp = dnsmasq(net, net.a, dir, ["--enable-tftp", `--tftp-root=${dir}`]);
  await tftp.log.waitFor((l) => /TFTP root/.test(l), 10_000, "dnsmasq tftp up");
  const http = net.spawn(net.a, [
    process.execPath,
    "-e",
    "require('http').createServer().listen(8080, () => console.log('listening'))",
  ]);
  await new LineWatcher(http.stdout!).waitFor((l) => l === "listening", 10_000, "http holder");

  const r = await doctor(
    net.a,
    at(net.addrA, 8080, join(dir, "state"), join(dir, "run", "control.sock")),
  );
  assert.equal(r.status, 1, "a blocker makes a non-zero exit");
  assert.equal(find(r.findings, /^address$/).level, "ok");
  assert.equal(find(r.findings, /^UDP 67 /).level, "ok");
  assert.equal(find(r.findings, /^UDP 4011 /).level, "ok");
  const t69 = find(r.findings, /^UDP 69 /);
  assert.equal(t69.level, "blocker");
  assert.match(t69.message, new RegExp(`in use by pid ${tftp.proc.pid} \\(dnsmasq `));
  assert.match(t69.fix ?? "", /--tftp-port/);
  const h = find(r.findings, /^TCP 8080 /);
  assert.equal(h.level, "blocker");
  assert.match(h.message, new RegExp(`pid ${http.pid} \\(.*node`));
  assert.equal(find(r.findings, /^iPXE undionly.kpxe/).level, "ok");
  assert.equal(find(r.findings, /^state directory/).level, "ok");
  const pxe = find(r.findings, new RegExp(`^other servers: ${net.addrB.replace(/\./g, "\\.")}$`));
  assert.equal(pxe.level, "warn");
  assert.match(pxe.message, /\(proxyDHCP\)/);
  assert.match(pxe.message, /BIOS: PXE menu "Other BIOS"/);
  assert.match(pxe.message, /EFI: PXE options, no file/);
  assert.equal(find(r.findings, /^DHCP server$/).level, "warn", "no address-handing DHCP server");
  // dnsmasq saw our made-up client's DISCOVER, with the PXE vendor class
  await other.log.waitFor(
    (l) => /vendor class: PXEClient:Arch:00000/.test(l),
    5_000,
    "the DISCOVER in dnsmasq's log",
  );
});

test("doctor: a DHCP server with a boot file is listed with its file", async (t) => {
  const { net, dir } = netnsPairForTest(t, "dr");
  const prefix = net.addrB.replace(/\.\d+$/, "");
  const other = dnsmasq(net, net.b, dir, [
    `--interface=${net.ifB}`,
    "--bind-interfaces",
    `--dhcp-range=${prefix}.50,${prefix}.60,255.255.255.0`,
    "--dhcp-boot=pxelinux.0",
  ]);
  await other.log.waitFor((l) => /DHCP, IP range/.test(l), 10_000, "dnsmasq up");
  const r = await doctor(net.a, at(net.addrA, 8080, join(dir, "state"), join(dir, "control.sock")));
  assert.equal(r.status, 0, JSON.stringify(r.findings, null, 2));
  const pxe = find(r.findings, /^other servers: /);
  assert.equal(pxe.level, "warn");
  assert.match(pxe.message, /DHCP server with PXE options/);
  assert.match(pxe.message, /BIOS: pxelinux\.0/);
  assert.ok(!r.findings.some((f) => f.check === "DHCP server"), "a DHCP server was found");
});

test("doctor: without privilege, and with an address not on this host", async (t) => {
  const { net, dir } = netnsPairForTest(t, "dr");
  chmodSync(dir, 0o755);
  const nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"];
  const r = await doctor(
    net.a,
    ["--address", "192.0.2.77", "--state-dir", join(dir, "state"), "--socket", join(dir, "c.sock")],
    nobody,
  );
  assert.equal(r.status, 1);
  const addr = find(r.findings, /^address$/);
  assert.equal(addr.level, "blocker");
  assert.match(addr.message, new RegExp(`192\\.0\\.2\\.77 is not on any interface.*${net.addrA}`));
  for (const re of [/^UDP 67 /, /^UDP 69 /, /^TCP 80 /]) {
    const f = find(r.findings, re);
    assert.equal(f.level, "blocker");
    assert.match(f.message, /permission denied.*CAP_NET_BIND_SERVICE or root/);
    assert.match(f.fix ?? "", /AmbientCapabilities=CAP_NET_BIND_SERVICE/);
  }
  assert.equal(find(r.findings, /^state directory/).level, "blocker");
  const probe = find(r.findings, /^other PXE servers$/);
  assert.equal(probe.level, "warn");
  assert.match(probe.fix ?? "", /as root/);
});

test("doctor next to a running serve: its ports and socket are warnings naming its pid", async (t) => {
  const s = await startServe();
  t.after(() => cleanup(s));
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      "doctor",
      "--json",
      "--no-probe",
      "--no-dhcp",
      "--no-tftp",
      "--address",
      "127.0.0.1",
      "--http-port",
      String(s.httpPort),
      "--socket",
      s.socket,
      "--state-dir",
      s.stateDir,
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
  const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
  assert.equal(r.status, 0, JSON.stringify(findings, null, 2));
  const http = find(findings, new RegExp(`^TCP ${s.httpPort} `));
  assert.equal(http.level, "warn");
  assert.match(http.message, new RegExp(`in use by pid ${s.proc.pid} `));
  assert.match(http.fix ?? "", /running Landscaper/);
  const sock = find(findings, /^control socket$/);
  assert.equal(sock.level, "warn");
  assert.match(sock.message, new RegExp(`already answers on .*\\(pid ${s.proc.pid}\\)`));
  assert.equal(find(findings, /^address$/).level, "warn", "loopback");
  assert.equal(find(findings, /^state directory$/).level, "ok");
});

test("doctor finds a real Landscaper that answers unknown MACs, from the next namespace", async (t) => {
  const { net, dir } = await serveInNetnsPair(t, "dl", {
    httpPort: 8091,
    dhcp: { port: 67, proxyPort: 4011 },
    tftp: true,
    config: { dhcp: { answerUnknown: true } },
  });
  const r = await doctor(net.b, at(net.addrB, 8091, join(dir, "b-state"), join(dir, "b.sock")));
  assert.equal(r.status, 0, JSON.stringify(r.findings, null, 2));
  const other = find(r.findings, new RegExp(`^other servers: ${net.addrA.replace(/\./g, "\\.")}$`));
  assert.equal(other.level, "warn");
  assert.match(other.message, /\(proxyDHCP\)/);
  assert.match(other.message, /BIOS: undionly\.kpxe/);
  // Landscaper names the UEFI file only on port 4011, as dnsmasq does
  assert.match(other.message, /EFI: PXE options, no file/);
});

test("doctor in DHCP server mode: alone it will serve the subnet; beside dnsmasq it is a blocker", async (t) => {
  const { net, dir } = netnsPairForTest(t, "ds");
  const prefix = net.addrA.replace(/\.\d+$/, "");
  const subnet = `${prefix}.0/24`;
  const config = join(dir, "landscaper.json");
  writeFileSync(
    config,
    JSON.stringify({
      dhcp: { mode: "server", server: { subnet, range: `${prefix}.100-${prefix}.109` } },
    }),
  );
  const args = [
    "--config",
    config,
    ...at(net.addrA, 8080, join(dir, "state"), join(dir, "control.sock")),
  ];

  const alone = await doctor(net.a, args);
  assert.equal(alone.status, 0, JSON.stringify(alone.findings, null, 2));
  assert.deepEqual(find(alone.findings, /^DHCP server$/), {
    check: "DHCP server",
    level: "ok",
    message: `no other DHCP server answered within the probe window: Landscaper will be the DHCP server for ${subnet}`,
  });
  assert.deepEqual(find(alone.findings, /^DHCP server subnet$/), {
    check: "DHCP server subnet",
    level: "ok",
    message: `${net.addrA} is a host of ${subnet} pool ${prefix}.100-${prefix}.109`,
  });
  assert.deepEqual(find(alone.findings, /^DHCP server interface$/), {
    check: "DHCP server interface",
    level: "ok",
    message: `${subnet} is the network of ${net.ifA} (${net.addrA}/24)`,
  });
  assert.equal(find(alone.findings, /^UDP 67 /).check, "UDP 67 (DHCP server)");

  const other = dnsmasq(net, net.b, dir, [
    `--interface=${net.ifB}`,
    "--bind-interfaces",
    `--dhcp-range=${prefix}.50,${prefix}.59,255.255.255.0`,
  ]);
  // Each probe's made-up MAC gets the next free address of dnsmasq's range.
  const offered = (f: Finding) =>
    new RegExp(`offers addresses \\((${prefix.replace(/\./g, "\\.")}\\.5\\d)\\)`).exec(
      f.message,
    )?.[1] ?? "none";
  await other.log.waitFor((l) => /DHCP, IP range/.test(l), 10_000, "dnsmasq up");
  const beside = await doctor(net.a, args);
  assert.equal(beside.status, 1, "another DHCP server is a blocker in server mode");
  const blocker = find(beside.findings, /^other servers: /);
  assert.deepEqual(blocker, {
    check: `other servers: ${net.addrB}`,
    level: "blocker",
    message: `DHCP server ${net.addrB} offers addresses (${offered(blocker)}); in dhcp.mode "server" \`landscaper serve\` refuses to start while another DHCP server answers`,
    fix: 'stop its DHCP on this network, or use dhcp.mode "proxy" beside it; --force-dhcp (dhcp.server.allowOtherServers) starts serve anyway, but should not be used: two DHCP servers on one network race for every client, which takes whichever answer comes first (conflicting addresses, boots that go astray)',
  });
  assert.ok(
    !beside.findings.some((f) => f.check === "DHCP server"),
    "no 'will be' once a rival answers",
  );

  // Forced, serve would start: the same server is a warning that still says why not.
  const forced = await doctor(net.a, [...args, "--force-dhcp"]);
  assert.equal(forced.status, 0, JSON.stringify(forced.findings, null, 2));
  const rival = find(forced.findings, /^other servers: /);
  assert.equal(rival.level, "warn");
  assert.equal(
    rival.message,
    `DHCP server ${net.addrB} offers addresses (${offered(rival)}); dhcp.server.allowOtherServers (--force-dhcp) is set, so serve starts beside it`,
  );

  // In proxy mode the same dnsmasq is what Landscaper needs beside it.
  const proxy = await doctor(net.a, [...args, "--dhcp-mode", "proxy"]);
  assert.equal(proxy.status, 0, JSON.stringify(proxy.findings, null, 2));
  assert.equal(find(proxy.findings, /^other servers: /).level, "ok");
  assert.equal(find(proxy.findings, /^UDP 67 /).check, "UDP 67 (proxyDHCP)");
  assert.ok(!proxy.findings.some((f) => f.check.startsWith("DHCP server ")));
});

test("doctor in DHCP server mode: an address outside the subnet, a subnet on no interface", async (t) => {
  const { net, dir } = netnsPairForTest(t, "ds");
  const config = join(dir, "landscaper.json");
  writeFileSync(
    config,
    JSON.stringify({ dhcp: { mode: "server", server: { subnet: "192.0.2.0/24" } } }),
  );
  const r = await doctor(net.a, [
    "--config",
    config,
    ...at(net.addrA, 8080, join(dir, "state"), join(dir, "control.sock"), ["--no-probe"]),
  ]);
  assert.equal(r.status, 1);
  assert.deepEqual(find(r.findings, /^DHCP server subnet$/), {
    check: "DHCP server subnet",
    level: "blocker",
    message: `dhcp.server.subnet: 192.0.2.0/24 does not hold the appliance address ${net.addrA}; serve refuses this configuration`,
    fix: "set dhcp.server.subnet to the network of the interface that holds `address` (clients that are not relayed get it); a subnet reached only through DHCP relays goes in dhcp.server.relayed",
  });
  assert.deepEqual(find(r.findings, /^DHCP server interface$/), {
    check: "DHCP server interface",
    level: "warn",
    message: `192.0.2.0/24 is the network of none of this host's interfaces (lo 127.0.0.1/8, ${net.ifA} ${net.addrA}/24): clients would get a netmask and router for a network the appliance is not on`,
    fix: "give the install LAN's interface a static address in dhcp.server.subnet with the same prefix, or set dhcp.server.subnet to that interface's network",
  });
  // serve itself refuses the same configuration, with the same words.
  const serve = spawnSync(
    "ip",
    [
      "netns",
      "exec",
      net.a,
      process.execPath,
      CLI,
      "serve",
      "--config",
      config,
      "--address",
      net.addrA,
      "--check-config",
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
  assert.equal(serve.status, 1);
  assert.equal(
    serve.stderr,
    `landscaper serve: dhcp.server.subnet: 192.0.2.0/24 does not hold the appliance address ${net.addrA}\n`,
  );
});
