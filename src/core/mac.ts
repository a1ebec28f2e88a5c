/**
 * A MAC address in canonical form: lowercase, colon-separated, `aa:bb:cc:dd:ee:ff`.
 * Branded so that an unchecked string can never be used where a parsed MAC is meant.
 */
export type Mac = string & { readonly __brand: "Mac" };

const HEX12 = /^[0-9a-f]{12}$/;

/**
 * Accepts `aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff` (Cisco) and bare
 * `aabbccddeeff`; returns null for anything else. Separators must be consistent, so that a
 * typo such as `aa:bb-cc...` is refused rather than guessed at.
 */
export function parseMac(input: string): Mac | null {
  const s = input.trim().toLowerCase();
  let hex: string;
  if (/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(s) || /^([0-9a-f]{2}-){5}[0-9a-f]{2}$/.test(s)) {
    hex = s.replace(/[:-]/g, "");
  } else if (/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/.test(s)) {
    hex = s.replace(/\./g, "");
  } else {
    hex = s;
  }
  if (!HEX12.test(hex)) return null;
  return hex.replace(/(..)(?!$)/g, "$1:") as Mac;
}

/** The 6 bytes of a MAC (e.g. a DHCP chaddr) in canonical form. */
export function macFromBytes(bytes: Uint8Array): Mac {
  if (bytes.length < 6) throw new RangeError(`a MAC needs 6 bytes, got ${bytes.length}`);
  return Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join(":") as Mac;
}

export function macToBytes(mac: Mac): Buffer {
  return Buffer.from(mac.replace(/:/g, ""), "hex");
}

/**
 * The MAC as it goes into a URL path: hyphens, because iPXE percent-encodes `:` in paths
 * (it asked for `/boot/52%3A54%3A...`), and `parseMac` reads hyphens back.
 */
export function macForUrl(mac: Mac): string {
  return mac.replace(/:/g, "-");
}
