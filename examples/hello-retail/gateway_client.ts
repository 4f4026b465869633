/**
 * How the scripts and tests call Hello, Retail! through a running gateway:
 * plain HTTP to `/function/NAME`, JSON in and out.
 *
 * @module
 */

/** A function's answer: its status and its JSON body. */
export interface Answer {
  /** HTTP status. */
  status: number;
  /** The JSON body (an object for every Hello, Retail! answer). */
  body: Record<string, unknown>;
}

/**
 * Calls `target` ("name[/path][?query]") through the gateway at `gateway`:
 * POST with `body` as JSON if given (or the raw string), else GET.
 *
 * @example
 * ```ts
 * const { status, body } = await callFunction("http://127.0.0.1:8080", "purchase", {
 *   productId: "boot-1", user: "ada", card: "4111111111111111",
 * });
 * ```
 */
export async function callFunction(
  gateway: string,
  target: string,
  body?: unknown,
): Promise<Answer> {
  const response = await fetch(
    `${gateway}/function/${target}`,
    body === undefined ? {} : {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    },
  );
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: { error: `not JSON: ${text.slice(0, 200)}` } };
  }
}

/** Like `callFunction`, but throws unless the answer is 2xx; returns the body. */
export async function callOk(
  gateway: string,
  target: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const answer = await callFunction(gateway, target, body);
  if (answer.status >= 300) {
    throw new Error(`${target} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return answer.body;
}
