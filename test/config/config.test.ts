import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConfigError,
  defaultConfig,
  dhcpServerOf,
  loadConfigFile,
  mergeConfig,
} from "../../src/config/config.js";
import { configFromArgs } from "../../src/cli/serve.js";

test("every key has a default", () => {
  const c = defaultConfig();
  assert.equal(c.http.port, 80);
  assert.equal(c.tftp.maxBlksize, 1468);
  assert.equal(c.control.socket, "/run/landscaper/control.sock");
  assert.equal(c.afterInstall, "local-boot");
  assert.equal(c.hooks.onInstalled, null);
});

test("unknown keys and bad values are errors naming the key", () => {
  const base = defaultConfig();
  assert.throws(() => mergeConfig(base, { htpp: {} }, "f.json"), /unknown key "htpp"/);
  assert.throws(
    () => mergeConfig(base, { http: { prot: 1 } }, "f.json"),
    /unknown key "http.prot"/,
  );
  assert.throws(
    () => mergeConfig(base, { http: { port: 70000 } }, "f.json"),
    /http\.port: expected a port/,
  );
  assert.throws(
    () => mergeConfig(base, { address: "10.0.0" }, "f.json"),
    /address: expected an IPv4/,
  );
  assert.throws(
    () => mergeConfig(base, { afterInstall: "reboot" }, "f.json"),
    /afterInstall: expected one of/,
  );
  assert.throws(() => mergeConfig(base, { ipxe: { efi: "../x.efi" } }, "f.json"), /ipxe\.efi/);
  assert.throws(
    () => mergeConfig(base, { hooks: { onInstalled: "echo" } }, "f.json"),
    /hooks\.onInstalled/,
  );
  assert.throws(
    () => mergeConfig(base, { tftp: { maxBlksize: 7 } }, "f.json"),
    /tftp\.maxBlksize: expected an integer 8\.\.65464/,
  );
  assert.throws(
    () => mergeConfig(base, { files: { allowedRoots: ["srv/boot"] } }, "f.json"),
    /files\.allowedRoots: expected a list of absolute paths/,
  );
  for (const bad of [["10.0.0.0/33"], ["10.0.0.0"], "127.0.0.0/8"])
    assert.throws(
      () => mergeConfig(base, { security: { trustedClients: bad } }, "f.json"),
      /security\.trustedClients: expected a list of IPv4 networks/,
    );
  const ok = mergeConfig(base, { security: { trustedClients: ["10.2.0.0/16"] } }, "f.json");
  assert.deepEqual(ok.security.trustedClients, ["10.2.0.0/16"]);
  assert.deepEqual(ok.files.allowedRoots, ["/nix/store"]);
});

test("file, then flags over it", () => {
  const dir = mkdtempSync(join(tmpdir(), "lst-cfg-"));
  const f = join(dir, "c.json");
  writeFileSync(
    f,
    JSON.stringify({
      address: "10.1.2.3",
      http: { port: 8080 },
      hooks: { onInstalled: ["/bin/true"] },
    }),
  );
  const config = configFromArgs([
    "--config",
    f,
    "--http-port",
    "9090",
    "--no-dhcp",
    "--state-dir",
    "/tmp/x",
  ]);
  assert.equal(config.address, "10.1.2.3");
  assert.equal(config.http.port, 9090);
  assert.equal(config.dhcp.enable, false);
  assert.equal(config.stateDir, "/tmp/x");
  assert.deepEqual(config.hooks.onInstalled, ["/bin/true"]);
  writeFileSync(f, "{ not json");
  assert.throws(
    () => loadConfigFile(f),
    (e: Error) => e instanceof ConfigError && /not valid JSON/.test(e.message),
  );
  assert.throws(
    () => configFromArgs(["--http-port", "eighty"]),
    /--http-port: expected a whole number from 0 to 65535, got "eighty"/,
  );
  assert.throws(() => configFromArgs(["--bogus"]), /unknown option --bogus/);
});

test("ipxe.arm64 is null (arm64 clients unanswered) or a plain file name; tftp.threads 0..16", () => {
  const base = defaultConfig();
  assert.equal(base.ipxe.arm64, null);
  assert.equal(base.tftp.threads, 2);
  const set = mergeConfig(base, { ipxe: { arm64: "snponly-arm64.efi" } }, "f.json");
  assert.equal(set.ipxe.arm64, "snponly-arm64.efi");
  assert.equal(mergeConfig(set, { ipxe: { arm64: null } }, "f.json").ipxe.arm64, null);
  assert.throws(
    () => mergeConfig(base, { ipxe: { arm64: "../arm64.efi" } }, "f.json"),
    /ipxe\.arm64: expected a plain file name/,
  );
  assert.equal(mergeConfig(base, { tftp: { threads: 0 } }, "f.json").tftp.threads, 0);
  assert.throws(() => mergeConfig(base, { tftp: { threads: 17 } }, "f.json"), /tftp\.threads/);
});

