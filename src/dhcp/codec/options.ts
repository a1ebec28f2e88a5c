/**
 * Typed access to the options a PXE proxy reads and writes (RFC 2132, 3004, 4578, PXE 2.1,
 * iPXE's option 175). Accessors return null (or empty) for an absent or ill-formed option:
 * a client that sends a nonsense option is treated as not having sent it.
 */
import { Instances, walkArea } from "./gather.js";
import type { DhcpPacket } from "./packet.js";

export const OPT = {
  vendorSpecific: 43,
  requestedIp: 50,
  messageType: 53,
  serverId: 54,
  paramRequestList: 55,
  maxMessageSize: 57,
  vendorClass: 60,
  clientId: 61,
  tftpServerName: 66,
  bootfileName: 67,
  userClass: 77,
  clientArch: 93,
  clientNdi: 94,
  clientUuid: 97,
  ipxeEncap: 175,
} as const;

export const MSG = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;

/** PXE 2.1 sub-options of option 43 when option 60 is PXEClient. */
export const PXE_SUB = {
  discoveryControl: 6,
  bootServers: 8,
  bootMenu: 9,
  menuPrompt: 10,
  bootItem: 71,
} as const;

type Opts = Pick<DhcpPacket, "options">;

export function messageType(p: Opts): number | null {
  const v = p.options.get(OPT.messageType);
  return v && v.length === 1 ? v[0]! : null;
}

function ipv4(v: Buffer | undefined): string | null {
  return v && v.length === 4 ? `${v[0]}.${v[1]}.${v[2]}.${v[3]}` : null;
}

export const serverId = (p: Opts): string | null => ipv4(p.options.get(OPT.serverId));
export const requestedIp = (p: Opts): string | null => ipv4(p.options.get(OPT.requestedIp));

export function paramRequestList(p: Opts): number[] {
  return [...(p.options.get(OPT.paramRequestList) ?? [])];
}

export function maxMessageSize(p: Opts): number | null {
  const v = p.options.get(OPT.maxMessageSize);
  return v && v.length === 2 ? v.readUInt16BE(0) : null;
}

function text(v: Buffer | undefined): string | null {
  return v ? v.toString("latin1") : null;
}

export const vendorClass = (p: Opts): string | null => text(p.options.get(OPT.vendorClass));
export const tftpServerName = (p: Opts): string | null => text(p.options.get(OPT.tftpServerName));
export const bootfileName = (p: Opts): string | null => text(p.options.get(OPT.bootfileName));

export function clientId(p: Opts): Buffer | null {
  const v = p.options.get(OPT.clientId);
  return v && v.length >= 2 ? v : null;
}

/**
 * Option 77 as a list of class names. RFC 3004 encodes length-prefixed instances; iPXE (and
 * older clients) send the bare text, e.g. `iPXE`. A value that does not parse exactly as
 * RFC 3004 is taken as one bare name.
 */
export function userClass(p: Opts): string[] {
  const v = p.options.get(OPT.userClass);
  if (!v || v.length === 0) return [];
  const out: string[] = [];
  let i = 0;
  while (i < v.length) {
    const n = v[i]!;
    if (n === 0 || i + 1 + n > v.length) return [v.toString("latin1")];
    out.push(v.toString("latin1", i + 1, i + 1 + n));
    i += 1 + n;
  }
  return out;
}

/** Option 93 (RFC 4578): the client's architecture types, in the client's order. */
export function clientArch(p: Opts): number[] {
  const v = p.options.get(OPT.clientArch);
  if (!v || v.length === 0 || v.length % 2 !== 0) return [];
  const out: number[] = [];
  for (let i = 0; i < v.length; i += 2) out.push(v.readUInt16BE(i));
  return out;
}

export interface Ndi {
  readonly type: number;
  readonly major: number;
  readonly minor: number;
}

/** Option 94: network interface identifier (type 1 = UNDI, then major, minor). */
export function clientNdi(p: Opts): Ndi | null {
  const v = p.options.get(OPT.clientNdi);
  return v && v.length === 3 ? { type: v[0]!, major: v[1]!, minor: v[2]! } : null;
}

/** Option 97: type byte 0 then a 16-byte UUID. Returns the whole raw value (to echo it). */
export function clientUuid(p: Opts): Buffer | null {
  const v = p.options.get(OPT.clientUuid);
  return v && v.length === 17 && v[0] === 0 ? v : null;
}

/** Sub-options (code, length, value) inside an encapsulating option; null when ill-formed. */
export function parseSubOptions(v: Buffer): Map<number, Buffer> | null {
  const instances = new Instances(v);
  return walkArea(v, 0, v.length, "sub-options", instances) === null ? instances.join() : null;
}

export function encodeSubOptions(subs: ReadonlyArray<readonly [number, Uint8Array]>): Buffer {
  const parts: Buffer[] = [];
  for (const [code, value] of subs) {
    if (value.length > 255) throw new RangeError(`sub-option ${code} longer than 255 bytes`);
    parts.push(Buffer.from([code, value.length]), Buffer.from(value));
  }
  parts.push(Buffer.from([255]));
  return Buffer.concat(parts);
}

export interface PxeVendorOptions {
  readonly discoveryControl: number | null;
  readonly bootServers: Buffer | null;
  readonly bootMenu: Buffer | null;
  readonly menuPrompt: Buffer | null;
  /** Sub-option 71: boot server type and layer. */
  readonly bootItem: { readonly type: number; readonly layer: number } | null;
}

/** Option 43 read as PXE sub-options; null when absent or ill-formed. */
export function pxeVendorOptions(p: Opts): PxeVendorOptions | null {
  const v = p.options.get(OPT.vendorSpecific);
  if (!v) return null;
  const subs = parseSubOptions(v);
  if (!subs) return null;
  const dc = subs.get(PXE_SUB.discoveryControl);
  const item = subs.get(PXE_SUB.bootItem);
  return {
    discoveryControl: dc && dc.length === 1 ? dc[0]! : null,
    bootServers: subs.get(PXE_SUB.bootServers) ?? null,
    bootMenu: subs.get(PXE_SUB.bootMenu) ?? null,
    menuPrompt: subs.get(PXE_SUB.menuPrompt) ?? null,
    bootItem:
      item && item.length === 4
        ? { type: item.readUInt16BE(0), layer: item.readUInt16BE(2) }
        : null,
  };
}

/** Option 175 (iPXE's encapsulated feature list); null when absent or ill-formed. */
export function ipxeEncapsulated(p: Opts): Map<number, Buffer> | null {
  const v = p.options.get(OPT.ipxeEncap);
  return v ? parseSubOptions(v) : null;
}

export function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split(".").map(Number));
}
