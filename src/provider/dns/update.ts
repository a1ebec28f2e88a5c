import { CLASS, type ResourceRecord } from "./message.js";
import type { DnsName } from "./name.js";
import { rdataFromText, typeCode, type RecordType } from "./rdata.js";

/**
 * The prerequisite and update records of RFC 2136 sections 2.4 and 2.5, for one record
 * set. Pure.
 */

/** Records in canonical presentation form, sorted, and their TTL. */
export interface RecordSet {
  records: string[];
  ttl: number;
}

export interface SetSpec {
  name: DnsName;
  type: RecordType;
  zone: DnsName;
}

const EMPTY = Buffer.alloc(0);

function rr(s: SetSpec, cls: number, ttl: number, rdata: Buffer): ResourceRecord {
  return { name: s.name, type: typeCode(s.type), cls, ttl, rdata };
}

/** 2.4.3 "RRset does not exist". */
export function absent(s: SetSpec): ResourceRecord[] {
  return [rr(s, CLASS.NONE, 0, EMPTY)];
}

/** 2.4.2 "RRset exists (value dependent)": exactly these records (TTL is not compared). */
export function existsWith(s: SetSpec, records: string[]): ResourceRecord[] {
  return records.map((r) => rr(s, CLASS.IN, 0, rdataFromText(s.type, r, s.zone)));
}

/** 2.5.2 "Delete an RRset". */
export function deleteSet(s: SetSpec): ResourceRecord[] {
  return [rr(s, CLASS.ANY, 0, EMPTY)];
}

/** 2.5.4 "Delete an RR from an RRset", for each record. */
export function deleteEach(s: SetSpec, records: string[]): ResourceRecord[] {
  return records.map((r) => rr(s, CLASS.NONE, 0, rdataFromText(s.type, r, s.zone)));
}

/** 2.5.1 "Add to an RRset". */
export function addAll(s: SetSpec, set: RecordSet): ResourceRecord[] {
  return set.records.map((r) => rr(s, CLASS.IN, set.ttl, rdataFromText(s.type, r, s.zone)));
}
