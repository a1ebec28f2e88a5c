/**
 * Domain names (RFC 1035 section 3.1): a name is its list of labels, raw bytes, the root
 * label left out. Text is presentation form with RFC 1035 escapes (`\.`, `\DDD`). Pure.
 */

/** A domain name as labels, most specific first; [] is the root. */
export type DnsName = readonly Buffer[];

/** Bytes that are malformed or text that is not a name; the message says what is wrong. */
export class DnsFormatError extends Error {
  override name = "DnsFormatError";
}

const MAX_LABEL = 63;
const MAX_NAME = 255;
/** Bound on compression pointers followed in one name, so a pointer loop cannot spin. */
const MAX_POINTERS = 128;

function checkLength(labels: DnsName, shown: string): void {
  let wire = 1;
  for (const l of labels) {
    if (l.length === 0) throw new DnsFormatError(`${shown}: empty label`);
    if (l.length > MAX_LABEL) {
      throw new DnsFormatError(`${shown}: a label is ${l.length} bytes (at most ${MAX_LABEL})`);
    }
    wire += 1 + l.length;
  }
  if (wire > MAX_NAME) throw new DnsFormatError(`${shown}: ${wire} bytes (at most ${MAX_NAME})`);
}

/**
 * Parses a name in presentation form. A trailing dot makes it absolute; otherwise it is
 * relative to `origin` (as in a zone file), and `@` is the origin itself.
 */
export function parseName(text: string, origin?: DnsName): DnsName {
  const shown = JSON.stringify(text);
  if (text === "@" && origin !== undefined) return origin;
  if (text === ".") return [];
  if (text === "") throw new DnsFormatError("empty name");
  const labels: Buffer[] = [];
  let cur: number[] = [];
  let absolute = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) {
      const digits = text.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(digits)) {
        const v = Number(digits);
        if (v > 255) throw new DnsFormatError(`${shown}: escape \\${digits} is above 255`);
        cur.push(v);
        i += 3;
      } else if (i + 1 < text.length) {
        cur.push(...Buffer.from(text[i + 1] as string, "utf8"));
        i += 1;
      } else {
        throw new DnsFormatError(`${shown}: ends in a lone backslash`);
      }
    } else if (c === 0x2e /* . */) {
      if (cur.length === 0) throw new DnsFormatError(`${shown}: empty label`);
      labels.push(Buffer.from(cur));
      cur = [];
      if (i === text.length - 1) absolute = true;
    } else if (c <= 0x20 || c === 0x7f) {
      throw new DnsFormatError(`${shown}: contains a space or control character (escape it)`);
    } else {
      cur.push(...Buffer.from(text[i] as string, "utf8"));
    }
  }
  if (cur.length > 0) labels.push(Buffer.from(cur));
  if (!absolute) {
    if (origin === undefined) {
      throw new DnsFormatError(`${shown}: a relative name needs a trailing dot here`);
    }
    labels.push(...origin);
  }
  checkLength(labels, shown);
  return labels;
}

/** Bytes shown as themselves in a label; everything else is escaped. */
function plain(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) ||
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    b === 0x2d ||
    b === 0x5f ||
    b === 0x2a ||
    b === 0x2f
  );
}

/** Presentation form, absolute (trailing dot); the root is ".". */
export function nameToText(name: DnsName): string {
  if (name.length === 0) return ".";
  let out = "";
  for (const label of name) {
    for (const b of label) {
      if (plain(b)) out += String.fromCharCode(b);
      else if (b > 0x20 && b < 0x7f) out += "\\" + String.fromCharCode(b);
      else out += "\\" + String(b).padStart(3, "0");
    }
    out += ".";
  }
  return out;
}

/** ASCII letters folded to lower case (RFC 4343): the form names are compared and signed in. */
export function lowerName(name: DnsName): DnsName {
  return name.map((l) => Buffer.from(l.map((b) => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b))));
}

export function sameName(a: DnsName, b: DnsName): boolean {
  if (a.length !== b.length) return false;
  const la = lowerName(a);
  const lb = lowerName(b);
  return la.every((l, i) => l.equals(lb[i] as Buffer));
}

/** True when `name` is `zone` or below it. */
export function isWithin(name: DnsName, zone: DnsName): boolean {
  return name.length >= zone.length && sameName(name.slice(name.length - zone.length), zone);
}

/** Uncompressed wire form. */
export function encodeName(name: DnsName): Buffer {
  const parts: Buffer[] = [];
  for (const l of name) parts.push(Buffer.from([l.length]), l);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** Reads a possibly compressed name at `offset`; `next` is the offset after it in place. */
export function decodeName(msg: Buffer, offset: number): { name: DnsName; next: number } {
  const labels: Buffer[] = [];
  let pos = offset;
  let next = -1;
  for (let hops = 0; ;) {
    if (pos >= msg.length) throw new DnsFormatError(`name at offset ${offset} runs past the end`);
    const len = msg[pos] as number;
    if (len === 0) {
      pos += 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) throw new DnsFormatError(`name at offset ${offset} is cut off`);
      if (++hops > MAX_POINTERS) {
        throw new DnsFormatError(`name at offset ${offset} has a compression pointer loop`);
      }
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | (msg[pos + 1] as number);
      continue;
    }
    if ((len & 0xc0) !== 0) throw new DnsFormatError(`name at offset ${offset}: bad label type`);
    if (pos + 1 + len > msg.length) {
      throw new DnsFormatError(`name at offset ${offset} runs past the end`);
    }
    labels.push(Buffer.from(msg.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  checkLength(labels, `name at offset ${offset}`);
  return { name: labels, next: next < 0 ? pos : next };
}
