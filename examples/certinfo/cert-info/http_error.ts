/**
 * The one error a request can end in: it knows its status and its JSON body,
 * `{ "error": message, "code": code }`, so the handler turns it into a
 * response in one place.
 *
 * @module
 */

/** A request that cannot be answered with a certificate, and the response that says why. */
export class HttpError extends Error {
  /** HTTP status: 400 for bad input, 405 for a method it does not take, 502 when the host could not be probed. */
  readonly status: number;
  /** A stable, machine-readable reason, e.g. `missing_host` or `connection_refused`. */
  readonly code: string;

  /**
   * Creates the error.
   *
   * @param status HTTP status of the response.
   * @param code Machine-readable reason.
   * @param message What went wrong, for people.
   */
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
  }

  /** The JSON response: `{ "error": message, "code": code }` with the status. */
  toResponse(): Response {
    return Response.json({ error: this.message, code: this.code }, { status: this.status });
  }
}
