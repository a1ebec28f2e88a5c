import { createHash, generateKeyPairSync, randomBytes, sign, verify } from "node:crypto";

/**
 * Ed25519 keys in the two text formats OpenSSH itself writes: the `openssh-key-v1`
 * private key file (unencrypted, cipher "none") and the one-line public key
 * (`ssh-ed25519 AAAA... comment`). Pure functions over strings and bytes: no files, no
 * processes, so both the resource provider and the registry can use them.
 */

/** An OpenSSH key pair as text, exactly as `ssh-keygen -t ed25519 -N ''` writes the two files. */
export interface OpenSshKeyPair {
  /** `ssh-ed25519 BASE64[ COMMENT]` (no trailing newline) */
  readonly publicKey: string;
  /** `-----BEGIN OPENSSH PRIVATE KEY-----` ... with a trailing newline */
  readonly privateKey: string;
}

/** A parsed one-line public key. `blob` is the wire-format key that SSH servers present. */
export interface OpenSshPublicKey {
  readonly type: string;
  readonly blob: Buffer;
  readonly comment: string;
}

const ED25519 = "ssh-ed25519";
const MAGIC = Buffer.from("openssh-key-v1\0", "latin1");
const BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END = "-----END OPENSSH PRIVATE KEY-----";
// DER wrappings of raw ed25519 keys (RFC 8410): a fixed prefix, then the 32 key bytes.
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** SSH wire `string`: uint32 length then the bytes (RFC 4251 section 5). */
function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** Reads SSH wire fields in order; throws a RangeError naming what was being read when short. */
class WireReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  uint32(what: string): number {
    if (this.remaining < 4) throw new RangeError(`truncated key: no room for ${what}`);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  string(what: string): Buffer {
    const len = this.uint32(`${what} length`);
    if (this.remaining < len) throw new RangeError(`truncated key: ${what} runs past the end`);
    const v = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return v;
  }
  rest(): Buffer {
    const v = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return v;
  }
}

/** The wire blob of an ed25519 public key: string "ssh-ed25519", string pk(32). */
export function ed25519PublicBlob(publicKey32: Buffer): Buffer {
  if (publicKey32.length !== 32) throw new RangeError("an ed25519 public key has 32 bytes");
  return Buffer.concat([sshString(ED25519), sshString(publicKey32)]);
}

/** `ssh-ed25519 BASE64` plus ` COMMENT` when the comment is not empty (as ssh-keygen does). */
export function formatPublicKey(type: string, blob: Buffer, comment = ""): string {
  const line = `${type} ${blob.toString("base64")}`;
  return comment === "" ? line : `${line} ${comment}`;
}

/**
 * Builds the openssh-key-v1 private key file for one unencrypted ed25519 key. Layout
 * (OpenSSH PROTOCOL.key): magic, cipher "none", kdf "none", empty kdf options, 1 key,
 * the public blob, then the private section: two equal random check integers, the key
 * type, pk, sk (seed||pk, 64 bytes), the comment, and padding 1,2,3... up to a multiple
 * of the cipher block size (8 for "none"). Base64 is wrapped at 70 columns like ssh-keygen.
 */
export function formatEd25519PrivateKey(
  seed32: Buffer,
  publicKey32: Buffer,
  comment = "",
  checkInt = randomBytes(4).readUInt32BE(0),
): string {
  if (seed32.length !== 32) throw new RangeError("an ed25519 seed has 32 bytes");
  const blob = ed25519PublicBlob(publicKey32);
  const unpadded = Buffer.concat([
    uint32(checkInt),
    uint32(checkInt),
    sshString(ED25519),
    sshString(publicKey32),
    sshString(Buffer.concat([seed32, publicKey32])),
    sshString(comment),
  ]);
  const padLen = (8 - (unpadded.length % 8)) % 8;
  const padding = Buffer.from(Array.from({ length: padLen }, (_, i) => i + 1));
  const body = Buffer.concat([
    MAGIC,
    sshString("none"),
    sshString("none"),
    sshString(Buffer.alloc(0)),
    uint32(1),
    sshString(blob),
    sshString(Buffer.concat([unpadded, padding])),
  ]);
  const b64 = body.toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  return `${BEGIN}\n${lines.join("\n")}\n${END}\n`;
}

