/**
 * A request the owner of some state refused, with the HTTP status that says why. Thrown by
 * the registry (which knows nothing of sockets) and turned into a response by the one error
 * mapping both HTTP servers share (`asHttpError` in core/http-json.ts).
 */
export class Refusal extends Error {
  override name = "Refusal";
  constructor(
    readonly status: 400 | 403 | 404 | 409,
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
} as const satisfies Record<Refusal["status"], string>;
