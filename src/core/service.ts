import type { BootOracle } from "../boot/plan.js";
import type { Config } from "../config/config.js";
import type { Logger } from "./log.js";
import type { Metrics } from "./metrics.js";

/** What `landscaper serve` hands each network server: its config, the oracle, logs, counters. */
export interface ServerContext {
  readonly config: Config;
  readonly oracle: BootOracle;
  readonly log: Logger;
  readonly metrics: Metrics;
}

/** A running server: `serve` closes every one on SIGTERM. */
export interface Service {
  readonly name: string;
  close(): Promise<void>;
}
