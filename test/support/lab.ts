// The lab (scripts/lab) as end-to-end tests drive it: one lab per test file, named after
// the test process, its directory under test-output/ kept when a step failed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { controlRequest } from "../../src/control/client.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export interface LabView {
  state: string;
  generation: number;
  ipv4?: string | null;
  failure: { message: string; log: string | null } | null;
  events: LabEvent[];
}

/** A machine event as the control API shows it; `power` events carry action ... sent. */
export interface LabEvent {
  type: string;
  state: string;
  generation: number;
  phase?: string;
  script?: string;
  action?: string;
  trigger?: string;
  ok?: boolean;
  sent?: string[];
  /** `dhcp-lease` events (server mode). */
  lease?: string;
  ip?: string | null;
}

export interface Lab {
  readonly dir: string;
  readonly socket: string;
  /** Runs scripts/lab with its output on our stderr (the test log); resolves to the exit code. */
  run(this: void, args: string[], timeoutMs?: number): Promise<number>;
  /** What `scripts/lab WHAT NAME` prints (mac, ipv4). */
  print(this: void, what: "mac" | "ipv4", name: string): Promise<string>;
  machine(this: void, mac: string): Promise<LabView>;
  /** Runs fn; on failure marks the lab's files to be kept and says where. */
  step(this: void, name: string, fn: () => Promise<void>): Promise<void>;
  up(): Promise<void>;
  down(): Promise<void>;
}

export function lab(kind: string, extraEnv: Record<string, string> = {}): Lab {
  const name = `lst-${kind}-${process.pid}`;
  const dir = path.join(root, "test-output", name);
  const env = { ...process.env, ...extraEnv, LAB_NAME: name, LAB_DIR: dir };
  const socket = path.join(dir, "control.sock");
  const script = path.join(root, "scripts/lab");
  let failed = false;

  const run = (args: string[], timeoutMs = 240_000): Promise<number> =>
    new Promise((resolve) => {
      const child = spawn(script, args, { env, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.on("data", (d: Buffer) => process.stderr.write(d));
      child.stderr.on("data", (d: Buffer) => process.stderr.write(d));
      const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve(code ?? 1);
      });
    });

  const print = (what: "mac" | "ipv4", vm: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const child = spawn(script, [what, vm], { env });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.on("close", (code) =>
        code === 0 ? resolve(out.trim()) : reject(new Error(`scripts/lab ${what} ${vm}`)),
      );
    });

  return {
    dir,
    socket,
    run,
    print,
    async machine(mac) {
      const r = await controlRequest(socket, "GET", `/v1/machines/${mac}`);
      return r.body as LabView;
    },
    async step(what, fn) {
      try {
        await fn();
      } catch (e) {
        failed = true;
        process.stderr.write(`e2e: ${what} failed; serial logs and lan.pcap kept in ${dir}\n`);
        throw e;
      }
    },
    async up() {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      assert.equal(await run(["up"]), 0, "scripts/lab up");
    },
    async down() {
      await run(["down"]);
      // On failure the lab's directory stays: serial-*.log per VM, lan.pcap, every server's log.
      if (!failed) rmSync(dir, { recursive: true, force: true });
    },
  };
}
