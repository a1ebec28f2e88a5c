/**
 * A request the owner of some state refused (4xx) or could not carry out (5xx: its state
 * could not be saved, so nothing changed), with the HTTP status that says why. Thrown by
 * the registry (which knows nothing of sockets) and turned into a response by the one error
 * mapping both HTTP servers share (`asHttpError` in core/http-json.ts).
 */
export class Refusal extends Error {
  override name = "Refusal";
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 500 | 507,
    message: string,
    /** Extra fields of the error body, such as the offending `field`. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The error body's `code` for each refusal status. */
export const REFUSAL_CODE = {
  400: "invalid",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  500: "internal",
  507: "insufficient_storage",
} as const satisfies Record<Refusal["status"], string>;
