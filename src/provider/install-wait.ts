import type { Mac } from "../core/mac.js";
import type { Logger } from "../core/log.js";
import { control, machineView, type MachineView } from "./control.js";
import { ResourceError } from "./resource.js";

/** Longest single long-poll; the loop repeats it until the caller's deadline. */
const POLL_SECONDS = 60;
const MAX_POLLS = 10_000;
const LOG_TAIL_LINES = 30;
const LOG_TAIL_CHARS = 4000;

/** The end of an installer log, small enough for an error message. */
export function logTail(log: string | null): string {
  if (log === null || log.trim() === "") return "(the installer sent no log)";
  const lines = log.replace(/\s+$/, "").split("\n");
  let tail = lines.slice(-LOG_TAIL_LINES).join("\n");
  if (tail.length > LOG_TAIL_CHARS) tail = "..." + tail.slice(-LOG_TAIL_CHARS);
  return tail;
}

/**
 * Waits through the control socket until `mac` is installed. The server answers each
 * long-poll with the machine when it is installed or failed, or 408 when the poll's own
 * timeout passed; 408s repeat until `deadline`. A failed install is an error carrying the
 * installer's message and the tail of its log.
 */
export async function waitInstalled(
  socket: string,
  mac: Mac,
  deadline: number,
  log: Logger,
): Promise<MachineView> {
  const what = `waiting for ${mac} to be installed`;
  let last: MachineView | null = null;
  for (let poll = 0; poll < MAX_POLLS; poll++) {
    const remaining = Math.ceil((deadline - Date.now()) / 1000);
    if (remaining <= 0) break;
    const seconds = Math.min(POLL_SECONDS, remaining);
    const res = await control(
      socket,
      what,
      "GET",
      `/v1/machines/${encodeURIComponent(mac)}/wait?state=installed&timeout=${seconds}`,
      undefined,
      [408],
      (seconds + 30) * 1000,
    );
    const view = machineView(res.body, what);
    last = view;
    if (res.status === 408) {
      log.info({ mac, state: view.state, phase: view.phase }, "install not finished yet");
      continue;
    }
    if (view.state === "installed") return view;
    if (view.state === "failed") {
      const f = view.failure;
      throw new ResourceError(
        `the installation of ${mac} (generation ${view.generation}) failed: ${
          f?.message ?? "no message"
        }\ninstaller log (tail):\n${logTail(f?.log ?? null)}`,
      );
    }
    // 200 in another state would be a server bug; poll again rather than trust it.
    log.warn({ mac, state: view.state }, "wait answered before the install finished");
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new ResourceError(
    `${what}: timed out (machine is ${last?.state ?? "unknown"}${
      last?.phase ? `, phase ${last.phase}` : ""
    }); raise the timeout input or check the machine's console`,
  );
}
