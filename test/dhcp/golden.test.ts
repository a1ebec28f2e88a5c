/**
 * Golden, human-readable dumps of the two real-firmware captures: every client request as
 * parsed, and what Landscaper's per-packet handler answers to it for an armed machine. A
 * change in parsing, classification, policy or reply bytes shows up as a readable diff.
 * Regenerate after an intended change with `UPDATE_GOLDEN=1 node --test dist/test/dhcp/golden.test.js`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Mac } from "../../src/core/mac.js";
import { classifyClient } from "../../src/dhcp/codec/client.js";
import { MSG } from "../../src/dhcp/codec/options.js";
import { parsePacket, type DhcpPacket } from "../../src/dhcp/codec/packet.js";
import { handleDhcpPacket } from "../../src/dhcp/server/handler.js";
import { installPlan } from "../support/context.js";
import { UNKNOWN } from "../../src/boot/plan.js";
import {
  CAPTURED_MAC,
  CAPTURES,
  capture,
  OFFLINE_ADDRESS,
  offlineHandlerDeps,
  offlineUrls,
} from "./fixtures.js";

const goldenDir = fileURLToPath(new URL("../../../test/fixtures/golden/", import.meta.url));
const urls = offlineUrls;

const MSG_NAME = new Map<number, string>(Object.entries(MSG).map(([k, v]) => [v, k]));

/** An option value as text when it is printable, else as hex. */
function value(code: number, v: Buffer): string {
  if (code === 53 && v.length === 1) return MSG_NAME.get(v[0]!) ?? String(v[0]);
  // requested address, server identifier: dotted quads
  if ((code === 50 || code === 54) && v.length === 4) return [...v].join(".");
  if (v.length > 0 && [...v].every((b) => b >= 0x20 && b < 0x7f))
    return JSON.stringify(v.toString("latin1"));
  return v.toString("hex");
}

function describe(p: DhcpPacket): string[] {
  const lines = [
    `  op ${p.op} htype ${p.htype} hlen ${p.hlen} hops ${p.hops} xid 0x${p.xid.toString(16).padStart(8, "0")} secs ${p.secs} flags 0x${p.flags.toString(16).padStart(4, "0")}`,
    `  ciaddr ${p.ciaddr} yiaddr ${p.yiaddr} siaddr ${p.siaddr} giaddr ${p.giaddr}`,
    `  chaddr ${p.chaddr.subarray(0, p.hlen).toString("hex")} sname ${JSON.stringify(p.sname)} file ${JSON.stringify(p.file)}`,
  ];
  for (const [code, v] of p.options) lines.push(`  option ${code}: ${value(code, v)}`);
  return lines;
}

function dump(name: (typeof CAPTURES)[number]): string {
  const out = [
    `# ${name}: client requests and Landscaper's answers`,
    `# server ${OFFLINE_ADDRESS}, HTTP ${urls.base}, ${CAPTURED_MAC} armed, files snponly.efi / undionly.kpxe`,
  ];
  const deps = offlineHandlerDeps((mac: Mac) =>
    mac === CAPTURED_MAC ? installPlan(mac, urls) : UNKNOWN,
  );
  for (const d of capture(name)) {
    if (d.dstPort !== 67 && d.dstPort !== 4011) continue;
    const parsed = parsePacket(d.payload);
    out.push("", `## frame ${d.index}: ${d.srcIp}:${d.srcPort} -> ${d.dstIp}:${d.dstPort}`);
    if (!parsed.ok) {
      out.push(`  unparsable: ${parsed.reason}`);
      continue;
    }
    const client = classifyClient(parsed.packet);
    out.push(`request (client ${client.kind}, arch ${client.arch}):`, ...describe(parsed.packet));
    const arrival = d.dstPort === 4011 ? "proxy" : "dhcp";
    const answer = handleDhcpPacket(
      deps,
      d.payload,
      { address: d.srcIp, port: d.srcPort },
      arrival,
    );
    if (!answer) {
      out.push("reply: none (silent)");
      continue;
    }
    const reply = parsePacket(answer.reply);
    assert.ok(reply.ok, `our reply to frame ${d.index} parses`);
    out.push(
      `reply to ${answer.dest.address}:${answer.dest.port}${answer.dest.broadcast ? " (broadcast)" : ""}, ${answer.reply.length} bytes:`,
      ...describe(reply.packet),
    );
  }
  return out.join("\n") + "\n";
}

for (const name of CAPTURES) {
  test(`golden dump of ${name}: parsed requests and our replies`, () => {
    const file = `${goldenDir}${name.replace(/\.pcap$/, ".txt")}`;
    const text = dump(name);
    if (process.env.UPDATE_GOLDEN === "1") {
      mkdirSync(goldenDir, { recursive: true });
      writeFileSync(file, text);
    }
    assert.ok(existsSync(file), `${file} missing: run with UPDATE_GOLDEN=1 to create it`);
    assert.equal(
      text,
      readFileSync(file, "utf8"),
      "differs from the golden dump (UPDATE_GOLDEN=1 rewrites it)",
    );
  });
}
