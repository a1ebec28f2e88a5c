/**
 * The installer job: what the agent on the booted installer runs, in order. Validated at
 * registration so that the agent (POSIX sh under busybox) never meets a surprise.
 */
export interface JobStep {
  phase: string;
  run: string;
  progress?: number;
}

export interface Job {
  steps: JobStep[];
  after?: "reboot" | "poweroff" | "none";
}

const PHASE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Returns the job, or a message naming the offending field. */
export function validateJob(v: unknown, field = "job"): Job | string {
  if (!isObject(v)) return `${field}: expected an object {steps, after?}`;
  for (const k of Object.keys(v)) {
    if (k !== "steps" && k !== "after") return `${field}: unknown field "${k}"`;
  }
  if (!Array.isArray(v.steps))
    return `${field}.steps: expected an array of {phase, run, progress?}`;
  if (v.steps.length > 100) return `${field}.steps: at most 100 steps`;
  const steps: JobStep[] = [];
  for (const [i, s] of v.steps.entries()) {
    const at = `${field}.steps[${i}]`;
    if (!isObject(s)) return `${at}: expected an object {phase, run, progress?}`;
    for (const k of Object.keys(s)) {
      if (!["phase", "run", "progress"].includes(k)) return `${at}: unknown field "${k}"`;
    }
    if (typeof s.phase !== "string" || !PHASE.test(s.phase))
      return `${at}.phase: expected a short name of letters, digits, ".", "_" or "-"`;
    if (typeof s.run !== "string" || s.run === "" || s.run.includes("\0"))
      return `${at}.run: expected a non-empty shell command`;
    const step: JobStep = { phase: s.phase, run: s.run };
    if (s.progress !== undefined) {
      if (
        typeof s.progress !== "number" ||
        !Number.isInteger(s.progress) ||
        s.progress < 0 ||
        s.progress > 100
      )
        return `${at}.progress: expected an integer 0..100`;
      step.progress = s.progress;
    }
    steps.push(step);
  }
  const job: Job = { steps };
  if (v.after !== undefined) {
    if (v.after !== "reboot" && v.after !== "poweroff" && v.after !== "none")
      return `${field}.after: expected "reboot", "poweroff" or "none"`;
    job.after = v.after;
  }
  return job;
}

/** Single-quote a value for POSIX sh: `'` becomes `'\''`. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The job as POSIX sh assignments, for an agent without a JSON parser (busybox). */
export function renderJobSh(vars: {
  mac: string;
  generation: number;
  hostname: string | null;
  hostKey: { publicKey: string; privateKey: string } | null;
  job: Job;
}): string {
  const lines: [string, string][] = [
    ["LANDSCAPER_MAC", vars.mac],
    ["LANDSCAPER_GENERATION", String(vars.generation)],
    ["LANDSCAPER_HOSTNAME", vars.hostname ?? ""],
    ["LANDSCAPER_HOST_KEY_PUBLIC", vars.hostKey?.publicKey ?? ""],
    ["LANDSCAPER_HOST_KEY_PRIVATE", vars.hostKey?.privateKey ?? ""],
    ["LANDSCAPER_STEPS", String(vars.job.steps.length)],
  ];
  vars.job.steps.forEach((s, i) => {
    lines.push([`LANDSCAPER_STEP_${i + 1}_PHASE`, s.phase]);
    lines.push([`LANDSCAPER_STEP_${i + 1}_RUN`, s.run]);
    lines.push([
      `LANDSCAPER_STEP_${i + 1}_PROGRESS`,
      s.progress === undefined ? "" : String(s.progress),
    ]);
  });
  lines.push(["LANDSCAPER_AFTER", vars.job.after ?? "reboot"]);
  return lines.map(([k, v]) => `${k}=${shQuote(v)}\n`).join("");
}
