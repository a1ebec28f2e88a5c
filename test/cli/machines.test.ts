import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { controlRequest } from "../../src/control/client.js";
import { cliServes, landscaper } from "./run.js";

/** `machines` against a real `landscaper serve` on a temporary socket. */

const WEB = "52:54:00:0f:00:01";
const TWIN_A = "52:54:00:0f:00:0a";
const TWIN_B = "52:54:00:0f:00:0b";
const serve = cliServes();

test("a host name works wherever a MAC does: show, rearm, add (keeps the name), remove", async () => {
  const { s, kernel, cli } = await serve();
  const added = await cli(
    "add",
    WEB,
    "--kernel",
    kernel,
    "--initrd",
    kernel,
    "--hostname",
    "web-1",
  );
  assert.equal(added.code, 0, added.stderr);

  const show = await cli("show", "web-1");
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`^mac:\\s+${WEB}$`, "m"));
  // host names are matched as DNS matches them, ignoring case
  assert.match((await cli("show", "WEB-1")).stdout, new RegExp(`^mac:\\s+${WEB}$`, "m"));

  const rearm = await cli("rearm", "web-1", "--json");
  assert.equal(rearm.code, 0, rearm.stderr);
  assert.equal((JSON.parse(rearm.stdout) as { generation: number }).generation, 2);

  const update = await cli(
    "add",
    "web-1",
    "--kernel",
    kernel,
    "--initrd",
    kernel,
    "--cmdline",
    "quiet",
  );
  assert.equal(update.code, 0, update.stderr);
  assert.match(update.stdout, new RegExp(`^updated ${WEB} `));
  const after = await controlRequest(s.socket, "GET", `/v1/machines/${WEB}`);
  assert.equal((after.body as { hostname: string }).hostname, "web-1");

  const removed = await cli("remove", "web-1");
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(removed.stdout, `removed ${WEB}\n`);
});

test("an unknown or ambiguous name is a clear error, exit 1", async () => {
  const { kernel, cli } = await serve();
  for (const mac of [TWIN_A, TWIN_B])
    assert.equal(
      (await cli("add", mac, "--kernel", kernel, "--initrd", kernel, "--hostname", "twin")).code,
      0,
    );
  const unknown = await cli("show", "nosuch");
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stdout, "");
  assert.equal(
    unknown.stderr,
    `landscaper machines show: "nosuch" is neither a MAC address nor the host name of a registered machine\n`,
  );
  const twin = await cli("remove", "twin");
  assert.equal(twin.code, 1);
  assert.match(
    twin.stderr,
    new RegExp(`host name "twin" names 2 machines \\(${TWIN_A}, ${TWIN_B}\\); give the MAC`),
  );
  // nothing was removed on a guess
  const list = JSON.parse((await cli("list", "--json")).stdout) as unknown[];
  assert.equal(list.length, 2);
  // a new machine is added by its MAC; a name must already be registered
  const byName = await cli("add", "newbox", "--kernel", kernel, "--initrd", kernel);
  assert.equal(byName.code, 1);
  assert.match(
    byName.stderr,
    /"newbox" is neither a MAC address nor the host name of a registered machine; a new machine is added by its MAC\n$/,
  );
});

test("the control API's refusal is printed with its status, exit 1", async () => {
  const { kernel, cli } = await serve();
  const r = await cli(
    "add",
    WEB,
    "--kernel",
    kernel,
    "--initrd",
    kernel,
    "--hostname",
    "not_a_host!",
  );
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(
    r.stderr,
    /^landscaper machines add: .*hostname.*expected a DNS host name.*\(HTTP 400\)\n$/,
  );
  const missing = await cli("show", "52:54:00:0f:00:99");
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /\(HTTP 404\)/);
});

test("a kernel outside the allowed roots is refused, naming the roots, exit 1", async () => {
  const { kernel, cli } = await serve();
  const r = await cli("add", WEB, "--kernel", "/etc/shadow", "--initrd", kernel);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /\/etc\/shadow is outside the directories files are served from/);
  assert.match(r.stderr, /files\.allowedRoots and ipxe\.dir: /);
  assert.match(r.stderr, /\(HTTP 400\)\n$/);
  const shown = await cli("show", WEB);
  assert.match(shown.stderr, /\(HTTP 404\)/, "nothing was registered");
});

test("every --json output is exactly one JSON document", async () => {
  const { kernel, cli } = await serve();
  const docs = [
    await cli("list", "--json"),
    await cli("add", WEB, "--kernel", kernel, "--initrd", kernel, "--hostname", "web-1", "--json"),
    await cli("list", "--json"),
    await cli("show", "web-1", "--json"),
    await cli("rearm", WEB, "--json"),
    await cli("remove", "web-1", "--json"),
  ];
  for (const d of docs) {
    assert.equal(d.code, 0, d.stderr);
    JSON.parse(d.stdout); // throws on two documents or on trailing text
  }
  assert.deepEqual(JSON.parse(docs[0]!.stdout), []);
  assert.deepEqual(JSON.parse(docs[5]!.stdout), { removed: WEB });
});

test("a control socket that is not there: exit 3 with the path and a hint, for every client command", async () => {
  const { s } = await serve();
  const nope = join(s.dir, "nope.sock");
  for (const args of [
    ["machines", "list"],
    ["machines", "show", "web-1"],
    ["machines", "show", WEB],
    ["machines", "add", WEB, "--kernel", "k", "--initrd", "i"],
    ["machines", "rearm", WEB],
    ["machines", "remove", WEB],
    ["watch", "--lines"],
    ["watch", "--mac", "web-1"],
  ]) {
    const r = await landscaper([...args, "--socket", nope]);
    assert.equal(r.code, 3, `${args.join(" ")}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /cannot reach the control socket .*nope\.sock: ENOENT; is `landscaper serve` running\?/,
    );
  }
});
