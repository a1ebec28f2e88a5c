import { readFile } from "node:fs/promises";
import type { ExtantResource, JsonObject } from "../protocol.js";
import { ResourceError, type ResourceContext, type ResourceType } from "../resource.js";
import { DnsError, queryRecordSet, sendUpdate } from "./client.js";
import { checkDnsRecordSetInputs, type DnsRecordSetInputs } from "./inputs.js";
import type { ResourceRecord } from "./message.js";
import { DnsFormatError, nameToText } from "./name.js";
import { rdataToText, typeCode } from "./rdata.js";
import type { TsigKey } from "./tsig.js";
import { serverText } from "./transport.js";
import { absent, addAll, deleteEach, deleteSet, existsWith, type RecordSet } from "./update.js";

/**
 * `dns_record_set`: one record set on a site's authoritative server, kept by RFC 2136
 * UPDATE signed with TSIG. The outputs are the state: `records` and `ttl` are what this
 * resource last wrote, and each change is conditional on the server still holding that
 * (prerequisites), so a change made by hand is reported instead of overwritten.
 */
export const dnsRecordSet: ResourceType = {
  async create(props, ctx) {
    return converge(checkDnsRecordSetInputs(props), null, ctx);
  },

  async update(previous: ExtantResource, props: JsonObject, ctx) {
    const inputs = checkDnsRecordSetInputs(props);
    const wrote = written(previous.outputProperties);
    let before: DnsRecordSetInputs | null = null;
    try {
      before = checkDnsRecordSetInputs(previous.inputProperties);
    } catch {
      // Inputs this version no longer accepts: nothing known to clean up.
    }
    if (before !== null && wrote !== null && identity(before) !== identity(inputs)) {
      // The resource now names another record set: take ours away from the old one.
      ctx.log.info({ from: identity(before), to: identity(inputs) }, "dns_record_set: moved");
      await converge({ ...before, present: false, overwrite: false }, wrote, ctx);
      return converge(inputs, null, ctx);
    }
    return converge(inputs, wrote, ctx);
  },
};

function identity(i: DnsRecordSetInputs): string {
  return `${nameToText(i.name).toLowerCase()} ${i.type} @ ${serverText(i.server)}`;
}

/** What the previous outputs say this resource wrote; null when they say nothing usable. */
function written(out: JsonObject | undefined): RecordSet | null {
  if (out === undefined || !Array.isArray(out.records) || typeof out.ttl !== "number") return null;
  if (!out.records.every((r) => typeof r === "string")) return null;
  return { records: [...out.records].sort(), ttl: out.ttl };
}

function show(s: RecordSet): string {
  return s.records.length === 0 ? "nothing" : `[${s.records.join(", ")}] ttl ${s.ttl}`;
}

function same(a: RecordSet, b: RecordSet): boolean {
  return (
    a.records.length === b.records.length &&
    a.records.every((r, i) => r === b.records[i]) &&
    (a.records.length === 0 || a.ttl === b.ttl)
  );
}

async function tsigKey(i: DnsRecordSetInputs): Promise<TsigKey | undefined> {
  if (i.tsig === undefined) return undefined;
  let text: string;
  try {
    text = (await readFile(i.tsig.secretFile, "utf8")).trim();
  } catch (e) {
    throw new ResourceError(
      `dns_record_set: cannot read tsigSecretFile ${i.tsig.secretFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const secret = Buffer.from(text, "base64");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || secret.length === 0) {
    throw new ResourceError(
      `dns_record_set: tsigSecretFile ${i.tsig.secretFile} does not hold a base64 secret (only the secret, as in a BIND key's "secret" field)`,
    );
  }
  return { name: i.tsig.keyName, algorithm: i.tsig.algorithm, secret };
}

async function converge(
  i: DnsRecordSetInputs,
  wrote: RecordSet | null,
  ctx: ResourceContext,
): Promise<JsonObject> {
  const fqdn = nameToText(i.name);
  const where = `dns_record_set ${fqdn} ${i.type} (zone ${nameToText(i.zone)}) on ${serverText(i.server)}`;
  try {
    const key = await tsigKey(i);
    const read = async (): Promise<RecordSet> => {
      const held = await queryRecordSet(i.server, i.name, typeCode(i.type), key);
      return { records: held.rdata.map((r) => rdataToText(i.type, r)).sort(), ttl: held.ttl };
    };
    const update = (pre: ResourceRecord[], upd: ResourceRecord[]) => {
      ctx.log.info({ fqdn, type: i.type, server: serverText(i.server) }, "dns_record_set: UPDATE");
      return sendUpdate(i.server, i.zone, pre, upd, key);
    };
    const current = await read();
    const out = (s: RecordSet): JsonObject => ({ fqdn, records: s.records, ttl: i.ttl });

    if (!i.present) {
      const ours = i.overwrite
        ? current.records
        : current.records.filter((r) => wrote?.records.includes(r));
      if (ours.length > 0) {
        const spec = { name: i.name, type: i.type, zone: i.zone };
        const res = i.overwrite
          ? await update(existsWith(spec, current.records), deleteSet(spec))
          : await update([], deleteEach(spec, ours));
        if (res !== "done") throw drift(where, await read(), wrote, "remove it");
      }
      const left = ours.length > 0 ? await read() : current;
      if (left.records.length > 0) {
        ctx.log.info({ fqdn, left: left.records }, "dns_record_set: records not written here stay");
      }
      return out({ records: [], ttl: i.ttl });
    }

    const desired: RecordSet = { records: i.records, ttl: i.ttl };
    if (same(current, desired)) {
      ctx.log.info({ fqdn, type: i.type }, "dns_record_set: already as declared, nothing sent");
      return out(current);
    }
    const spec = { name: i.name, type: i.type, zone: i.zone };
    // What the server holds must be what this resource last wrote (nothing, for a set it
    // never wrote): anything else was changed by hand, deletions included.
    const ours = wrote === null ? current.records.length === 0 : same(current, wrote);
    if (!ours && !i.overwrite) throw drift(where, current, wrote, `write ${show(desired)}`);
    const pre = current.records.length === 0 ? absent(spec) : existsWith(spec, current.records);
    const res = await update(pre, [...deleteSet(spec), ...addAll(spec, desired)]);
    const now = await read();
    if (res !== "done" && !same(now, desired)) {
      throw drift(where, now, wrote, `write ${show(desired)}`);
    }
    if (!same(now, desired)) {
      throw new ResourceError(
        `${where}: the server accepted the UPDATE but now holds ${show(now)} instead of ${show(desired)}`,
      );
    }
    return out(now);
  } catch (e) {
    if (e instanceof DnsError) throw new ResourceError(`${where}: ${e.message}`);
    if (e instanceof DnsFormatError) {
      throw new ResourceError(
        `${where}: the server's answer holds malformed records: ${e.message}`,
      );
    }
    throw e;
  }
}

function drift(where: string, held: RecordSet, wrote: RecordSet | null, wanted: string) {
  const ours =
    wrote === null ? "this resource has not written it" : `this resource last wrote ${show(wrote)}`;
  return new ResourceError(
    `${where}: changed outside this deployment: the server holds ${show(held)}, ${ours}; not overwriting (set overwrite = true to ${wanted})`,
  );
}