/** A fresh ed25519 key pair from node:crypto, in OpenSSH's file formats. */
export function generateEd25519KeyPair(comment = ""): OpenSshKeyPair {
  if (/[\r\n]/.test(comment)) throw new RangeError("a key comment cannot contain a line break");
  // DER straight out of the generator, never KeyObject.export(): on Node 20, exporting a
  // generated ed25519 KeyObject as JWK can deadlock when a garbage collection runs inside
  // the export (seen here: ExportJWKEdKey holds the key's mutex, ~KeyGenJob takes it again).
  const { publicKey, privateKey } = generateKeyPairSync("ed25519", {
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "pkcs8", format: "der" },
  });
  if (
    publicKey.length !== 44 ||
    !publicKey.subarray(0, 12).equals(SPKI_ED25519_PREFIX) ||
    privateKey.length !== 48 ||
    !privateKey.subarray(0, 16).equals(PKCS8_ED25519_PREFIX)
  ) {
    throw new Error("node:crypto returned an ed25519 key in an unexpected DER layout");
  }
  const seed = Buffer.from(privateKey.subarray(16));
  const pk = Buffer.from(publicKey.subarray(12));
  return {
    publicKey: formatPublicKey(ED25519, ed25519PublicBlob(pk), comment),
    privateKey: formatEd25519PrivateKey(seed, pk, comment),
  };
}

/**
 * Parses `TYPE BASE64 [COMMENT]` (one line, as in authorized_keys without options or a
 * `.pub` file). Checks that the blob's embedded type matches the stated one.
 */
export function parsePublicKey(text: string): OpenSshPublicKey {
  const m = /^([A-Za-z0-9@._+-]+)[ \t]+([A-Za-z0-9+/]+={0,2})(?:[ \t]+(.*))?$/.exec(text.trim());
  if (!m)
    throw new SyntaxError("not an OpenSSH public key line (expected `TYPE BASE64 [COMMENT]`)");
  const [, type = "", b64 = "", comment = ""] = m;
  const blob = Buffer.from(b64, "base64");
  let embedded: string;
  try {
    embedded = new WireReader(blob).string("key type").toString("latin1");
  } catch {
    throw new SyntaxError(`the base64 of this ${type} public key is not an SSH key blob`);
  }
  if (embedded !== type) {
    throw new SyntaxError(`public key says ${type} but its blob holds a ${embedded} key`);
  }
  if (type === ED25519) {
    const r = new WireReader(blob);
    r.string("key type");
    if (r.string("ed25519 key").length !== 32 || r.remaining !== 0) {
      throw new SyntaxError("an ssh-ed25519 public key blob must hold exactly 32 key bytes");
    }
  }
  return { type, blob, comment: comment.trim() };
}

/** True when two public key lines (or blobs) are the same key, whatever their comments. */
export function samePublicKey(a: string | Buffer, b: string | Buffer): boolean {
  const blobA = typeof a === "string" ? parsePublicKey(a).blob : a;
  const blobB = typeof b === "string" ? parsePublicKey(b).blob : b;
  return blobA.equals(blobB);
}

