import { generateKeyPairSync, randomBytes } from "node:crypto";

/** An SSH key pair in the formats `ssh-keygen` writes (openssh-key-v1, authorized_keys line). */
export interface SshKeyPair {
  publicKey: string;
  privateKey: string;
}

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === "string" ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Wire-format public key blob: string "ssh-ed25519", string key. */
function ed25519Blob(pub: Buffer): Buffer {
  return Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);
}

/** A fresh ed25519 key pair; `comment` ends the public line and sits in the private key. */
export function generateEd25519(comment = ""): SshKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  // The raw 32-byte keys are the JWK's base64url x and d.
  const pub = Buffer.from(publicKey.export({ format: "jwk" }).x ?? "", "base64url");
  const seed = Buffer.from(privateKey.export({ format: "jwk" }).d ?? "", "base64url");
  const blob = ed25519Blob(pub);
  const check = randomBytes(4);
  let inner = Buffer.concat([
    check,
    check,
    sshString("ssh-ed25519"),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  // Unencrypted keys pad to a multiple of 8 with 1, 2, 3, ...
  const pad = (8 - (inner.length % 8)) % 8;
  inner = Buffer.concat([inner, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    uint32(1),
    sshString(blob),
    sshString(inner),
  ]);
  const b64 = body.toString("base64").replace(/.{70}/g, "$&\n");
  const privateKeyText = `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}${b64.endsWith("\n") ? "" : "\n"}-----END OPENSSH PRIVATE KEY-----\n`;
  const publicLine = `ssh-ed25519 ${blob.toString("base64")}${comment ? " " + comment : ""}`;
  return { publicKey: publicLine, privateKey: privateKeyText };
}

/** The `type base64` part of an OpenSSH public key line, for comparisons that ignore comments. */
export function publicKeyIdentity(line: string): string | null {
  const m = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+)\s+([A-Za-z0-9+/=]+)(\s.*)?$/.exec(line.trim());
  return m ? `${m[1]} ${m[2]}` : null;
}
