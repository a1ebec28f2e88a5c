/** Server contexts for tests that run one server alone, with a stand-in for the registry. */
import { pino } from "pino";
import { UNKNOWN, type BootOracle, type BootPlan } from "../../src/boot/plan.js";
import { BootUrls } from "../../src/boot/urls.js";
import type { Config } from "../../src/config/config.js";
import type { Mac } from "../../src/core/mac.js";
import { createMetrics } from "../../src/core/metrics.js";
import type { ServerContext } from "../../src/core/service.js";

/** Knows no machine: every server stays silent or says "unknown". */
export const NOBODY: BootOracle = { bootFor: () => UNKNOWN, noteBootStep: () => undefined };

/** `config` with the rest filled in; URLs name `config.http.port` as if bound there. */
export function serverContext(config: Config, parts: Partial<ServerContext> = {}): ServerContext {
  return {
    config,
    oracle: parts.oracle ?? NOBODY,
    urls: parts.urls ?? new BootUrls(config.address, config.http.port),
    log: parts.log ?? pino({ level: "silent" }),
    metrics: parts.metrics ?? createMetrics(),
  };
}

/** What the registry answers for an armed machine in generation 1. */
export function installPlan(mac: Mac, urls: BootUrls): BootPlan {
  return {
    kind: "install",
    mac,
    generation: 1,
    script: "install",
    spec: {
      kernel: "/k",
      initrd: "/i",
      kernelUrl: urls.nbp(mac, "kernel"),
      initrdUrl: urls.nbp(mac, "initrd"),
      cmdline: `landscaper.url=${urls.base} landscaper.token=t landscaper.mac=${mac}`,
    },
  };
}
