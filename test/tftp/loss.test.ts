import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { sha256 } from "./client.js";
import { makeTree, run } from "./fixtures.js";

const serveScript = fileURLToPath(new URL("../../scripts/bench/tftp-serve.js", import.meta.url));

async function sh(args: string[]): Promise<string> {
  const r = await run(args[0]!, args.slice(1));
  if (r.code !== 0) throw new Error(`${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/**
 * 10% loss on what the server sends (DATA, OACK): tc netem on the server's side of the veth
 * where the kernel has sch_netem, else (this machine's kernel is built without it) an
 * nftables rule in the client's namespace dropping a random tenth of the UDP datagrams it
 * receives. Dropping on input, not output: an output drop fails sendto() with EPERM, which
 * is not what a lossy wire looks like.
 */
async function lossy(serverNs: string, serverIf: string, clientNs: string, clientIf: string) {
  const tc = await run("tc", [
    "-n",
    serverNs,
    "qdisc",
    "add",
    "dev",
    serverIf,
    "root",
    "netem",
    "loss",
    "10%",
  ]);
  if (tc.code === 0) return;
  if (!/unknown/i.test(tc.stderr)) throw new Error(`tc netem: ${tc.stderr}`);
  const rules = `table inet lst_tftp_loss { chain in { type filter hook input priority 0; policy accept; iifname "${clientIf}" meta l4proto udp numgen random mod 100 < 10 drop; }; }`;
  await sh(["ip", "netns", "exec", clientNs, "nft", rules]);
}

test("10% loss of server packets on a veth pair between two namespaces: files intact; blksize capped by the link MTU", async () => {
  const tag = `lst-tftp-${process.pid}`;
  const [nsA, nsB] = [`${tag}-a`, `${tag}-b`];
  const [ifA, ifB] = [`lt${process.pid}a`.slice(0, 15), `lt${process.pid}b`.slice(0, 15)];
  const tree = await makeTree();
  const server = { proc: null as ReturnType<typeof spawn> | null };
  try {
    await sh(["ip", "netns", "add", nsA]);
    await sh(["ip", "netns", "add", nsB]);
    await sh([
      "ip",
      "link",
      "add",
      ifA,
      "netns",
      nsA,
      "type",
      "veth",
      "peer",
      "name",
      ifB,
      "netns",
      nsB,
    ]);
    for (const [ns, ifc, addr] of [
      [nsA, ifA, "10.77.0.1/24"],
      [nsB, ifB, "10.77.0.2/24"],
    ] as const) {
      await sh(["ip", "-n", ns, "addr", "add", addr, "dev", ifc]);
      // A tunnel-sized MTU: 1400 less the IPv4, UDP and TFTP headers is a blksize of 1368.
      await sh(["ip", "-n", ns, "link", "set", ifc, "mtu", "1400"]);
      await sh(["ip", "-n", ns, "link", "set", ifc, "up"]);
      await sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
    }
    await lossy(nsA, ifA, nsB, ifB);
    const links = JSON.parse(await sh(["ip", "-n", nsB, "-j", "link", "show", ifB])) as {
      address: string;
    }[];
    const clientMac = links[0]!.address;

    const proc = spawn(
      "ip",
      ["netns", "exec", nsA, process.execPath, serveScript, tree.root, "10.77.0.1", "0"],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    server.proc = proc;
    const lines = createInterface({ input: proc.stdout });
    const steps: { mac: string; outcome: string; file: string; bytes: number }[] = [];
    let stats: Record<string, number> | null = null;
    const port = await new Promise<number>((resolve, reject) => {
      proc.once("exit", (code) => reject(new Error(`server exited ${code}`)));
      lines.on("line", (line) => {
        const msg = JSON.parse(line) as {
          port?: number;
          step?: (typeof steps)[number];
          stats?: Record<string, number>;
        };
        if (msg.port !== undefined) resolve(msg.port);
        if (msg.step) steps.push(msg.step);
        if (msg.stats) stats = msg.stats;
      });
    });

    const out = `${tree.base}/out`;
    const fetches: [string, string[]][] = [
      [
        "odd.bin",
        // -v: curl reports the blksize the OACK granted.
        ["curl", "-sSv", "--tftp-blksize", "1468", "-o", out, `tftp://10.77.0.1:${port}/odd.bin`],
      ],
      ["odd.bin", ["curl", "-sS", "-o", out, `tftp://10.77.0.1:${port}/odd.bin`]],
      [
        "ipxe.efi",
        [
          ...["atftp", "--get", "-r", "ipxe.efi", "-l", out],
          ...["--option", "blksize 1468", "--option", "windowsize 16", "--option", "tsize 0"],
          ...["10.77.0.1", String(port)],
        ],
      ],
    ];
    for (const [name, cmd] of fetches) {
      const r = await run("ip", ["netns", "exec", nsB, ...cmd], 120000);
      assert.equal(r.code, 0, `${cmd.join(" ")}: ${r.stderr}`);
      if (cmd.includes("1468") && cmd[0] === "curl") {
        assert.match(r.stderr, /blksize parsed from OACK \(1368\) requested \(1468\)/);
      }
      assert.equal(sha256(await readFile(out)), sha256(tree.files[name]!), cmd.join(" "));
      await rm(out);
    }
    // The server learned the client's MAC from the neighbour table and reported each step.
    const deadline = Date.now() + 3000;
    while (steps.filter((s) => s.outcome === "complete").length < fetches.length) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const done = steps.filter((s) => s.outcome === "complete");
    assert.equal(done.length, fetches.length, JSON.stringify(steps));
    for (const s of done) assert.equal(s.mac, clientMac);
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await exited;
    server.proc = null;
    const final = stats as Record<string, number> | null;
    assert.ok((final?.retransmits ?? 0) > 0, "loss forced retransmissions");
  } finally {
    server.proc?.kill("SIGKILL");
    await run("ip", ["netns", "del", nsA]);
    await run("ip", ["netns", "del", nsB]);
    await tree.cleanup();
  }
});
