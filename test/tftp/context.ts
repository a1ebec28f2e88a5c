import { pino } from "pino";
import type { BootStep } from "../../src/boot/plan.js";
import { defaultConfig } from "../../src/config/config.js";
import type { Mac } from "../../src/core/mac.js";
import { createMetrics } from "../../src/core/metrics.js";
import type { ServerContext } from "../../src/core/service.js";

/** A ServerContext for tests: default config with overrides, an oracle that records steps. */
export function testContext(
  tftp: Partial<ReturnType<typeof defaultConfig>["tftp"]> = {},
  root = "/usr/lib/ipxe",
): ServerContext & { steps: { mac: Mac; step: BootStep }[] } {
  const config = defaultConfig();
  const steps: { mac: Mac; step: BootStep }[] = [];
  return {
    config: {
      ...config,
      tftp: { ...config.tftp, port: 0, ...tftp },
      ipxe: { ...config.ipxe, dir: root },
    },
    oracle: {
      bootFor: () => ({ kind: "none" }),
      noteBootStep: (mac, step) => steps.push({ mac, step }),
    },
    log: pino({ level: "silent" }),
    metrics: createMetrics(),
    steps,
  };
}
