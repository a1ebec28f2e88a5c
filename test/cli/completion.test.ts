import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { controlRequest } from "../../src/control/client.js";
import { cleanup, CLI, startServe, type RunningServe } from "../support/appliance.js";

/**
 * The completion scripts as shells load them from where the packages put them
 * (install-files.js into a temporary prefix), completing against a real `landscaper serve`.
 * `landscaper` is on PATH as a wrapper around the built CLI, as an installed one would be.
 */

const WEB = "52:54:00:0d:00:01";
const DB = "52:54:00:0e:00:02";
let s: RunningServe;
let dir: string;
let share: string;
let env: NodeJS.ProcessEnv;
let silent: Server;

function sh(cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>(
    (res, rej) => {
      const t0 = Date.now();
      const p = spawn(cmd, args, { env: { ...env, ...extra }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
      p.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
      const timer = setTimeout(() => p.kill("SIGKILL"), 30_000);
      p.on("error", rej);
      p.on("close", (code) => {
        clearTimeout(timer);
        res({ code, stdout, stderr, ms: Date.now() - t0 });
      });
    },
  );
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "lst-completion-"));
  // The registered kernel lives in this test's directory: serve allows it as a file root.
  s = await startServe({ config: { files: { allowedRoots: [dir] } } });
  await mkdir(join(dir, "bin"));
  await mkdir(join(dir, "home"));
  await writeFile(join(dir, "bin/landscaper"), `#!/bin/sh\nexec ${process.execPath} ${CLI} "$@"\n`);
  await chmod(join(dir, "bin/landscaper"), 0o755);
  const installed = await new Promise<number | null>((res) =>
    spawn(
      process.execPath,
      [resolve(import.meta.dirname, "../../src/cli/install-files.js"), join(dir, "prefix")],
      {
        stdio: "ignore",
      },
    ).on("close", res),
  );
  assert.equal(installed, 0);
  share = join(dir, "prefix/share");
  env = {
    PATH: `${join(dir, "bin")}:${process.env.PATH ?? ""}`,
    HOME: join(dir, "home"),
    XDG_CONFIG_HOME: join(dir, "home"),
    XDG_DATA_DIRS: share,
    LANDSCAPER_SOCKET: s.socket,
    LANG: "C.UTF-8",
  };
  await writeFile(join(dir, "vmlinuz"), "k");
  for (const [mac, hostname] of [
    [WEB, "web-1"],
    [DB, "db-1"],
  ] as const)
    await controlRequest(s.socket, "PUT", `/v1/machines/${mac}`, {
      kernel: join(dir, "vmlinuz"),
      initrd: join(dir, "vmlinuz"),
      hostname,
    });
  // a socket that accepts and never answers: completion must give up, not hang the shell
  silent = createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(join(dir, "silent.sock"), r));
});

