import { isIP } from "node:net";
import { checkShape, InputError, nonEmpty } from "../inputs.js";
import type { JsonObject } from "../protocol.js";
import { DnsFormatError, isWithin, nameToText, parseName, type DnsName } from "./name.js";
import { canonicalRecord, RECORD_TYPES, type RecordType } from "./rdata.js";
import { TSIG_ALGORITHMS, type TsigAlgorithm } from "./tsig.js";
import type { ServerAddress } from "./transport.js";

/** Checking `dns_record_set` inputs; errors name the input and never show the secret. */

const T = "dns_record_set";
export const DEFAULT_TTL = 3600;
const MAX_TTL = 2147483647; // RFC 2181 section 8

export interface TsigSettings {
  keyName: DnsName;
  algorithm: TsigAlgorithm;
  /** read when the resource runs, never kept */
  secretFile: string;
}

export interface DnsRecordSetInputs {
  server: ServerAddress;
  zone: DnsName;
  /** absolute owner name */
  name: DnsName;
  type: RecordType;
  /** canonical presentation form, sorted, without duplicates */
  records: string[];
  ttl: number;
  tsig?: TsigSettings;
  present: boolean;
  overwrite: boolean;
}

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address; port 53 unless given. */
function server(text: string): ServerAddress {
  const bad = (): never => {
    throw new InputError(
      `${T}: input server ${JSON.stringify(text)} is not host, host:port or [IPv6]:port`,
    );
  };
  let host = text;
  let port = "53";
  const bracket = /^\[([^\]]+)\](?::([0-9]+))?$/.exec(text);
  if (bracket) {
    host = bracket[1] as string;
    port = bracket[2] ?? port;
    if (isIP(host) !== 6) bad();
  } else if (isIP(text) !== 6) {
    const m = /^([^:\s]+)(?::([0-9]+))?$/.exec(text);
    if (!m) bad();
    host = m?.[1] as string;
    port = m?.[2] ?? port;
  }
  const p = Number(port);
  if (!Number.isInteger(p) || p < 1 || p > 65535) {
    throw new InputError(`${T}: input server ${JSON.stringify(text)}: port must be 1..65535`);
  }
  return { host, port: p };
}

function dnsName(input: string, text: string, origin?: DnsName): DnsName {
  try {
    return parseName(text, origin);
  } catch (e) {
    if (e instanceof DnsFormatError) {
      throw new InputError(`${T}: input ${input} is not a domain name: ${e.message}`);
    }
    throw e;
  }
}

export function checkDnsRecordSetInputs(props: JsonObject): DnsRecordSetInputs {
  const v = checkShape(T, props, {
    server: { kind: "string", required: true },
    zone: { kind: "string", required: true },
    name: { kind: "string", required: true },
    type: { kind: "string", required: true },
    records: { kind: "array", required: true },
    ttl: { kind: "integer" },
    tsigKeyName: { kind: "string" },
    tsigAlgorithm: { kind: "string" },
    tsigSecretFile: { kind: "string" },
    present: { kind: "boolean" },
    overwrite: { kind: "boolean" },
  });
  const zoneText = nonEmpty(T, "zone", v.zone);
  const zone = dnsName("zone", zoneText.endsWith(".") ? zoneText : `${zoneText}.`);
  const name = dnsName("name", nonEmpty(T, "name", v.name), zone);
  if (!isWithin(name, zone)) {
    throw new InputError(
      `${T}: input name ${JSON.stringify(v.name)} (${nameToText(name)}) is not within zone ${nameToText(zone)}`,
    );
  }
  const type = (v.type as string).toUpperCase();
  if (!(RECORD_TYPES as readonly string[]).includes(type)) {
    throw new InputError(
      `${T}: input type ${JSON.stringify(v.type)} is not supported (one of ${RECORD_TYPES.join(", ")})`,
    );
  }
  const rtype = type as RecordType;
  const raw = v.records as unknown[];
  const records = [
    ...new Set(
      raw.map((r, i) => {
        if (typeof r !== "string") {
          throw new InputError(`${T}: input records[${i}] must be a string`);
        }
        try {
          return canonicalRecord(rtype, r, zone);
        } catch (e) {
          if (e instanceof DnsFormatError) {
            throw new InputError(`${T}: input records[${i}] is not ${type} data: ${e.message}`);
          }
          throw e;
        }
      }),
    ),
  ].sort();
  const present = (v.present as boolean | undefined) ?? true;
  if (present && records.length === 0) {
    throw new InputError(`${T}: input records is empty (to remove the set, set present = false)`);
  }
  if (rtype === "CNAME" && records.length > 1) {
    throw new InputError(
      `${T}: a CNAME record set holds one record, records has ${records.length}`,
    );
  }
  const ttl = (v.ttl as number | undefined) ?? DEFAULT_TTL;
  if (ttl < 0 || ttl > MAX_TTL) throw new InputError(`${T}: input ttl must be 0..${MAX_TTL}`);
  const r: DnsRecordSetInputs = {
    server: server(nonEmpty(T, "server", v.server)),
    zone,
    name,
    type: rtype,
    records,
    ttl,
    present,
    overwrite: (v.overwrite as boolean | undefined) ?? false,
  };
  if ((v.tsigKeyName === undefined) !== (v.tsigSecretFile === undefined)) {
    throw new InputError(`${T}: give both tsigKeyName and tsigSecretFile, or neither`);
  }
  if (v.tsigAlgorithm !== undefined && v.tsigKeyName === undefined) {
    throw new InputError(`${T}: input tsigAlgorithm needs tsigKeyName and tsigSecretFile`);
  }
  if (v.tsigKeyName !== undefined) {
    const alg = ((v.tsigAlgorithm as string | undefined) ?? "hmac-sha256").toLowerCase();
    if (!Object.hasOwn(TSIG_ALGORITHMS, alg)) {
      throw new InputError(
        `${T}: input tsigAlgorithm ${JSON.stringify(v.tsigAlgorithm)} is not supported (one of ${Object.keys(TSIG_ALGORITHMS).join(", ")})`,
      );
    }
    const file = v.tsigSecretFile as string;
    if (!file.startsWith("/")) {
      throw new InputError(`${T}: input tsigSecretFile must be an absolute path`);
    }
    const keyText = nonEmpty(T, "tsigKeyName", v.tsigKeyName);
    r.tsig = {
      keyName: dnsName("tsigKeyName", keyText.endsWith(".") ? keyText : `${keyText}.`),
      algorithm: alg as TsigAlgorithm,
      secretFile: file,
    };
  }
  return r;
}
