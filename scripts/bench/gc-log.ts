/**
 * Preload for the DHCP wire benchmark: records every V8 collection of the process it is
 * loaded into (start as epoch milliseconds, duration, kind), and writes them to $GC_LOG
 * on SIGTERM, one "start duration kind" line each, so scripts/bench/dhcp-wire-split.ts can
 * tell which slow exchanges a collection overlapped.
 *
 *   GC_LOG=/tmp/gc.txt node --import ./dist/scripts/bench/gc-log.js SERVER.js ...
 */
import { PerformanceObserver, performance } from "node:perf_hooks";
import { writeFileSync } from "node:fs";

const path = process.env.GC_LOG;
if (path) {
  const lines: string[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      // Bounded: an hour of scavenges at ten a second.
      if (lines.length >= 36_000) return;
      const kind = (e as { detail?: { kind?: number } }).detail?.kind ?? 0;
      lines.push(
        `${(performance.timeOrigin + e.startTime).toFixed(3)} ${e.duration.toFixed(3)} ${kind}`,
      );
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  // Before the server's own SIGTERM handler (preloads run first), which may exit at once.
  process.prependListener("SIGTERM", () => {
    writeFileSync(path, lines.join("\n") + "\n");
    // A listener replaces the default action: a process without its own handler would
    // keep running. End it as SIGTERM would have.
    if (process.listenerCount("SIGTERM") === 1) process.exit(143);
  });
}