test("dhcp.mode is proxy by default; server mode needs dhcp.server.subnet holding address", () => {
  const base = defaultConfig();
  assert.equal(base.dhcp.mode, "proxy");
  assert.equal(base.dhcp.server, null);
  assert.equal(dhcpServerOf(base), null, "proxy mode has no server settings");
  assert.throws(
    () => mergeConfig(base, { dhcp: { mode: "authoritative" } }, "f.json"),
    /f\.json: dhcp\.mode: expected one of "proxy", "server"/,
  );
  const noSubnet = mergeConfig(base, { address: "10.5.0.2", dhcp: { mode: "server" } }, "f.json");
  assert.throws(
    () => dhcpServerOf(noSubnet),
    (e: Error) => e instanceof ConfigError && /^dhcp\.server\.subnet: required/.test(e.message),
  );
  const server = { subnet: "10.5.0.0/24", range: "10.5.0.100-10.5.0.199", router: "10.5.0.1" };
  const ok = mergeConfig(base, { address: "10.5.0.2", dhcp: { mode: "server", server } }, "f.json");
  const typed = dhcpServerOf(ok)!;
  assert.equal(typed.local.cidr, "10.5.0.0/24");
  assert.equal(typed.local.leaseSeconds, 3600);
  assert.equal(typed.allowOtherServers, false);
  // The address is checked once every source is merged, not per source.
  const elsewhere = mergeConfig(ok, { address: "10.6.0.2" }, "command line");
  assert.throws(
    () => dhcpServerOf(elsewhere),
    /dhcp\.server\.subnet: 10\.5\.0\.0\/24 does not hold the appliance address 10\.6\.0\.2/,
  );
});

test("dhcp.server: unknown keys and addresses outside the subnet are errors naming the key", () => {
  const base = defaultConfig();
  const server = (extra: Record<string, unknown>) =>
    mergeConfig(base, { dhcp: { server: { subnet: "10.5.0.0/24", ...extra } } }, "f.json");
  assert.throws(() => server({ rnage: "x" }), /f\.json: dhcp\.server: unknown key "rnage"/);
  assert.throws(
    () => server({ router: "10.9.0.1" }),
    /dhcp\.server\.router: 10\.9\.0\.1 is not a host/,
  );
  assert.throws(
    () => server({ range: "10.5.0.10-10.5.1.10" }),
    /dhcp\.server\.range: 10\.5\.1\.10 is not a host/,
  );
  assert.throws(() => server({ dns: "10.5.0.1" }), /dhcp\.server\.dns: expected a list/);
  assert.throws(() => server({ leaseSeconds: 5 }), /dhcp\.server\.leaseSeconds/);
  assert.throws(
    () => mergeConfig(base, { dhcp: { server: "10.5.0.0/24" } }, "f.json"),
    /dhcp\.server: expected an object/,
  );
  assert.equal(server({}).dhcp.server?.subnet, "10.5.0.0/24");
});

test("--dhcp-mode and --force-dhcp over the file's dhcp.server", () => {
  const dir = mkdtempSync(join(tmpdir(), "lst-cfg-"));
  const f = join(dir, "c.json");
  writeFileSync(
    f,
    JSON.stringify({ address: "10.5.0.2", dhcp: { server: { subnet: "10.5.0.0/24" } } }),
  );
  const proxy = configFromArgs(["--config", f]);
  assert.equal(proxy.dhcp.mode, "proxy");
  const forced = configFromArgs(["--config", f, "--dhcp-mode", "server", "--force-dhcp"]);
  assert.equal(forced.dhcp.mode, "server");
  // The flag adds its key to the file's section; the subnet stays.
  assert.deepEqual(forced.dhcp.server, { subnet: "10.5.0.0/24", allowOtherServers: true });
  assert.equal(dhcpServerOf(forced)?.allowOtherServers, true);
  assert.throws(
    () => configFromArgs(["--address", "10.5.0.2", "--dhcp-mode", "server"]),
    /dhcp\.server\.subnet: required when dhcp\.mode is "server"/,
  );
  assert.throws(
    () => configFromArgs(["--config", f, "--dhcp-mode", "server", "--address", "10.7.0.1"]),
    /dhcp\.server\.subnet: 10\.5\.0\.0\/24 does not hold the appliance address 10\.7\.0\.1/,
  );
  assert.throws(() => configFromArgs(["--dhcp-mode", "relay"]), /dhcp\.mode: expected one of/);
});
