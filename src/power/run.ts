import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import type { Bmc } from "./bmc.js";

/** What one ipmitool process did. */
export interface IpmitoolRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Our bound ran out and the process was killed. */
  timedOut: boolean;
  /** The program could not be started (ENOENT: not installed). */
  spawnError: NodeJS.ErrnoException | null;
}

/** IPMI 2.0 (RMCP+) passwords are at most 20 bytes; ipmitool silently cuts longer ones. */
const MAX_PASSWORD_BYTES = 20;
const MAX_OUTPUT = 64 * 1024;

/**
 * Reads the BMC password from its file at the moment it is needed (so a rotated password
 * is used at once, and none is kept in memory between actions). The first line counts; a
 * trailing newline, as editors and `echo` leave, is not part of it. Throws a message that
 * names the file, never its content.
 */
export async function readPassword(bmc: Bmc): Promise<string> {
  let raw: Buffer;
  try {
    raw = await readFile(bmc.passwordFile);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new Error(`cannot read the password file ${bmc.passwordFile} (${code})`, { cause: err });
  }
  const line = raw.toString("utf8").split(/\r?\n/)[0] ?? "";
  if (line === "") throw new Error(`the password file ${bmc.passwordFile} is empty`);
  if (line.includes("\0"))
    throw new Error(`the password file ${bmc.passwordFile} holds a NUL byte`);
  if (Buffer.byteLength(line) > MAX_PASSWORD_BYTES)
    throw new Error(
      `the password in ${bmc.passwordFile} is longer than the ${MAX_PASSWORD_BYTES} bytes IPMI 2.0 allows`,
    );
  return line;
}

/**
 * Runs ipmitool with an argument array (no shell: nothing in a BMC description can become
 * a command) and the password in its environment only. Never rejects, never takes longer
 * than `timeoutMs` (SIGKILL then: ipmitool holds no state worth a graceful end).
 */
export function runIpmitool(
  program: string,
  args: readonly string[],
  password: string,
  timeoutMs: number,
): Promise<IpmitoolRun> {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C", IPMI_PASSWORD: password };
    execFile(
      program,
      args,
      { env, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: MAX_OUTPUT, encoding: "utf8" },
      (err, stdout, stderr) => {
        // execFile's error: `code` is the exit status (a number) when ipmitool ran, an errno
        // name (ENOENT, EACCES) when it could not start; `killed` when our timeout hit.
        const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: unknown }) | null;
        const code = e?.code;
        const spawnError = typeof code === "string" && /^E[A-Z]+$/.test(code) ? e : null;
        resolve({
          exitCode: e ? (typeof code === "number" ? code : null) : 0,
          stdout,
          stderr,
          timedOut: !!e?.killed && typeof code !== "string",
          spawnError,
        });
      },
    );
  });
}
