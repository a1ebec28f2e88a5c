import { Refusal } from "../core/refusal.js";

/** What an operator should read for the errors a full or broken state disk gives. */
const CAUSE: Record<string, string> = {
  ENOSPC: "state disk full",
  EDQUOT: "state disk quota exceeded",
  EROFS: "state disk read-only",
  EIO: "state disk I/O error",
  EACCES: "no permission on the state directory",
  EPERM: "no permission on the state directory",
};

/**
 * A change that could not be written to the state directory, and so did not happen: the
 * caller is told why (507 when the disk is full, else 500), and memory is as before.
 */
export class StateWriteFailed extends Refusal {
  override name = "StateWriteFailed";
  declare readonly status: 500 | 507;
  readonly code: string | undefined;

  constructor(cause: unknown, file: string) {
    const code = (cause as NodeJS.ErrnoException | null)?.code;
    const known = code !== undefined ? CAUSE[code] : undefined;
    const what = known ? `${known} (${code})` : `cannot write state (${String(cause)})`;
    super(
      code === "ENOSPC" || code === "EDQUOT" ? 507 : 500,
      `${what} writing ${file}; the change was not made`,
    );
    this.code = code;
    this.cause = cause;
  }
}
