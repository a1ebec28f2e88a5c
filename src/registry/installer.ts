/**
 * The installer agent's side of the registry: a token is checked once per request and
 * yields a session bound to one MAC and generation. Each call then re-checks only that the
 * generation is still current, which is what a second token check used to establish.
 */
import { timingSafeEqual } from "node:crypto";
import type { Mac } from "../core/mac.js";
import type { MachineBook } from "./book.js";
import {
  CallbackRefused,
  type InstallJob,
  type InstallProgress,
  type InstallSession,
} from "./doors.js";
import { runHook } from "./hooks.js";
import type { MachineRecord, MachineView } from "./machine.js";

const HOOK_TIMEOUT_MS = 5 * 60_000;

/** What a session needs of the registry besides the book. */
export interface SessionDeps {
  readonly book: MachineBook;
  view(m: MachineRecord): MachineView;
  /** `hooks.onInstalled`, or null. */
  readonly onInstalled: readonly string[] | null;
}

function tokenMatches(given: string | null, expected: string): boolean {
  const a = Buffer.from(given ?? "");
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Checks the Bearer token against the current generation's; throws CallbackRefused. */
export function openSession(deps: SessionDeps, mac: Mac, token: string | null): InstallSession {
  const { book } = deps;
  const first = book.machines.get(mac);
  if (!first) throw new CallbackRefused(404, `machine ${mac} is not registered`);
  if (!tokenMatches(token, first.token))
    throw new CallbackRefused(403, `wrong or outdated install token for ${mac}`);
  const generation = first.generation;

  /** The machine, if it is still the one the token was checked against. */
  const current = (): MachineRecord => {
    const m = book.machines.get(mac);
    if (!m) throw new CallbackRefused(404, `machine ${mac} is not registered`);
    if (m.generation !== generation)
      throw new CallbackRefused(403, `wrong or outdated install token for ${mac}`);
    return m;
  };
  const refuseEnded = (m: MachineRecord): void => {
    if (m.state === "installed" || m.state === "failed")
      throw new CallbackRefused(
        409,
        `machine ${m.mac} is already ${m.state} in generation ${m.generation}`,
      );
  };

  return {
    mac,
    generation,
    async fetchJob(): Promise<InstallJob> {
      const m = current();
      if (m.state === "installed" || m.state === "failed") {
        throw new CallbackRefused(409, `machine ${mac} is ${m.state}; rearm it to install again`);
      }
      book.startInstallClock(m);
      book.move(m, "installing");
      book.record(m, "job", {});
      await book.putMachine(m);
      return {
        mac: m.mac,
        generation: m.generation,
        hostname: m.hostname,
        installationHostKey: { ...m.installationHostKey },
        job: m.job ?? { steps: [] },
      };
    },
    async progress(p: InstallProgress): Promise<MachineView> {
      const m = current();
      refuseEnded(m);
      book.move(m, "installing");
      m.phase = p.phase;
      if (p.progress !== undefined) m.progress = p.progress;
      book.record(m, "progress", { ...p });
      await book.putMachine(m);
      return deps.view(m);
    },
    async complete(hostPublicKey: string | null): Promise<MachineView> {
      const m = current();
      if (m.state === "installed") return deps.view(m); // a retried callback
      refuseEnded(m);
      m.hostPublicKey = hostPublicKey;
      m.progress = 100;
      m.phase = "installed";
      if (m.bootStartedAt)
        book.metrics.installSeconds.observe((Date.now() - Date.parse(m.bootStartedAt)) / 1000);
      book.move(m, "installed");
      book.record(m, "complete", hostPublicKey ? { hostPublicKey } : {});
      await book.putMachine(m);
      startHook(deps, m);
      return deps.view(m);
    },
    async failed(message: string, log: string | null): Promise<MachineView> {
      const m = current();
      if (m.state === "failed") return deps.view(m);
      refuseEnded(m);
      m.failure = { message, log };
      book.move(m, "failed");
      book.record(m, "failed", { message, log });
      await book.putMachine(m);
      return deps.view(m);
    },
  };
}

/** `hooks.onInstalled`, in the background: it never blocks the appliance. */
function startHook(deps: SessionDeps, m: MachineRecord): void {
  const command = deps.onInstalled;
  if (!command) return;
  const { book } = deps;
  const input = JSON.stringify(deps.view(m)) + "\n";
  book.track(
    runHook(command, input, HOOK_TIMEOUT_MS).then((r) => {
      const ok = r.error === null && r.exitCode === 0;
      book.log[ok ? "info" : "warn"](
        { mac: m.mac, hook: command, ...r },
        "onInstalled hook finished",
      );
      const cur = book.machines.get(m.mac);
      if (cur) {
        book.record(cur, "hook", {
          exitCode: r.exitCode,
          ok,
          ms: r.ms,
          output: r.output.slice(-2000),
          error: r.error,
        });
      }
    }),
  );
}
