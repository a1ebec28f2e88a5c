import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after } from "node:test";
import { CLI, cleanup, startServe, type RunningServe } from "../support/appliance.js";

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `landscaper` (dist/src/cli/main.js) and collects what it printed. */
export function landscaper(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    p.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
    p.on("error", reject);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface CliServe {
  readonly s: RunningServe;
  /** A file the serve's config allows as kernel and initrd. */
  readonly kernel: string;
  /** `landscaper machines ARGS --socket` of this serve. */
  cli(this: void, ...args: string[]): Promise<Ran>;
}

/**
 * For a test file that drives `landscaper machines` against real `landscaper serve`s: each
 * call of the returned function starts one; all are stopped after the file's tests.
 */
export function cliServes(): () => Promise<CliServe> {
  const running: RunningServe[] = [];
  after(async () => {
    for (const s of running) await cleanup(s);
  });
  return async () => {
    const s = await startServe();
    running.push(s);
    const kernel = join(s.dir, "vmlinuz");
    await writeFile(kernel, "k");
    const cli = (...args: string[]) => landscaper(["machines", ...args, "--socket", s.socket]);
    return { s, kernel, cli };
  };
}
