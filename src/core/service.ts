import type { BootOracle } from "../boot/plan.js";
import type { BootUrls } from "../boot/urls.js";
import type { Config } from "../config/config.js";
import type { Logger } from "./log.js";
import type { Metrics } from "./metrics.js";

/** What every server gets: its config, logs, counters. */
export interface ServiceBase {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
}

/**
 * What `landscaper serve` hands the DHCP, TFTP and mDNS servers once the LAN HTTP server
 * has bound: the boot oracle, and the URLs built from the address and port it bound.
 */
export interface ServerContext extends ServiceBase {
  readonly oracle: BootOracle;
  readonly urls: BootUrls;
}

/** A running server: `serve` closes every one on SIGTERM. */
export interface Service {
  readonly name: string;
  close(): Promise<void>;
}
