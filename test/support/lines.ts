import type { Readable } from "node:stream";

/** Collects a stream's lines and lets a test wait (bounded) for one matching a predicate. */
export class LineWatcher {
  readonly lines: string[] = [];
  private buffer = "";
  private waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];

  constructor(stream: Readable) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => {
          if (!w.pred(line)) return true;
          w.resolve(line);
          return false;
        });
      }
    });
  }

  /** The first line (already seen or future) matching `pred`; rejects after `ms`. */
  waitFor(pred: (l: string) => boolean, ms: number, what = "a matching line"): Promise<string> {
    const seen = this.lines.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (l: string) => (clearTimeout(timer), resolve(l)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(
          new Error(`timed out after ${ms} ms waiting for ${what}; saw:\n${this.lines.join("\n")}`),
        );
      }, ms);
      this.waiters.push(w);
    });
  }
}
