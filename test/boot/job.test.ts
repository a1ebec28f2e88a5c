import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { renderJobSh, validateJob } from "../../src/boot/job.js";

const problem = (v: unknown) => (typeof v === "string" ? v : "valid");

test("job validation names the field", () => {
  assert.match(problem(validateJob([])), /expected an object/);
  assert.match(problem(validateJob({ steps: [{ phase: "a b", run: "x" }] })), /steps\[0\]\.phase/);
  assert.match(
    problem(validateJob({ steps: [{ phase: "a", run: "x", progress: 101 }] })),
    /progress/,
  );
  assert.match(problem(validateJob({ steps: [], after: "halt" })), /after/);
  assert.deepEqual(
    validateJob({ steps: [{ phase: "disko", run: "true", progress: 10 }], after: "none" }),
    {
      steps: [{ phase: "disko", run: "true", progress: 10 }],
      after: "none",
    },
  );
});

test("the sh rendering reads back exactly in a real POSIX shell", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "binary" }).filter((s) => !s.includes("\0")),
      fc.string().filter((s) => !s.includes("\0")),
      (run, priv) => {
        const text = renderJobSh({
          mac: "aa:bb:cc:dd:ee:ff",
          generation: 3,
          hostname: "web-1",
          hostKey: { publicKey: "ssh-ed25519 AAAA x", privateKey: priv },
          job: { steps: [{ phase: "disko", run }], after: "none" },
        });
        const out = execFileSync("sh", [
          "-c",
          `${text}\nprintf '%s\\0%s\\0%s' "$LANDSCAPER_STEP_1_RUN" "$LANDSCAPER_HOST_KEY_PRIVATE" "$LANDSCAPER_STEPS"`,
        ]);
        assert.deepEqual(out.toString("utf8").split("\0"), [run, priv, "1"]);
      },
    ),
    { numRuns: 40 },
  );
});
