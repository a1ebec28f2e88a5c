import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { ROOT } from "../../src/cli/commands.js";
import { allCommands, commandName, optionsOf, usageLine } from "../../src/cli/spec.js";
import { landscaper } from "./run.js";

/** Every command and subcommand the spec knows, so a new one is covered without a new test. */
const COMMANDS = allCommands(ROOT);
const VERSION = (
  JSON.parse(readFileSync(resolve(import.meta.dirname, "../../../package.json"), "utf8")) as {
    version: string;
  }
).version;

test("the spec has commands and subcommands to test", () => {
  assert.ok(COMMANDS.length >= 10, COMMANDS.map(commandName).join(", "));
  assert.ok(COMMANDS.some((c) => c.path.join(" ") === "machines add"));
});

for (const spec of COMMANDS) {
  const name = commandName(spec);
  test(`${name} --help and -h: usage, every option, examples, exit status; stdout, exit 0`, async () => {
    for (const flag of ["--help", "-h"]) {
      const r = await landscaper([...spec.path, flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "");
      assert.ok(r.stdout.startsWith(`usage: ${usageLine(spec)}\n`), r.stdout);
      for (const o of optionsOf(spec)) assert.match(r.stdout, new RegExp(`--${o.name}\\b`));
      for (const e of spec.examples ?? []) assert.ok(r.stdout.includes(e.command), e.command);
      for (const c of spec.subcommands ?? [])
        if (!c.hidden) assert.match(r.stdout, new RegExp(`^  ${c.path.at(-1)}\\s`, "m"));
      assert.match(r.stdout, /^exit status:$/m);
    }
    // `landscaper help COMMAND` is the same text
    if (spec.path.length > 0)
      assert.equal(
        (await landscaper(["help", ...spec.path])).stdout,
        (await landscaper([...spec.path, "--help"])).stdout,
      );
  });

  test(`${name} with an unknown option: the mistake and the usage on stderr, exit 2`, async () => {
    const r = await landscaper([...spec.path, "--no-such-option"]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.ok(r.stderr.startsWith(`${name}: unknown option --no-such-option\n`), r.stderr);
    assert.ok(r.stderr.includes(`usage: ${usageLine(spec)}`), r.stderr);
  });
}

test("a group without its command, or with an unknown one, lists its commands on stderr, exit 2", async () => {
  for (const args of [[], ["machines"], ["machines", "frobnicate"], ["frobnicate"]]) {
    const r = await landscaper(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /(missing command|unknown command "frobnicate")/);
    assert.match(r.stderr, /^commands:$/m);
  }
});

test("wrong arguments and values name the mistake, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [["machines", "show"], /missing MACHINE/],
    [["machines", "show", "a", "b"], /unexpected argument "b"/],
    [["machines", "add", "52:54:00:00:00:01", "--initrd", "i"], /missing --kernel FILE/],
    [
      ["serve", "--http-port", "eighty"],
      /--http-port: expected a whole number from 0 to 65535, got "eighty"/,
    ],
    [["serve", "--http-port", "65536"], /--http-port: expected a whole number from 0 to 65535/],
    [["doctor", "--probe-seconds", "0"], /--probe-seconds: expected a whole number from 1 to 60/],
    [["serve", "--no-dhcp=yes"], /--no-dhcp takes no value/],
    [["serve", "--address"], /--address needs a value/],
    [["watch", "--mac", "-x"], /--mac: a value starting with "-" must be written --mac=VALUE/],
    [["completion", "tcsh"], /SHELL must be one of bash, zsh, fish, got "tcsh"/],
    [["help", "frobnicate"], /unknown command "frobnicate"/],
  ];
  for (const [args, message] of cases) {
    const r = await landscaper(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /usage: landscaper/);
  }
});

test("--version prints package.json's version for both binaries", async () => {
  const r = await landscaper(["--version"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `landscaper ${VERSION}\n`);
  const provider = resolve(import.meta.dirname, "../../src/provider/main.js");
  const p = spawnSync(process.execPath, [provider, "--version"], { encoding: "utf8" });
  assert.equal(p.status, 0, p.stderr);
  assert.equal(p.stdout, `nixops4-resources-landscaper ${VERSION}\n`);
  const h = spawnSync(process.execPath, [provider, "--help"], { encoding: "utf8" });
  assert.equal(h.status, 0);
  assert.match(h.stdout, /^usage: nixops4-resources-landscaper/);
  const bad = spawnSync(process.execPath, [provider, "--frob"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /usage: nixops4-resources-landscaper/);
});

test("serve --check-config prints one JSON document with the flags applied", async () => {
  const r = await landscaper(["serve", "--check-config", "--http-port", "8080", "--no-mdns"]);
  assert.equal(r.code, 0, r.stderr);
  const config = JSON.parse(r.stdout) as { http: { port: number }; mdns: { enable: boolean } };
  assert.equal(config.http.port, 8080);
  assert.equal(config.mdns.enable, false);
});
