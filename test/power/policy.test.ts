import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { bmcEndpoint, InvalidBmc, parseBmc } from "../../src/power/bmc.js";
import {
  classifyFailure,
  confirmed,
  ipmitoolArgs,
  parsePowerStatus,
} from "../../src/power/ipmitool.js";
import { powerDecision, type PowerTrigger } from "../../src/power/policy.js";
import { SerialQueues } from "../../src/power/serial.js";
import { STATES } from "../../src/registry/machine.js";

const good = {
  protocol: "ipmi",
  address: "10.0.9.21",
  username: "admin",
  passwordFile: "/run/secrets/bmc-web-1",
};

test("parseBmc fills in the defaults", () => {
  assert.deepEqual(parseBmc(good), {
    ...good,
    port: 623,
    cipherSuite: null,
    firmware: "uefi",
  });
  const v6 = parseBmc({ ...good, address: "fd00::21", port: 6230, cipherSuite: 17 });
  assert.equal(bmcEndpoint(v6), "[fd00::21]:6230");
  assert.equal(
    parseBmc({ ...good, address: "bmc-web-1.mgmt.example" }).address,
    "bmc-web-1.mgmt.example",
  );
});

test("parseBmc names the offending field", () => {
  const cases: [unknown, string, RegExp][] = [
    [null, "bmc", /expected an object/],
    [[], "bmc", /expected an object/],
    [{ ...good, protocol: "redfish" }, "bmc.protocol", /"ipmi"/],
    [{ ...good, address: "not a host!" }, "bmc.address", /IP address or DNS name/],
    [{ ...good, address: 7 }, "bmc.address", /IP address or DNS name/],
    [{ ...good, port: 0 }, "bmc.port", /1-65535/],
    [{ ...good, port: "623" }, "bmc.port", /1-65535/],
    [{ ...good, port: 70000 }, "bmc.port", /1-65535/],
    [{ ...good, username: "" }, "bmc.username", /1-16 printable/],
    [{ ...good, username: "a-very-long-user-name" }, "bmc.username", /1-16 printable/],
    [{ ...good, username: "root\n" }, "bmc.username", /1-16 printable/],
    [{ ...good, passwordFile: "secrets/bmc" }, "bmc.passwordFile", /absolute path/],
    [{ ...good, passwordFile: undefined }, "bmc.passwordFile", /absolute path/],
    [{ ...good, cipherSuite: 18 }, "bmc.cipherSuite", /0-17/],
    [{ ...good, firmware: "efi" }, "bmc.firmware", /"uefi" or "bios"/],
    [{ ...good, password: "hunter2" }, "bmc.password", /unknown field/],
  ];
  for (const [input, field, why] of cases) {
    assert.throws(
      () => parseBmc(input),
      (e: unknown) =>
        e instanceof InvalidBmc &&
        e.field === field &&
        why.test(e.message) &&
        e.message.startsWith(`${field}: `),
      `${JSON.stringify(input)} -> ${field}`,
    );
  }
  assert.throws(
    () => parseBmc({ ...good, port: -1 }, "machines.web-1.bmc"),
    /^InvalidBmc: machines\.web-1\.bmc\.port: /,
  );
});

test("ipmitool arguments: lanplus, password from the environment, bounded retries", () => {
  const bmc = parseBmc({ ...good, cipherSuite: 3 });
  const args = ipmitoolArgs(bmc, "pxe-once", { attemptSeconds: 2, retries: 3 });
  assert.deepEqual(args, [
    "-I",
    "lanplus",
    "-H",
    "10.0.9.21",
    "-p",
    "623",
    "-U",
    "admin",
    "-E",
    "-N",
    "2",
    "-R",
    "3",
    "-v",
    "-C",
    "3",
    "chassis",
    "bootdev",
    "pxe",
    "options=efiboot",
  ]);
  assert.deepEqual(
    ipmitoolArgs(parseBmc({ ...good, firmware: "bios" }), "pxe-once", {
      attemptSeconds: 1,
      retries: 1,
    }).slice(-3),
    ["chassis", "bootdev", "pxe"],
  );
  assert.ok(
    !ipmitoolArgs(parseBmc(good), "status", { attemptSeconds: 1, retries: 1 }).includes("-C"),
  );
  // Whatever the user name holds, it stays one argument after -U (no shell ever sees it).
  fc.assert(
    fc.property(fc.stringMatching(/^[\x20-\x7e]{1,16}$/), (username) => {
      const a = ipmitoolArgs(parseBmc({ ...good, username }), "on", {
        attemptSeconds: 1,
        retries: 1,
      });
      assert.equal(a[a.indexOf("-U") + 1], username);
      assert.ok(!a.includes("-P") && !a.includes("-f"));
    }),
  );
});

