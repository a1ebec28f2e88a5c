// A machine's reserved address (`ipv4`) through the doors of a real `landscaper serve`: the
// control API on its socket (400 naming the field, 409 naming the other machine, shown in
// GET) and `landscaper machines add --ipv4`, `list`, `show`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { cliServes } from "./run.js";

const WEB1 = "52:54:00:0e:01:01";
const WEB2 = "52:54:00:0e:01:02";
const serve = cliServes();

/** One request on the control socket, the answer as sent: status and parsed body. */
function call(
  socket: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path }, (res) => {
      let text = "";
      res.on("data", (b: Buffer) => (text += b.toString()));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
      );
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

test("control API: ipv4 is stored and shown, a bad one is a 400, a taken one a 409", async () => {
  const { s, kernel } = await serve();
  const reg = (hostname: string, ipv4: unknown) => ({
    kernel,
    initrd: kernel,
    hostname,
    ipv4,
  });
  const put = (mac: string, body: unknown) => call(s.socket, "PUT", `/v1/machines/${mac}`, body);

  const created = await put(WEB1, reg("web-1", "10.0.0.21"));
  assert.equal(created.status, 201);
  assert.equal(created.body.ipv4, "10.0.0.21");
  assert.equal((await call(s.socket, "GET", `/v1/machines/${WEB1}`)).body.ipv4, "10.0.0.21");

  const bad = await put(WEB2, reg("web-2", "10.0.0.300"));
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body, {
    error: {
      code: "invalid",
      message: 'ipv4: expected an IPv4 unicast address such as "10.0.0.5", got "10.0.0.300"',
    },
    field: "ipv4",
  });
  const multicast = await put(WEB2, reg("web-2", "239.1.2.3"));
  assert.equal(multicast.status, 400);
  assert.equal(multicast.body.field, "ipv4");

  const taken = await put(WEB2, reg("web-2", "10.0.0.21"));
  assert.equal(taken.status, 409);
  assert.deepEqual(taken.body, {
    error: {
      code: "conflict",
      message: `ipv4: 10.0.0.21 is already reserved for machine ${WEB1} (web-1); remove or change that machine's ipv4 first`,
    },
    field: "ipv4",
    machine: WEB1,
  });
  assert.equal((await call(s.socket, "GET", `/v1/machines/${WEB2}`)).status, 404);

  // Once web-1 lets go of it, web-2 may have it.
  assert.equal((await put(WEB1, reg("web-1", "10.0.0.22"))).status, 200);
  assert.equal((await put(WEB2, reg("web-2", "10.0.0.21"))).status, 201);
  const list = (await call(s.socket, "GET", "/v1/machines")).body.machines as {
    ipv4: string;
  }[];
  assert.deepEqual(
    list.map((m) => m.ipv4),
    ["10.0.0.22", "10.0.0.21"],
  );
});

test("machines add --ipv4: shown in list and show, kept on update, refused when taken", async () => {
  const { kernel, cli } = await serve();
  const add = (...args: string[]) => cli("add", ...args, "--kernel", kernel, "--initrd", kernel);
  const added = await add(WEB1, "--hostname", "web-1", "--ipv4", "10.0.0.21");
  assert.equal(added.code, 0, added.stderr);

  const list = await cli("list");
  assert.match(list.stdout, /^MAC\s+HOSTNAME\s+IPV4\s+LEASED\s+STATE/);
  assert.match(
    list.stdout,
    new RegExp(`^${WEB1}\\s+web-1\\s+10\\.0\\.0\\.21\\s+-\\s+registered`, "m"),
  );
  const shown = (await cli("show", "web-1")).stdout;
  assert.match(shown, /^ipv4:\s+10\.0\.0\.21$/m);
  assert.match(shown, /^leased:\s+-$/m, "proxy mode leases nothing");

  // An update without --ipv4 keeps the address (as it keeps the host name).
  assert.equal((await add("web-1", "--cmdline", "quiet")).code, 0);
  assert.match((await cli("show", "web-1")).stdout, /^ipv4:\s+10\.0\.0\.21$/m);

  const taken = await add(WEB2, "--hostname", "web-2", "--ipv4", "10.0.0.21");
  assert.equal(taken.code, 1);
  assert.match(
    taken.stderr,
    new RegExp(
      `^landscaper machines add: ipv4: 10\\.0\\.0\\.21 is already reserved for machine ${WEB1} \\(web-1\\).*\\(HTTP 409\\)\\n$`,
    ),
  );
  const bad = await add(WEB2, "--ipv4", "web-2.example.org");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /ipv4: expected an IPv4 unicast address.*\(HTTP 400\)/);

  // `--ipv4 none` drops it; the address is free for web-2.
  assert.equal((await add("web-1", "--ipv4", "none")).code, 0);
  assert.match((await cli("show", "web-1")).stdout, /^ipv4:\s+-$/m);
  const web2 = await add(WEB2, "--ipv4", "10.0.0.21", "--json");
  assert.equal(web2.code, 0, web2.stderr);
  assert.equal((JSON.parse(web2.stdout) as { ipv4: string }).ipv4, "10.0.0.21");
});
