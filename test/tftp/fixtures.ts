import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a real peer; never rejects (the exit code is part of what tests check). */
export function run(cmd: string, args: string[], timeoutMs = 60000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Tree {
  /** Parent temp dir: holds the root and a "secret" file outside it. */
  base: string;
  root: string;
  files: Record<string, Buffer>;
  cleanup(): Promise<void>;
}

/**
 * A TFTP root with files of telling sizes (empty, exact multiples of the block sizes, the
 * real ipxe.efi copied in) plus a file outside the root and a symlink pointing at it.
 */
export async function makeTree(extra: Record<string, Buffer> = {}): Promise<Tree> {
  const base = await mkdtemp(path.join(tmpdir(), `lst-tftp-${process.pid}-`));
  const root = path.join(base, "root");
  await mkdir(path.join(root, "sub"), { recursive: true });
  const { readFile } = await import("node:fs/promises");
  const files: Record<string, Buffer> = {
    "ipxe.efi": await readFile("/usr/lib/ipxe/ipxe.efi"),
    "empty.bin": Buffer.alloc(0),
    "x512.bin": randomBytes(512 * 3),
    "x1468.bin": randomBytes(1468 * 5),
    "odd.bin": randomBytes(100_003),
    "sub/inner.bin": randomBytes(4000),
    ...extra,
  };
  for (const [name, data] of Object.entries(files)) await writeFile(path.join(root, name), data);
  await writeFile(path.join(base, "secret.txt"), "outside the root\n");
  await symlink(path.join(base, "secret.txt"), path.join(root, "escape"));
  await symlink("../secret.txt", path.join(root, "escape-rel"));
  await symlink("odd.bin", path.join(root, "inside-link"));
  return { base, root, files, cleanup: () => rm(base, { recursive: true, force: true }) };
}
