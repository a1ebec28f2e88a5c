/** curl as the LAN's peer: one request, its status, headers and body; optionally from a namespace. */
import { execFile } from "node:child_process";

export interface Answer {
  /** 0: no HTTP answer (the connection was cut). */
  readonly status: number;
  readonly headers: string;
  readonly body: string;
}

/** Never rejects: a cut connection is status 0. */
export async function curl(args: readonly string[], ns?: string): Promise<Answer> {
  // No "Expect: 100-continue": a refused body is then sent at once, as an attacker would.
  const cmd = ["curl", "-s", "-i", "-H", "Expect:", "--max-time", "10", ...args];
  const [file, argv] = ns ? ["ip", ["netns", "exec", ns, ...cmd]] : ["curl", cmd.slice(1)];
  const out = await new Promise<string>((resolve) =>
    execFile(file, argv, { encoding: "utf8", timeout: 15_000 }, (_e, stdout) => resolve(stdout)),
  );
  const cut = out.indexOf("\r\n\r\n");
  const headers = cut < 0 ? out : out.slice(0, cut);
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(headers)?.[1] ?? 0);
  return { status, headers, body: cut < 0 ? "" : out.slice(cut + 4) };
}

/** The value of one response header, or null. */
export function header(a: Answer, name: string): string | null {
  const m = new RegExp(`^${name}:\\s*(.*?)\\s*$`, "im").exec(a.headers);
  return m?.[1] ?? null;
}

/** A sample's value in the Prometheus text, 0 when absent. */
export function metric(text: string, sample: string): number {
  const line = text.split("\n").find((l) => l.startsWith(sample + " "));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}