/** `SHA256:...` as `ssh-keygen -l` prints it (unpadded base64 of the blob's SHA-256). */
export function fingerprint(key: string | Buffer): string {
  const blob = typeof key === "string" ? parsePublicKey(key).blob : key;
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The fields of an unencrypted openssh-key-v1 ed25519 private key file. */
export interface Ed25519PrivateKey {
  readonly seed: Buffer;
  readonly publicKey: Buffer;
  readonly comment: string;
  readonly checkInt: number;
}

/**
 * Reads an unencrypted openssh-key-v1 ed25519 private key, checking the check integers
 * and that the secret key really derives the stated public one. Encrypted keys and other
 * key types are refused by name.
 */
export function parseEd25519PrivateKey(privateKeyText: string): Ed25519PrivateKey {
  const text = privateKeyText.trim();
  if (!text.startsWith(BEGIN) || !text.endsWith(END)) {
    throw new SyntaxError(`not an OpenSSH private key (expected ${BEGIN} ... ${END})`);
  }
  const body = Buffer.from(text.slice(BEGIN.length, -END.length).replace(/\s+/g, ""), "base64");
  if (!body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new SyntaxError("OpenSSH private key without the openssh-key-v1 magic");
  }
  const r = new WireReader(body.subarray(MAGIC.length));
  const cipher = r.string("cipher name").toString("latin1");
  const kdf = r.string("kdf name").toString("latin1");
  r.string("kdf options");
  if (cipher !== "none" || kdf !== "none") {
    throw new SyntaxError(
      `the private key is encrypted (cipher ${cipher}); give an unencrypted key`,
    );
  }
  const count = r.uint32("key count");
  if (count !== 1) throw new SyntaxError(`expected one key in the file, found ${count}`);
  const blob = r.string("public key");
  const priv = new WireReader(r.string("private section"));
  const checkInt = priv.uint32("check integer 1");
  if (checkInt !== priv.uint32("check integer 2")) {
    throw new SyntaxError("the private key's check integers differ (corrupt or encrypted)");
  }
  const type = priv.string("key type").toString("latin1");
  if (type !== ED25519) throw new SyntaxError(`only ssh-ed25519 keys are supported, not ${type}`);
  const pk = priv.string("ed25519 public key");
  const sk = priv.string("ed25519 secret key");
  const comment = priv.string("comment").toString("utf8");
  if (pk.length !== 32 || sk.length !== 64 || !sk.subarray(32).equals(pk)) {
    throw new SyntaxError("malformed ed25519 private key section");
  }
  if (!ed25519PublicBlob(pk).equals(blob)) {
    throw new SyntaxError("the private section does not match the file's public key");
  }
  const seed = Buffer.from(sk.subarray(0, 32));
  // The seed must belong to the public key, or the file pairs a secret with someone else's
  // key: a signature made with the seed must verify under the stated public key.
  const probe = Buffer.from("landscaper key pair check");
  const signature = sign(null, probe, {
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const key = {
    key: Buffer.concat([SPKI_ED25519_PREFIX, pk]),
    format: "der",
    type: "spki",
  } as const;
  if (!verify(null, probe, key, signature)) {
    throw new SyntaxError("the ed25519 seed does not derive the stated public key");
  }
  return { seed, publicKey: Buffer.from(pk), comment, checkInt };
}

/** The public key line (with the file's comment) of an OpenSSH ed25519 private key. */
export function publicKeyFromPrivate(privateKeyText: string): string {
  const k = parseEd25519PrivateKey(privateKeyText);
  return formatPublicKey(ED25519, ed25519PublicBlob(k.publicKey), k.comment);
}

// The registry's names (from main) for the same operations, kept so both sides share one
// implementation.

/** A key pair as the registry stores it. */
export interface SshKeyPair {
  publicKey: string;
  privateKey: string;
}

/** A fresh ed25519 key pair; `comment` ends the public line and sits in the private key. */
export function generateEd25519(comment = ""): SshKeyPair {
  return { ...generateEd25519KeyPair(comment) };
}

/**
 * The `type base64` part of an OpenSSH public key line, for comparisons that ignore
 * comments; null when the line is not a well-formed public key.
 */
export function publicKeyIdentity(line: string): string | null {
  try {
    const k = parsePublicKey(line);
    return formatPublicKey(k.type, k.blob);
  } catch {
    return null;
  }
}
