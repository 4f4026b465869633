/**
 * The HTTP edge every Hello, Retail! function shares: one error class that
 * knows its response, a wrapper that turns a handler's result or error into
 * JSON, and checks for request bodies that say what is wrong.
 *
 * @module
 */

/** A failure with its HTTP status; the response is `{ error, ...details }`. */
export class HttpError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** More JSON fields for the response. */
  readonly details: Record<string, unknown>;

  /** Creates the error: `status`, a reason for the caller, and more fields. */
  constructor(status: number, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.details = details;
  }

  /** The response that reports it. */
  response(): Response {
    return Response.json({ ...this.details, error: this.message }, { status: this.status });
  }
}

/** A function's default export. */
export type Handler = (request: Request) => Promise<Response>;

/** What a handler returns: a Response, or a value sent as JSON with status 200. */
export type Result = Response | Record<string, unknown>;

/**
 * Makes a function's default export from a handler that accepts `method`:
 * other methods get 405, an `HttpError` its own response, any other error 500,
 * always as JSON `{ error }`.
 *
 * @example
 * ```ts
 * export default handle("GET", (request) => ({ hello: new URL(request.url).pathname }));
 * ```
 */
export function handle(
  method: "GET" | "POST",
  handler: (request: Request) => Result | Promise<Result>,
): Handler {
  return async (request) => {
    try {
      if (request.method !== method) {
        throw new HttpError(405, `method ${request.method} not allowed: use ${method}`);
      }
      const result = await handler(request);
      return result instanceof Response ? result : Response.json(result);
    } catch (error) {
      if (error instanceof HttpError) return error.response();
      console.error(error);
      return Response.json({ error: `internal error: ${(error as Error).message}` }, {
        status: 500,
      });
    }
  };
}

/** A JSON object from the request body; 400 if it is not one. */
export async function readJson(request: Request): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = JSON.parse(await request.text());
  } catch (error) {
    throw new HttpError(400, `malformed JSON: ${(error as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, "the body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/** The fields of a body or query, as `readJson` gives them or as `URLSearchParams` holds them. */
export type Fields = Record<string, unknown> | URLSearchParams;

function field(from: Fields, name: string): unknown {
  const value = from instanceof URLSearchParams ? from.get(name) ?? undefined : from[name];
  if (value === undefined || value === null || value === "") {
    throw new HttpError(400, `missing field "${name}"`);
  }
  return value;
}

/** A non-empty string field of at most 200 characters (or matching `pattern`); 400 otherwise. */
export function text(from: Fields, name: string, pattern?: RegExp, rule?: string): string {
  const value = field(from, name);
  if (typeof value !== "string" || value.length > 200 || (pattern && !pattern.test(value))) {
    throw new HttpError(
      400,
      `field "${name}" must be ${rule ?? "a string of 1 to 200 characters"}`,
    );
  }
  return value;
}

/** An http(s) URL field; 400 otherwise. */
export function url(from: Fields, name: string): string {
  const value = text(from, name, /^https?:\/\/\S+$/, "an http or https URL");
  if (!URL.canParse(value)) {
    throw new HttpError(400, `field "${name}" must be an http or https URL`);
  }
  return value;
}

/** An amount in dollars: positive, finite, whole cents; 400 otherwise. */
export function money(from: Fields, name: string): number {
  const value = field(from, name);
  if (
    typeof value !== "number" || !Number.isFinite(value) || value <= 0 ||
    Math.abs(value * 100 - Math.round(value * 100)) > 1e-6
  ) {
    throw new HttpError(400, `field "${name}" must be a positive amount in whole cents`);
  }
  return value;
}

/** A positive integer field; 400 otherwise. */
export function count(from: Fields, name: string): number {
  const value = field(from, name);
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new HttpError(400, `field "${name}" must be a positive integer`);
  }
  return value;
}
