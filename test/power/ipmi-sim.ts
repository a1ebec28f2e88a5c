/**
 * A real IPMI-over-LAN BMC for tests: OpenIPMI's `ipmi_sim` on 127.0.0.1 and a free UDP
 * port, with an admin user whose password is in a file. Two ways to wire its "hardware":
 *
 * - `chassis-control`: ipmi_sim's external chassis program (`chassis_control` in lan.conf)
 *   is a small script: power on starts a stand-in machine (a `sleep`) and appends the boot
 *   device it was powered on with to `hw/marker`; the boot device is kept in `hw/boot` and,
 *   as on a real BMC, used up by that power-on. ipmi_sim answers Set/Get System Boot
 *   Options only through such a program.
 * - `startcmd`: ipmi_sim's own `startcmd` (what QEMU's ipmi-bmc-extern setups use) starts
 *   the machine on power on and kills it on power off; this BMC refuses boot options.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseBmc, type Bmc } from "../../src/power/bmc.js";

export const SIM_USER = "admin";
export const SIM_PASSWORD = "pw-Zq7#not-in-argv";

export interface SimBmc {
  readonly dir: string;
  readonly port: number;
  readonly bmc: Bmc;
  /** The lines the hardware wrote at each power-on: `on boot=pxe` or `on boot=default`. */
  powerOns(): Promise<string[]>;
  /** The chassis program's calls, in order (`set power 1`, `get boot`, ...). */
  calls(): Promise<string[]>;
  /** `chassis bootparam get 5` from ipmitool itself, for what the BMC holds. */
  bootParam(): Promise<string>;
  stop(): Promise<void>;
}

/** A UDP port nobody is bound to on 127.0.0.1 right now. */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A TCP port nobody listens on at 127.0.0.1 right now. */
async function freeTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

// The chassis program ipmi_sim runs (via popen) as `PROG get power`, `PROG set boot pxe` ...
// Its stand-in machine must not hold the pipe ipmi_sim reads, hence the redirections.
const CHASSIS = `#!/bin/sh
hw=$(dirname "$0")/hw
echo "$*" >> "$hw/calls"
alive() { [ -f "$hw/pid" ] && kill -0 "$(cat "$hw/pid")" 2>/dev/null; }
op=$1; shift
case $op in
get)
  for p in "$@"; do
    case $p in
      power) if alive; then echo power:1; else echo power:0; fi ;;
      boot) echo "boot:$(cat "$hw/boot" 2>/dev/null || echo default)" ;;
      *) echo "Invalid parameter: $p"; exit 1 ;;
    esac
  done ;;
set)
  while [ $# -ge 2 ]; do
    case $1 in
      power)
        if [ "$2" = 1 ]; then
          if ! alive; then
            echo "on boot=$(cat "$hw/boot" 2>/dev/null || echo default)" >> "$hw/marker"
            echo default > "$hw/boot"
            setsid sleep 600 </dev/null >/dev/null 2>&1 &
            echo $! > "$hw/pid"
          fi
        elif alive; then
          kill "$(cat "$hw/pid")"; rm -f "$hw/pid"
        fi ;;
      boot) echo "$2" > "$hw/boot" ;;
      reset|identify) ;;
      *) echo "Invalid parameter: $1"; exit 1 ;;
    esac
    shift 2
  done ;;
*) exit 1 ;;
esac
`;

const STARTCMD = `#!/bin/sh
hw=$(dirname "$0")/hw
echo "on boot=unknown" >> "$hw/marker"
echo $$ > "$hw/pid"
exec sleep 600
`;

export async function startIpmiSim(
  power: "chassis-control" | "startcmd" = "chassis-control",
): Promise<SimBmc> {
  const dir = await mkdtemp(join(tmpdir(), "lst-bmc-"));
  const port = await freeUdpPort();
  const hw = join(dir, "hw");
  await promisify(execFile)("mkdir", ["-p", hw, join(dir, "state")]);
  const program = join(dir, power === "chassis-control" ? "chassis.sh" : "machine.sh");
  await writeFile(program, power === "chassis-control" ? CHASSIS : STARTCMD);
  await chmod(program, 0o755);
  const passwordFile = join(dir, "password");
  await writeFile(passwordFile, SIM_PASSWORD + "\n", { mode: 0o600 });
  const hardware =
    power === "chassis-control"
      ? [`  chassis_control "${program}"`]
      : [
          // ipmi_sim powers a startcmd machine through the system interface channel (15):
          // where a QEMU VM's ipmi-bmc-extern would connect. Nothing connects here.
          `  serial 15 127.0.0.1 ${await freeTcpPort()} codec VM`,
          `  startcmd "${program}"`,
          "  startnow false",
          "  poweroff_wait 1",
          "  kill_wait 1",
        ];
  await writeFile(
    join(dir, "lan.conf"),
    [
      `name "lst-test-bmc"`,
      "set_working_mc 0x20",
      "  startlan 1",
      `    addr 127.0.0.1 ${port}`,
      "    priv_limit admin",
      "    allowed_auths_admin md5",
      "    guid a123456789abcdefa123456789abcdef",
      "  endlan",
      ...hardware,
      `  user 2 true "${SIM_USER}" "${SIM_PASSWORD}" admin 10 md5`,
      "",
    ].join("\n"),
  );
  await writeFile(
    join(dir, "bmc.emu"),
    "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02\nmc_enable 0x20\n",
  );
  const child: ChildProcess = spawn(
    "ipmi_sim",
    ["-c", join(dir, "lan.conf"), "-f", join(dir, "bmc.emu"), "-s", join(dir, "state"), "-n"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
  await waitForUdpPort(port, child, () => stderr);
  const bmc = parseBmc({
    protocol: "ipmi",
    address: "127.0.0.1",
    port,
    username: SIM_USER,
    passwordFile,
    // ipmi_sim does not answer Get Channel Cipher Suites: name the suite (3 is
    // HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128, the one it supports).
    cipherSuite: 3,
  });
  const lines = async (name: string) =>
    (await readFile(join(hw, name), "utf8").catch(() => "")).split("\n").filter((l) => l !== "");
  return {
    dir,
    port,
    bmc,
    powerOns: () => lines("marker"),
    calls: () => lines("calls"),
    async bootParam() {
      const { stdout } = await promisify(execFile)(
        "ipmitool",
        ["-I", "lanplus", "-C", "3", "-H", "127.0.0.1", "-p", String(port), "-U", SIM_USER].concat([
          "-f",
          passwordFile,
          "chassis",
          "bootparam",
          "get",
          "5",
        ]),
        { timeout: 10_000 },
      );
      return stdout;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      const pid = Number((await readFile(join(hw, "pid"), "utf8").catch(() => "")).trim());
      if (pid > 0) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** ipmi_sim is ready once its UDP port shows in /proc/net/udp (bounded: 5 s). */
async function waitForUdpPort(port: number, child: ChildProcess, stderr: () => string) {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")} `;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`ipmi_sim exited: ${stderr()}`);
    if ((await readFile("/proc/net/udp", "utf8")).includes(`0100007F${hex}`)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  throw new Error(`ipmi_sim did not bind 127.0.0.1:${port} within 5 s: ${stderr()}`);
}
