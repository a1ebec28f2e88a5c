import { UNKNOWN, type BootStep } from "../../src/boot/plan.js";
import { defaultConfig } from "../../src/config/config.js";
import type { Mac } from "../../src/core/mac.js";
import type { ServerContext } from "../../src/core/service.js";
import { serverContext } from "../support/context.js";

/** A ServerContext for tests: default config with overrides, an oracle that records steps. */
export function testContext(
  tftp: Partial<ReturnType<typeof defaultConfig>["tftp"]> = {},
  root = "/usr/lib/ipxe",
  log?: ServerContext["log"],
): ServerContext & { steps: { mac: Mac; step: BootStep }[] } {
  const config = defaultConfig();
  const steps: { mac: Mac; step: BootStep }[] = [];
  const ctx = serverContext(
    {
      ...config,
      // Every test client is 127.0.0.1: the per-address cap is tested where it is set.
      tftp: { ...config.tftp, port: 0, maxPerClient: 10_000, ...tftp },
      ipxe: { ...config.ipxe, dir: root },
    },
    {
      oracle: {
        bootFor: () => UNKNOWN,
        noteBootStep: (mac, step) => steps.push({ mac, step }),
      },
      ...(log ? { log } : {}),
    },
  );
  return { ...ctx, steps };
}