after(async () => {
  silent?.close();
  if (s) await cleanup(s);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * bash: the line as the user typed it up to the cursor; COMP_WORDS split as readline does
 * (a MAC's ':' is a word break), then the registered function is called as bash would.
 */
function bash(line: string, extra: NodeJS.ProcessEnv = {}) {
  const script = `
    source /usr/share/bash-completion/bash_completion
    _completion_loader landscaper
    complete -p landscaper >&2
    COMP_LINE=$LINE; COMP_POINT=\${#COMP_LINE}
    read -r -a COMP_WORDS <<<"\${COMP_LINE//:/ : }"
    [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
    fn=$(complete -p landscaper | sed -n 's/.*-F \\([^ ]*\\) .*/\\1/p')
    "$fn" landscaper "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
    (( \${#COMPREPLY[@]} == 0 )) || printf '%s\\n' "\${COMPREPLY[@]}"`;
  return sh("bash", ["--norc", "--noprofile", "-c", script], { LINE: line, ...extra });
}

const lines = (out: string) => out.split("\n").filter(Boolean).sort();

test("bash: bash-completion finds the script in share/bash-completion/completions and registers it", async () => {
  const r = await bash("landscaper ");
  assert.match(r.stderr, /^complete -F _landscaper landscaper$/m);
  assert.deepEqual(lines(r.stdout), ["completion", "doctor", "help", "machines", "serve", "watch"]);
});

test("bash: commands, subcommands, options, fixed values and files", async () => {
  assert.deepEqual(lines((await bash("landscaper mach")).stdout), ["machines"]);
  assert.deepEqual(lines((await bash("landscaper machines ")).stdout), [
    "add",
    "discovered",
    "list",
    "power",
    "rearm",
    "remove",
    "show",
  ]);
  assert.deepEqual(lines((await bash("landscaper machines add x --ke")).stdout), ["--kernel"]);
  assert.deepEqual(lines((await bash("landscaper machines power x o")).stdout), ["off", "on"]);
  assert.deepEqual(lines((await bash("landscaper serve --no-")).stdout), [
    "--no-dhcp",
    "--no-mdns",
    "--no-tftp",
  ]);
  assert.deepEqual(lines((await bash("landscaper completion ")).stdout), ["bash", "fish", "zsh"]);
  assert.deepEqual(lines((await bash(`landscaper machines add x --kernel ${dir}/vml`)).stdout), [
    `${dir}/vmlinuz`,
  ]);
  assert.deepEqual(lines((await bash(`landscaper serve --state-dir ${dir}/h`)).stdout), [
    `${dir}/home`,
  ]);
});

test("bash: registered MACs and host names, asked of the control socket", async () => {
  assert.deepEqual(
    lines((await bash("landscaper machines show ")).stdout),
    [WEB, DB, "db-1", "web-1"].sort(),
  );
  assert.deepEqual(lines((await bash("landscaper machines rearm we")).stdout), ["web-1"]);
  assert.deepEqual(lines((await bash("landscaper watch --mac d")).stdout), ["db-1"]);
  // after a ':' readline replaces only the last part of the word; the reply is cut to match
  assert.deepEqual(lines((await bash("landscaper machines show 52:54:00:0e")).stdout), [
    "0e:00:02",
  ]);
  // --socket on the line wins over LANDSCAPER_SOCKET
  const viaFlag = await bash(`landscaper machines show --socket ${s.socket} w`, {
    LANDSCAPER_SOCKET: "/nonexistent",
  });
  assert.deepEqual(lines(viaFlag.stdout), ["web-1"]);
});

test("bash: no socket, or one that never answers: no candidates, nothing printed, bounded", async () => {
  const gone = await bash("landscaper machines show ", {
    LANDSCAPER_SOCKET: join(dir, "nope.sock"),
  });
  assert.equal(gone.code, 0);
  assert.equal(gone.stdout, "");
  assert.doesNotMatch(gone.stderr, /landscaper:|Error|ENOENT/);
  const hung = await bash("landscaper machines show ", {
    LANDSCAPER_SOCKET: join(dir, "silent.sock"),
  });
  assert.equal(hung.stdout, "");
  assert.ok(hung.ms < 10_000, `took ${hung.ms} ms`);
});

/** fish: `complete -C LINE` asks fish's own completion machinery, which autoloads the script. */
async function fish(line: string, extra: NodeJS.ProcessEnv = {}) {
  const r = await sh("fish", ["-c", `complete -C ${JSON.stringify(line)}`], extra);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t")[0])
    .sort();
}

test("fish: loaded from share/fish/vendor_completions.d; commands, options, machines, files", async () => {
  assert.deepEqual(await fish("landscaper mach"), ["machines"]);
  assert.deepEqual(await fish("landscaper machines "), [
    "add",
    "discovered",
    "list",
    "power",
    "rearm",
    "remove",
    "show",
  ]);
  assert.deepEqual(await fish("landscaper watch --un"), ["--until-done"]);
  assert.deepEqual(await fish("landscaper machines show "), [WEB, DB, "db-1", "web-1"].sort());
  assert.deepEqual(await fish("landscaper machines show 52:54:00:0e"), [DB]);
  assert.deepEqual(await fish(`landscaper machines add x --initrd ${dir}/vml`), [`${dir}/vmlinuz`]);
  assert.deepEqual(
    await fish("landscaper machines show ", { LANDSCAPER_SOCKET: "/nonexistent" }),
    [],
  );
  // descriptions come along: fish shows them beside the candidates
  const r = await sh("fish", ["-c", "complete -C 'landscaper machines show web'"]);
  assert.match(r.stdout, new RegExp(`^web-1\\t${WEB}$`, "m"));
});

/**
 * zsh: compinit must pick `_landscaper` up from share/zsh/site-functions (its #compdef
 * line). The function is then run as the completion system runs it (words, CURRENT set),
 * with _describe and _files recording what they were given instead of drawing a menu.
 */
async function zsh(line: string, extra: NodeJS.ProcessEnv = {}) {
  const script = `
    fpath=(${share}/zsh/site-functions $fpath)
    autoload -Uz compinit && compinit -u -D
    print -r -- "registered: \${_comps[landscaper]}" >&2
    _describe() { print -rl -- "\${(@P)2}" }
    _files() { print -r -- "_files $*" }
    words=(\${(z)LINE}); [[ $LINE == *" " ]] && words+=("")
    CURRENT=\${#words}
    autoload -Uz _landscaper && _landscaper`;
  const r = await sh("zsh", ["-f", "-c", script], { LINE: line, ...extra });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^registered: _landscaper$/m);
  return r.stdout.split("\n").filter(Boolean).sort();
}

test("zsh: compinit finds _landscaper in share/zsh/site-functions; candidates with descriptions", async () => {
  assert.deepEqual(await zsh("landscaper mach"), [
    "machines:list, show, add, rearm, power or remove registered machines",
  ]);
  assert.deepEqual(await zsh("landscaper completion "), ["bash", "fish", "zsh"]);
  // a ':' in a candidate is escaped, since _describe splits value and description at ':'
  assert.deepEqual(await zsh("landscaper machines show 52:54:00:0e"), [
    "52\\:54\\:00\\:0e\\:00\\:02:db-1",
  ]);
  assert.deepEqual(await zsh("landscaper machines show d"), [`db-1:${DB}`]);
  assert.deepEqual(await zsh("landscaper machines add x --kernel "), ["_files "]);
  assert.deepEqual(await zsh("landscaper doctor --ipxe-dir "), ["_files -/"]);
  assert.deepEqual(
    await zsh("landscaper machines show ", { LANDSCAPER_SOCKET: "/nonexistent" }),
    [],
  );
});

/** zsh for real: an interactive zsh under zpty, Tab pressed, the edited line read back. */
async function zshTab(line: string): Promise<string> {
  const out = join(dir, "zsh-buffer");
  await rm(out, { force: true });
  await rm(`${out}.buf`, { force: true });
  const driver = resolve(import.meta.dirname, "../../../test/cli/zsh-complete.zsh");
  const r = await sh("zsh", ["-f", driver, join(share, "zsh/site-functions"), out, line]);
  assert.equal(r.code, 0, r.stderr);
  return (await readFile(out, "utf8").catch(() => "")).replace(/\n$/, "");
}

test("zsh, interactive: Tab completes commands, files, host names and MACs in the line", async () => {
  assert.equal(await zshTab("landscaper mach"), "landscaper machines ");
  assert.equal(await zshTab("landscaper machines show we"), "landscaper machines show web-1 ");
  assert.equal(
    await zshTab("landscaper machines show 52:54:00:0e"),
    `landscaper machines show ${DB} `,
  );
  assert.equal(
    await zshTab(`landscaper machines add x --kernel ${dir}/vml`),
    `landscaper machines add x --kernel ${dir}/vmlinuz `,
  );
});
