// The lab's live view of one machine: follows Landscaper's event stream on the control socket
// and prints every boot stage with the time since the VM was powered on.
//   node dist/scripts/lablib/watch.js --socket PATH --mac MAC [--since EPOCH_MS]
import { request } from "node:http";
import type { MachineEvent } from "../../src/registry/machine.js";
import { stepText } from "../../src/registry/views.js";

interface Args {
  socket: string;
  mac: string;
  since: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const socket = get("--socket");
  const mac = get("--mac");
  if (socket === undefined || mac === undefined) {
    throw new Error("usage: watch --socket PATH --mac MAC [--since EPOCH_MS]");
  }
  const since = Number(get("--since") ?? Date.now());
  return { socket, mac, since: Number.isFinite(since) ? since : Date.now() };
}

type Event = Record<string, unknown> & { at?: string; type?: string };

const str = (v: unknown): string =>
  v === undefined || v === null ? "-" : typeof v === "string" ? v : JSON.stringify(v);

/** One human line per event; the tail of a failure log indented below it. */
export function describe(e: Event): string {
  switch (String(e.type)) {
    case "dhcp":
      return `DHCP    ${str(e.clientKind)} (arch ${str(e.arch)}, port ${str(e.port)}) -> ${str(e.file)}`;
    case "tftp":
      return `TFTP    ${str(e.file)}: ${str(e.bytes)} bytes, ${str(e.outcome)}, ${str(e.ms)} ms`;
    case "progress": {
      const pct = typeof e.progress === "number" ? ` ${e.progress}%` : "";
      return `phase   ${str(e.phase)}${pct}${e.message ? ` (${str(e.message)})` : ""}`;
    }
    case "failed": {
      const log = typeof e.log === "string" ? e.log.split("\n").slice(-8) : [];
      return [`FAILED  ${str(e.message)}`, ...log.map((l) => `          | ${l}`)].join("\n");
    }
    case "state":
      return `state   -> ${str(e.state)}`;
    case "power":
      // What Landscaper asked the BMC, as `machines show` words it: "power arm
      // (registration): pxe-once, on, power on".
      return `BMC     ${stepText(e as unknown as MachineEvent)}`;
    default: {
      const shown = new Set(["at", "mac", "generation", "type", "state"]);
      const rest = Object.fromEntries(Object.entries(e).filter(([k]) => !shown.has(k)));
      const details = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : "";
      return `${str(e.type).padEnd(7)} (${str(e.state)})${details}`;
    }
  }
}

function follow(args: Args): void {
  const path = `/v1/events?mac=${encodeURIComponent(args.mac)}`;
  const req = request({ socketPath: args.socket, path, method: "GET" }, (res) => {
    let buf = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line === "") continue;
        let e: Event;
        try {
          e = JSON.parse(line) as Event;
        } catch {
          continue;
        }
        const at = e.at !== undefined ? Date.parse(e.at) : Date.now();
        if (at < args.since - 1000) continue;
        const secs = ((at - args.since) / 1000).toFixed(1).padStart(6);
        process.stdout.write(`  +${secs}s  ${describe(e)}\n`);
      }
    });
    res.on("end", () => setTimeout(() => follow(args), 500));
  });
  req.on("error", () => setTimeout(() => follow(args), 500));
  req.end();
}

if (process.argv[1]?.endsWith("watch.js")) {
  follow(parseArgs(process.argv.slice(2)));
}
