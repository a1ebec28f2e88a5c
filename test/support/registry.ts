/** The one way tests set up a real registry: a fresh state dir, silent log, own metrics. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { BootOracle } from "../../src/boot/plan.js";
import type { AfterInstall } from "../../src/config/config.js";
import type { Logger } from "../../src/core/log.js";
import type { Mac } from "../../src/core/mac.js";
import { FileRoots } from "../../src/core/files.js";
import { createMetrics, type Metrics } from "../../src/core/metrics.js";
import type { Registration } from "../../src/registry/machine.js";
import { Registry } from "../../src/registry/registry.js";
import type { Power } from "../../src/power/power.js";

/** A registration with no job, no hostname, no key: the smallest that arms a machine. */
export const MINIMAL_REGISTRATION: Registration = {
  kernel: "/k",
  initrd: "/i",
  cmdline: "",
  hostname: null,
  job: null,
  installationHostKey: null,
  bmc: null,
  ipv4: null,
};

export interface TestRegistry {
  readonly registry: Registry;
  readonly stateDir: string;
  readonly metrics: Metrics;
  /** Closes the registry and removes the state dir (unless one was given). */
  cleanup(this: void): Promise<void>;
}

export async function testRegistry(
  opts: {
    stateDir?: string;
    afterInstall?: AfterInstall;
    answerUnknown?: boolean;
    metrics?: Metrics;
    power?: Power;
    powerSettleMs?: number;
    /** Default: silent. */
    log?: Logger;
  } = {},
): Promise<TestRegistry> {
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), "lst-reg-")));
  const metrics = opts.metrics ?? createMetrics();
  const registry = new Registry({
    stateDir,
    afterInstall: opts.afterInstall ?? "local-boot",
    answerUnknown: opts.answerUnknown ?? false,
    onInstalled: null,
    // Tests register made-up paths such as /k: any path but the state dir is allowed.
    files: new FileRoots(["/"], [stateDir]),
    log: opts.log ?? pino({ level: "silent" }),
    metrics,
    power: opts.power ?? null,
    ...(opts.powerSettleMs !== undefined ? { powerSettleMs: opts.powerSettleMs } : {}),
  });
  await registry.load();
  return {
    registry,
    stateDir,
    metrics,
    async cleanup() {
      await registry.close();
      if (!opts.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** An armed machine's install token, as its installer reads it from the kernel command line. */
export function tokenOf(oracle: BootOracle, mac: Mac): string {
  const plan = oracle.bootFor(mac);
  if (plan.kind !== "install") throw new Error(`${mac} is not armed (${plan.kind})`);
  const token = /\blandscaper\.token=(\S+)/.exec(plan.spec.cmdline)?.[1];
  if (!token) throw new Error(`no token in ${plan.spec.cmdline}`);
  return token;
}
