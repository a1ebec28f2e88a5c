/**
 * What the PXE probe's answers mean for this appliance. In proxy mode a DHCP server that
 * hands out addresses is what Landscaper needs beside it, and a PXE answer races it; in
 * server mode any other DHCP server makes `serve` refuse to start (src/dhcpd/guard.ts
 * reads the answers the same way).
 */
import { otherServers, type OtherServer } from "../dhcpd/guard.js";
import type { Finding } from "./checks.js";
import { describeHolders, portHolders } from "./port-owner.js";
import { isPxeAnswer } from "./pxe-probe-messages.js";
import { probePxeServers, ProbeError, type ProbeResult } from "./pxe-probe.js";
import type { DhcpRole } from "./server-mode.js";

type Answers = ProbeResult["answers"];
type ServerRole = Extract<DhcpRole, { mode: "server" }>;

/** Another server where Landscaper is to be the DHCP server: what `serve` will do. */
function rivalFinding(name: string, rival: OtherServer, role: ServerRole): Finding {
  const what =
    rival.offered !== "0.0.0.0"
      ? `DHCP server ${name} offers addresses (${rival.offered})`
      : `${name} answers DHCP as a proxyDHCP (no address)`;
  const race =
    "two DHCP servers on one network race for every client, which takes whichever answer comes first (conflicting addresses, boots that go astray)";
  return role.forced
    ? {
        check: `other servers: ${name}`,
        level: "warn",
        message: `${what}; dhcp.server.allowOtherServers (--force-dhcp) is set, so serve starts beside it`,
        fix: `${race}: stop its DHCP on this network, or use dhcp.mode "proxy" beside it`,
      }
    : {
        check: `other servers: ${name}`,
        level: "blocker",
        message: `${what}; in dhcp.mode "server" \`landscaper serve\` refuses to start while another DHCP server answers`,
        fix: `stop its DHCP on this network, or use dhcp.mode "proxy" beside it; --force-dhcp (dhcp.server.allowOtherServers) starts serve anyway, but should not be used: ${race}`,
      };
}

function pxeFinding(server: string, answers: Answers, self: boolean): Finding {
  const pxe = answers.filter(isPxeAnswer);
  const offersAddress = answers.some((a) => a.yiaddr !== "0.0.0.0");
  const files = [
    ...new Set(
      pxe.map(
        (a) =>
          `${a.client.toUpperCase()}: ${a.bootFile ?? (a.pxeMenu.length > 0 ? `PXE menu ${a.pxeMenu.map((m) => JSON.stringify(m)).join(", ")}` : "PXE options, no file (the client would ask its boot server on 4011)")}`,
      ),
    ),
  ];
  return {
    check: `other servers: ${server}`,
    level: "warn",
    message: `${self ? "this host (" + server + ")" : server} answers PXE for an unknown, made-up MAC ${offersAddress ? "(DHCP server with PXE options)" : "(proxyDHCP)"}; boot file ${files.join(", ")}`,
    fix: self
      ? "that is this host: a running Landscaper with dhcp.answerUnknown, or another PXE service here"
      : "it will race Landscaper for every PXE client; turn its PXE answers off or limit them to its own machines (dnsmasq: tag its known MACs and restrict pxe-service/dhcp-boot to that tag; ISC dhcpd/Kea: a class per MAC)",
  };
}

/** Turn the answers of the PXE probe into findings: one per answering server. */
export function probeFindings(
  result: ProbeResult,
  ownAddress: string,
  role: DhcpRole = { mode: "proxy" },
): Finding[] {
  const byServer = new Map<string, Answers>();
  for (const a of result.answers) {
    const key = a.serverId ?? a.from;
    byServer.set(key, [...(byServer.get(key) ?? []), a]);
  }
  const rivals = new Map(
    (role.mode === "server" ? otherServers(result, ownAddress) : []).map((r) => [
      r.serverId ?? r.from,
      r,
    ]),
  );
  const findings: Finding[] = [];
  let dhcpServers = 0;
  for (const [server, answers] of byServer) {
    const rival = rivals.get(server);
    if (rival && role.mode === "server") {
      findings.push(rivalFinding(server, rival, role));
      continue;
    }
    if (answers.some((a) => a.yiaddr !== "0.0.0.0")) dhcpServers++;
    if (answers.some(isPxeAnswer))
      findings.push(pxeFinding(server, answers, server === ownAddress));
    else
      findings.push({
        check: `other servers: ${server}`,
        level: "ok",
        message: `DHCP server ${server} offers addresses (${answers[0]!.yiaddr}) without PXE options: Landscaper's proxyDHCP complements it`,
      });
  }
  if (role.mode === "server") {
    if (rivals.size === 0)
      findings.push({
        check: "DHCP server",
        level: "ok",
        message: `no other DHCP server answered within the probe window: Landscaper will be the DHCP server for ${role.subnet ?? "dhcp.server.subnet (not set)"}`,
      });
  } else if (dhcpServers === 0)
    findings.push({
      check: "DHCP server",
      level: "warn",
      message: `no DHCP server offered an address within the probe window`,
      fix: 'Landscaper is a proxyDHCP and hands out no addresses: the LAN needs a DHCP server (or the firmware gets no IP), or Landscaper becomes it with dhcp.mode "server"',
    });
  return findings;
}

/** Probe the LAN; a probe that cannot run is a warning, a blocker in server mode. */
export async function checkProbe(
  address: string,
  seconds: number,
  role: DhcpRole,
): Promise<Finding[]> {
  try {
    return probeFindings(await probePxeServers(address, seconds), address, role);
  } catch (e) {
    if (!(e instanceof ProbeError)) throw e;
    const held =
      e.code === "EADDRINUSE" ? `; held by ${describeHolders(portHolders("udp", 68))}` : "";
    const fix =
      e.code === "EACCES"
        ? "run doctor as root (the probe listens on UDP 68 like a PXE client)"
        : "stop the DHCP client holding port 68 for the probe, or use --no-probe";
    // serve in server mode runs the same probe before it starts, and stops when it fails.
    return role.mode === "server"
      ? [
          {
            check: "other PXE servers",
            level: "blocker",
            message: `could not look for other DHCP servers (${e.message}${held}); in dhcp.mode "server" \`landscaper serve\` probes the same way at start and fails`,
            fix:
              e.code === "EACCES"
                ? fix
                : "stop the DHCP client holding port 68: the DHCP server's own address is static",
          },
        ]
      : [
          {
            check: "other PXE servers",
            level: "warn",
            message: `could not look for other PXE/proxyDHCP servers (${e.message}${held})`,
            fix,
          },
        ];
  }
}
