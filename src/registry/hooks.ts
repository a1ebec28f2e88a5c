import { spawn } from "node:child_process";

export interface HookResult {
  exitCode: number | null;
  signal: string | null;
  output: string;
  ms: number;
  error: string | null;
}

const MAX_OUTPUT = 8192;

/**
 * Runs `command` with `input` on stdin. Never rejects and never waits longer than
 * `timeoutMs`: a slow hook is killed, a missing program is reported as an error result.
 */
export function runHook(
  command: readonly string[],
  input: string,
  timeoutMs: number,
): Promise<HookResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const [file, ...args] = command;
    let output = "";
    let error: string | null = null;
    const child = spawn(file ?? "", args, { stdio: ["pipe", "pipe", "pipe"] });
    const keep = (b: Buffer) => {
      if (output.length < MAX_OUTPUT)
        output += b.toString("utf8").slice(0, MAX_OUTPUT - output.length);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.stdin.on("error", () => undefined); // a hook that ignores stdin closes the pipe early
    child.stdin.end(input);
    const timer = setTimeout(() => {
      error = `timed out after ${timeoutMs} ms`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => (error = e.message));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code, signal, output, ms: Date.now() - started, error });
    });
  });
}
