import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ROOT } from "../../src/cli/commands.js";
import { manPage } from "../../src/cli/man.js";
import { packageVersion } from "../../src/core/version.js";
import { allCommands, commandName, optionsOf } from "../../src/cli/spec.js";
import { CLI_DOC, renderedReference } from "../../scripts/cli-docs.js";

test("docs/cli.md is what scripts/cli-docs makes of the spec (run it after changing a command)", async () => {
  assert.equal(readFileSync(CLI_DOC, "utf8"), await renderedReference());
  const doc = readFileSync(CLI_DOC, "utf8");
  for (const spec of allCommands(ROOT).slice(1)) {
    assert.ok(doc.includes(`## ${commandName(spec)}\n`), commandName(spec));
    for (const o of optionsOf(spec)) assert.ok(doc.includes(`--${o.name}`), o.name);
  }
});

/** `man -l` as a person would run it, with groff's warnings on, 80 columns, plain text. */
function man(file: string) {
  return spawnSync("man", ["--warnings=w", "-l", file], {
    encoding: "utf8",
    env: { ...process.env, MANWIDTH: "80", MAN_KEEP_FORMATTING: "", PAGER: "cat", LANG: "C.UTF-8" },
  });
}

test("landscaper(1) renders with man -l without a warning and holds every command and option", () => {
  const dir = mkdtempSync(join(tmpdir(), "lst-man-"));
  try {
    // the file package.nix and scripts/install put in share/man/man1
    const r = spawnSync(
      process.execPath,
      [resolve(import.meta.dirname, "../../src/cli/install-files.js"), dir],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    const page = join(dir, "share/man/man1/landscaper.1");
    assert.equal(readFileSync(page, "utf8"), manPage(ROOT, packageVersion()));
    const out = man(page);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stderr, "", "groff warnings");
    const text = out.stdout; // piped: man-db leaves out the overstrike bold
    assert.match(text, /^LANDSCAPER\(1\)/);
    for (const section of [
      "NAME",
      "SYNOPSIS",
      "DESCRIPTION",
      "COMMANDS",
      "EXIT STATUS",
      "ENVIRONMENT",
    ])
      assert.match(text, new RegExp(`^${section}$`, "m"));
    for (const spec of allCommands(ROOT).filter((c) => !c.subcommands)) {
      assert.ok(text.includes(commandName(spec)), commandName(spec));
      for (const o of optionsOf(spec))
        assert.ok(text.includes(`--${o.name}`), `${commandName(spec)} --${o.name}`);
    }
    // hyphens are typed hyphen-minus (\-), so an option copied from the page works
    assert.ok(text.includes("--kernel FILE"));
    for (const code of ["0", "1", "2", "3"]) assert.match(text, new RegExp(`^ {7}${code}\\s`, "m"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a roff mistake would show: man -l reports groff's warnings on stderr", () => {
  const dir = mkdtempSync(join(tmpdir(), "lst-man-"));
  try {
    const page = join(dir, "bad.1");
    spawnSync("sh", ["-c", `printf '.TH X 1\\n.SH NAME\\nx \\\\- y\\n.BOGUS\\n' > ${page}`]);
    assert.match(man(page).stderr, /BOGUS|warning/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