test("power status and confirmations are read from stdout, not the exit status alone", () => {
  assert.equal(parsePowerStatus("Chassis Power is on\n"), "on");
  assert.equal(parsePowerStatus("Chassis Power is off\n"), "off");
  assert.equal(parsePowerStatus("garbage"), null);
  assert.ok(confirmed("pxe-once", 0, "Set Boot Device to pxe\n"));
  // ipmitool 1.8.19 exits 0 from `chassis bootdev` even when the BMC refused it.
  assert.ok(!confirmed("pxe-once", 0, ""));
  assert.ok(!confirmed("on", 1, "Chassis Power Control: Up/On\n"));
  assert.ok(confirmed("cycle", 0, "Chassis Power Control: Cycle\n"));
});

test("ipmitool's messages (as ipmi_sim provokes them) become failure kinds", () => {
  const iana = "Loading IANA PEN Registry...\n";
  assert.deepEqual(
    classifyFailure(
      `${iana}> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session\n`,
    ),
    {
      kind: "auth",
      detail: "the BMC refused the password",
    },
  );
  assert.equal(
    classifyFailure("RAKP 2 message indicates an error : unauthorized name\n").kind,
    "auth",
  );
  assert.equal(
    classifyFailure(
      `${iana}Get Auth Capabilities error\nError issuing Get Channel Authentication Capabilities request\nError: Unable to establish IPMI v2 / RMCP+ session\n`,
    ).kind,
    "unreachable",
  );
  const refused = classifyFailure(
    "Invalid completion code received: Invalid command\nSet Chassis Boot Parameter 5 failed: Invalid data field in request\n",
  );
  assert.equal(refused.kind, "unsupported");
  assert.equal(
    refused.detail,
    'the BMC refused "Set Chassis Boot Parameter 5": Invalid data field in request',
  );
  assert.equal(
    classifyFailure("Set Chassis Power Control to Up/On failed: Unspecified error\n").kind,
    "failed",
  );
  assert.equal(classifyFailure("").detail, "ipmitool failed without a message");
});

test("policy: arming powers on or cycles; a re-apply never cycles and leaves started machines alone", () => {
  const triggers: PowerTrigger[] = ["registration", "rearm", "reinstall", "reapply"];
  for (const trigger of triggers) {
    for (const state of STATES) {
      for (const bootStarted of [false, true]) {
        const without = powerDecision(trigger, { state, bootStarted, hasBmc: false });
        assert.equal(without.action, null, "no BMC, no power action");
        const d = powerDecision(trigger, { state, bootStarted, hasBmc: true });
        if (trigger === "reapply") {
          // Only ensure-on (which never cycles), and only for an armed machine not yet booting.
          assert.equal(
            d.action,
            state === "registered" && !bootStarted ? "ensure-on" : null,
            `${state} ${bootStarted}`,
          );
        } else {
          assert.equal(d.action, "arm");
        }
      }
    }
  }
  assert.match(
    powerDecision("reapply", { state: "installed", bootStarted: true, hasBmc: true }).why,
    /installed machine alone/,
  );
});

test("SerialQueues: one key runs in order, a failure does not stop the next, keys are forgotten", async () => {
  const q = new SerialQueues();
  const log: string[] = [];
  const step =
    (name: string, ms: number, fail = false) =>
    () =>
      new Promise<string>((resolve, reject) => {
        log.push(`start ${name}`);
        setTimeout(() => {
          log.push(`end ${name}`);
          if (fail) reject(new Error(name));
          else resolve(name);
        }, ms);
      });
  const a = q.run("bmc-1", step("a", 30, true));
  const b = q.run("bmc-1", step("b", 1));
  const c = q.run("bmc-2", step("c", 5));
  await assert.rejects(a, /a/);
  assert.equal(await b, "b");
  assert.equal(await c, "c");
  assert.deepEqual(log, ["start a", "start c", "end c", "end a", "start b", "end b"]);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(q.busy(), 0);
});
