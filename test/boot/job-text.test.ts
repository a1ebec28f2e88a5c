// The installer job's checks and its sh rendering, exactly and without a shell (the shell
// round trip is job.test.ts's): one fault per row with its whole message, and the rendered
// assignments compared whole.
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderJobSh, shQuote, validateJob } from "../../src/boot/job.js";

test("each fault in a job is named with its field", () => {
  const step = { phase: "disko", run: "true" };
  const rows: [unknown, string][] = [
    [null, "job: expected an object {steps, after?}"],
    [[], "job: expected an object {steps, after?}"],
    [{ steps: [], extra: 1 }, 'job: unknown field "extra"'],
    [{}, "job.steps: expected an array of {phase, run, progress?}"],
    [{ steps: {} }, "job.steps: expected an array of {phase, run, progress?}"],
    [{ steps: Array.from({ length: 101 }, () => step) }, "job.steps: at most 100 steps"],
    [{ steps: [step, "x"] }, "job.steps[1]: expected an object {phase, run, progress?}"],
    [{ steps: [{ ...step, when: 1 }] }, 'job.steps[0]: unknown field "when"'],
    [
      { steps: [{ run: "x" }] },
      'job.steps[0].phase: expected a short name of letters, digits, ".", "_" or "-"',
    ],
    [
      { steps: [{ ...step, phase: "-x" }] },
      'job.steps[0].phase: expected a short name of letters, digits, ".", "_" or "-"',
    ],
    [
      { steps: [{ ...step, phase: "a".repeat(64) }] },
      'job.steps[0].phase: expected a short name of letters, digits, ".", "_" or "-"',
    ],
    [{ steps: [{ phase: "a" }] }, "job.steps[0].run: expected a non-empty shell command"],
    [{ steps: [{ ...step, run: 1 }] }, "job.steps[0].run: expected a non-empty shell command"],
    [{ steps: [{ ...step, run: "" }] }, "job.steps[0].run: expected a non-empty shell command"],
    [{ steps: [{ ...step, run: "a\0b" }] }, "job.steps[0].run: expected a non-empty shell command"],
    [{ steps: [{ ...step, progress: "5" }] }, "job.steps[0].progress: expected an integer 0..100"],
    [{ steps: [{ ...step, progress: 1.5 }] }, "job.steps[0].progress: expected an integer 0..100"],
    [{ steps: [{ ...step, progress: -1 }] }, "job.steps[0].progress: expected an integer 0..100"],
    [{ steps: [{ ...step, progress: 101 }] }, "job.steps[0].progress: expected an integer 0..100"],
    [{ steps: [], after: "halt" }, 'job.after: expected "reboot", "poweroff" or "none"'],
  ];
  for (const [job, message] of rows) assert.equal(validateJob(job), message, JSON.stringify(job));
  assert.equal(validateJob(7, "spec.job"), "spec.job: expected an object {steps, after?}");
});

test("a valid job comes back with only its known fields", () => {
  const steps = [
    { phase: "a", run: "x", progress: 0 },
    { phase: "B.c_d-9", run: "y", progress: 100 },
    { phase: "z".repeat(63), run: "z" },
  ];
  assert.deepEqual(validateJob({ steps }), { steps });
  assert.deepEqual(validateJob({ steps: Array.from({ length: 100 }, () => steps[0]) }), {
    steps: Array.from({ length: 100 }, () => steps[0]),
  });
  for (const after of ["reboot", "poweroff", "none"])
    assert.deepEqual(validateJob({ steps: [], after }), { steps: [], after });
});

test("the job as sh assignments, whole", () => {
  assert.equal(shQuote("it's"), `'it'\\''s'`);
  assert.equal(
    renderJobSh({
      mac: "52:54:00:00:00:01",
      generation: 3,
      hostname: "web-1",
      hostKey: { publicKey: "ssh-ed25519 AAAA k", privateKey: "PRIV" },
      job: {
        steps: [
          { phase: "disko", run: "disko --yes", progress: 10 },
          { phase: "install", run: "echo 'hi'" },
        ],
        after: "poweroff",
      },
    }),
    [
      "LANDSCAPER_MAC='52:54:00:00:00:01'",
      "LANDSCAPER_GENERATION='3'",
      "LANDSCAPER_HOSTNAME='web-1'",
      "LANDSCAPER_HOST_KEY_PUBLIC='ssh-ed25519 AAAA k'",
      "LANDSCAPER_HOST_KEY_PRIVATE='PRIV'",
      "LANDSCAPER_STEPS='2'",
      "LANDSCAPER_STEP_1_PHASE='disko'",
      "LANDSCAPER_STEP_1_RUN='disko --yes'",
      "LANDSCAPER_STEP_1_PROGRESS='10'",
      "LANDSCAPER_STEP_2_PHASE='install'",
      "LANDSCAPER_STEP_2_RUN='echo '\\''hi'\\'''",
      "LANDSCAPER_STEP_2_PROGRESS=''",
      "LANDSCAPER_AFTER='poweroff'",
      "",
    ].join("\n"),
  );
  // No host name, no key, no steps, no `after`: empty values, and a reboot.
  assert.equal(
    renderJobSh({
      mac: "52:54:00:00:00:01",
      generation: 1,
      hostname: null,
      hostKey: null,
      job: { steps: [] },
    }),
    [
      "LANDSCAPER_MAC='52:54:00:00:00:01'",
      "LANDSCAPER_GENERATION='1'",
      "LANDSCAPER_HOSTNAME=''",
      "LANDSCAPER_HOST_KEY_PUBLIC=''",
      "LANDSCAPER_HOST_KEY_PRIVATE=''",
      "LANDSCAPER_STEPS='0'",
      "LANDSCAPER_AFTER='reboot'",
      "",
    ].join("\n"),
  );
});
