// DEVELOPMENT SCAFFOLD ONLY (LAB_STANDIN=1): a stand-in for `landscaper serve`'s HTTP and
// control socket, used with dnsmasq as proxyDHCP + TFTP while the real servers were not on
// main yet. It is not Landscaper and the e2e tests never use it.
import { createServer } from "node:http";
import { statSync, createReadStream, rmSync } from "node:fs";
const [addr, port, sock] = process.argv.slice(2);
const q = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;
const machines = new Map();
const body = (req) =>
  new Promise((resolve) => {
    let b = "";
    req.on("data", (d) => (b += d));
    req.on("end", () => resolve(b));
  });
const json = (res, code, v) =>
  res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(v));
const file = (req, res, f) => {
  res.writeHead(200, { "content-length": statSync(f).size });
  if (req.method === "HEAD") return res.end();
  createReadStream(f).pipe(res);
};
const lan = createServer(async (req, res) => {
  const b = await body(req);
  req.url = decodeURIComponent(req.url);
  console.log(new Date().toISOString(), req.method, req.url, b.slice(0, 200));
  const base = `http://${addr}:${port}`;
  let m;
  if (req.url === "/boot/any.ipxe") return res.end("#!ipxe\nchain " + base + "/boot/${mac}.ipxe\n");
  if ((m = /^\/boot\/([0-9a-f:]+)\.ipxe$/.exec(req.url))) {
    const x = machines.get(m[1]);
    if (!x) return res.writeHead(404).end();
    if (x.state === "installed") return res.end("#!ipxe\necho local boot\nexit\n");
    x.state = "booting";
    const cmd = `${x.cmdline} landscaper.url=${base} landscaper.token=T landscaper.mac=${m[1]}`;
    return res.end(
      // iPXE 2019 under EFI hands the initrd to the kernel's EFI stub only by name (initrd=).
      `#!ipxe\nkernel ${base}/nbp/${m[1]}/kernel initrd=initrd ${cmd}\ninitrd --name initrd ${base}/nbp/${m[1]}/initrd\nboot\n`,
    );
  }
  if ((m = /^\/nbp\/([0-9a-f:]+)\/(kernel|initrd)$/.exec(req.url)))
    return file(req, res, machines.get(m[1])[m[2]]);
  if ((m = /^\/boot\/([a-z0-9._-]+)$/.exec(req.url)))
    return file(req, res, `/usr/lib/ipxe/${m[1]}`);
  if ((m = /^\/v1\/installs\/([0-9a-f:]+)\/job\.sh$/.exec(req.url))) {
    const x = machines.get(m[1]);
    x.state = "installing";
    const l = [
      `LANDSCAPER_MAC=${q(m[1])}`,
      `LANDSCAPER_GENERATION='1'`,
      `LANDSCAPER_HOSTNAME=${q(x.hostname)}`,
    ];
    l.push(
      `LANDSCAPER_HOST_KEY_PUBLIC='ssh-ed25519 AAAAstandin'`,
      `LANDSCAPER_HOST_KEY_PRIVATE='standin'`,
    );
    l.push(`LANDSCAPER_STEPS='${x.job.steps.length}'`);
    x.job.steps.forEach((s, i) => {
      l.push(
        `LANDSCAPER_STEP_${i + 1}_PHASE=${q(s.phase)}`,
        `LANDSCAPER_STEP_${i + 1}_RUN=${q(s.run)}`,
      );
      l.push(`LANDSCAPER_STEP_${i + 1}_PROGRESS=${q(s.progress ?? "")}`);
    });
    l.push(`LANDSCAPER_AFTER=${q(x.job.after ?? "reboot")}`);
    return res.end(l.join("\n") + "\n");
  }
  if ((m = /^\/v1\/installs\/([0-9a-f:]+)\/(complete|failed|events)$/.exec(req.url))) {
    const x = machines.get(m[1]);
    if (m[2] === "complete") x.state = "installed";
    if (m[2] === "failed") x.state = "failed";
    return json(res, 200, {});
  }
  res.writeHead(404).end();
});
const control = createServer(async (req, res) => {
  const b = await body(req);
  let m;
  if (req.url === "/v1/health") return json(res, 200, { ok: true });
  if ((m = /^\/v1\/machines\/([0-9a-f:]+)$/.exec(req.url))) {
    if (req.method === "PUT")
      machines.set(m[1], { ...JSON.parse(b), mac: m[1], state: "registered" });
    const x = machines.get(m[1]);
    return x
      ? json(res, 200, { mac: x.mac, state: x.state })
      : json(res, 404, { error: { code: "not_found" } });
  }
  json(res, 404, { error: { code: "not_found" } });
});
lan.listen(Number(port), addr);
rmSync(sock, { force: true });
control.listen(sock);
