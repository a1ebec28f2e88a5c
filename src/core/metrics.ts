import { Counter, Histogram, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { PairCounts } from "./pair-counts.js";

/**
 * Every Prometheus metric of the appliance, in one registry per process (tests start several
 * servers in one process, so nothing here is global).
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "landscaper_" });
  // Counted per datagram, so through PairCounts; told to the counter when /metrics is read.
  const dhcpPacketCounts = new PairCounts(["outcome", "client"] as const);
  const m = {
    registry,
    dhcpPacketCounts,
    dhcpPackets: new Counter({
      name: "landscaper_dhcp_packets_total",
      help: "DHCP packets received, by outcome (answered, ignored, malformed) and client kind",
      labelNames: ["outcome", "client"] as const,
      registers: [registry],
      collect() {
        dhcpPacketCounts.drainInto(this);
      },
    }),
    dhcpFirstAnswerSeconds: new Histogram({
      name: "landscaper_dhcp_first_answer_seconds",
      help: "Time from a machine's registration (or rearm) to its first DHCP answer",
      buckets: [1, 5, 15, 60, 300, 1800, 3600, 86400],
      registers: [registry],
    }),
    discovered: new Counter({
      name: "landscaper_discovered_total",
      help: "Unregistered network-boot clients newly remembered, by whether their event was sent or rate-limited",
      labelNames: ["event"] as const,
      registers: [registry],
    }),
    discoveredForgotten: new Counter({
      name: "landscaper_discovered_forgotten_total",
      help: "Remembered unregistered clients forgotten, by reason (full: the oldest made room; registered)",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    discoveredClients: new Gauge({
      name: "landscaper_discovered_clients",
      help: "Unregistered network-boot clients remembered now",
      registers: [registry],
    }),
    tftpTransfers: new Counter({
      name: "landscaper_tftp_transfers_total",
      help: "TFTP transfers, by outcome (complete, aborted, timeout, error, refused)",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    tftpBytes: new Counter({
      name: "landscaper_tftp_bytes_total",
      help: "TFTP payload bytes sent",
      registers: [registry],
    }),
    tftpMalformed: new Counter({
      name: "landscaper_tftp_malformed_total",
      help: "TFTP datagrams dropped as malformed",
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: "landscaper_http_requests_total",
      help: "LAN HTTP requests by route and status",
      labelNames: ["route", "status"] as const,
      registers: [registry],
    }),
    httpBytes: new Counter({
      name: "landscaper_http_bytes_total",
      help: "LAN HTTP body bytes sent, by route",
      labelNames: ["route"] as const,
      registers: [registry],
    }),
    internalErrors: new Counter({
      name: "landscaper_internal_errors_total",
      help: "Exceptions caught at the boundary of one request, datagram or transfer, by service",
      labelNames: ["service"] as const,
      registers: [registry],
    }),
    installerRefusals: new Counter({
      name: "landscaper_installer_refusals_total",
      help: "Installer calls refused before their token was accepted, by reason (token, limited)",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    scriptRefusals: new Counter({
      name: "landscaper_script_refusals_total",
      help: "Install scripts refused because the client is not the machine's",
      registers: [registry],
    }),
    installSeconds: new Histogram({
      name: "landscaper_install_duration_seconds",
      help: "From first boot step to installed, per install",
      buckets: [30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
      registers: [registry],
    }),
    powerActions: new Counter({
      name: "landscaper_power_actions_total",
      help: "BMC power actions, by action (arm, ensure-on, on, ...) and outcome (ok or the failure kind)",
      labelNames: ["action", "outcome"] as const,
      registers: [registry],
    }),
    stateTornLines: new Counter({
      name: "landscaper_state_torn_journal_lines_total",
      help: "Torn last journal lines (a crash mid-append) found and ignored at start-up",
      registers: [registry],
    }),
    machines: new Gauge({
      name: "landscaper_machines",
      help: "Machines by state",
      labelNames: ["state"] as const,
      registers: [registry],
    }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
