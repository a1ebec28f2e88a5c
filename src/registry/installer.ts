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
import { Change, now } from "./change.js";
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
  // A token means something only while its install runs: once the machine is installed or
  // failed, whoever still holds it (it was on a kernel command line) may do nothing with it.
  if (first.state === "installed" || first.state === "failed")
    throw new CallbackRefused(
      403,
      `the install token of ${mac} generation ${first.generation} has ended: the machine is ${first.state}`,
    );
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

  /** One transition, durable first: prepared on a copy of the current machine, then saved. */
  const transition = (fn: (c: Change) => void): Promise<Change> =>
    book.exclusive(mac, async () => {
      const c = Change.of(current());
      fn(c);
      await book.save(c);
      return c;
    });

  return {
    mac,
    generation,
    async fetchJob(): Promise<InstallJob> {
      // The private key goes out once per generation: a second ask means two holders of the
      // token, and the one asking now may be the impostor. Refuse it and tell the owner.
      let handedOutAt: string | null = null;
      const { m } = await transition((c) => {
        if (c.m.state === "installed" || c.m.state === "failed") {
          throw new CallbackRefused(
            409,
            `machine ${mac} is ${c.m.state}; rearm it to install again`,
          );
        }
        if (c.m.keyHandedOutAt) {
          handedOutAt = c.m.keyHandedOutAt;
          throw new CallbackRefused(
            409,
            `the job of ${mac} generation ${c.m.generation} and its installation host key were ` +
              `handed out at ${handedOutAt}; someone else may have them: rearm to install again`,
          );
        }
        c.m.keyHandedOutAt = now();
        c.startInstallClock();
        c.move("installing");
        c.record("job", {});
      }).catch((err: unknown) => {
        // The refusal itself is worth keeping: the warning goes in as a boot step does.
        if (handedOutAt !== null) {
          const firstAt = handedOutAt;
          book.step(mac, (s) => s.record("warning", { reason: "job-fetched-again", firstAt }));
        }
        throw err;
      });
      return {
        mac: m.mac,
        generation: m.generation,
        hostname: m.hostname,
        installationHostKey: { ...m.installationHostKey },
        job: m.job ?? { steps: [] },
      };
    },
    async progress(p: InstallProgress): Promise<MachineView> {
      const c = await transition((c) => {
        refuseEnded(c.m);
        c.move("installing");
        c.m.phase = p.phase;
        if (p.progress !== undefined) c.m.progress = p.progress;
        c.record("progress", { ...p });
      });
      return deps.view(c.m);
    },
    async complete(hostPublicKey: string | null): Promise<MachineView> {
      const c = await transition((c) => {
        if (c.m.state === "installed") return; // a retried callback: nothing to save
        refuseEnded(c.m);
        Object.assign(c.m, { hostPublicKey, progress: 100, phase: "installed" });
        c.move("installed");
        c.record("complete", hostPublicKey ? { hostPublicKey } : {});
      });
      if (c.events.length > 0) {
        if (c.m.bootStartedAt)
          book.metrics.installSeconds.observe((Date.now() - Date.parse(c.m.bootStartedAt)) / 1000);
        startHook(deps, c.m);
      }
      return deps.view(c.m);
    },
    async failed(message: string, log: string | null): Promise<MachineView> {
      const c = await transition((c) => {
        if (c.m.state === "failed") return; // a retried callback
        refuseEnded(c.m);
        c.m.failure = { message, log };
        c.move("failed");
        c.record("failed", { message, log });
      });
      return deps.view(c.m);
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
      // Like a boot step: recorded on the machine as it is now, on disk with the next commit.
      book.step(m.mac, (c) =>
        c.record("hook", {
          exitCode: r.exitCode,
          ok,
          ms: r.ms,
          output: r.output.slice(-2000),
          error: r.error,
        }),
      );
    }),
  );
}
