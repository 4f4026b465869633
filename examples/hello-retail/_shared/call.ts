/**
 * One hop of a chain: call the next function through the gateway and take its
 * JSON answer, or turn its failure into an `HttpError` the caller passes on.
 *
 * By default a hop is a plain `fetch` to `QFAAS_GATEWAY_URL` (the worker
 * routes it over HTTP/3 0-RTT). A request with `?via=chain` makes its hops
 * with `invoke` from `qfaas/chain` instead, and passes `via=chain` on.
 *
 * @module
 */
import { invoke } from "qfaas/chain";
import { HttpError } from "./http.ts";

/** How a chain's hops reach the gateway. */
export type Via = "fetch" | "chain";

/** The hop style a request asks for (`?via=chain`, else plain fetch). */
export function viaOf(request: Request): Via {
  return new URL(request.url).searchParams.get("via") === "chain" ? "chain" : "fetch";
}

/** Calls `name` the way `via` says; `query` is added to the URL. */
function send(
  name: string,
  init: RequestInit,
  via: Via,
  query: URLSearchParams,
): Promise<Response> {
  if (via === "chain") query.set("via", "chain");
  const target = `${name}${query.size > 0 ? `?${query}` : ""}`;
  if (via === "chain") return invoke(target, init);
  const gateway = Deno.env.get("QFAAS_GATEWAY_URL");
  if (!gateway) throw new HttpError(500, "QFAAS_GATEWAY_URL is not set: run inside qfaas dev");
  return fetch(`${gateway}/function/${target}`, init);
}

/**
 * Calls function `name` as the next hop after `request` (POST with `body` as
 * JSON, or GET with `body` as the query) and returns its JSON object.
 * Throws `HttpError`: the callee's own 4xx `{ error }` as is, anything else
 * (5xx, a non-JSON answer, no answer, the gateway's own 4xx such as an
 * unknown function) as 502 naming the callee.
 */
export async function next<T>(
  request: Request,
  name: string,
  method: "GET" | "POST",
  body: Record<string, unknown>,
): Promise<T> {
  const via = viaOf(request);
  let response: Response;
  try {
    response = method === "GET"
      ? await send(name, { method }, via, new URLSearchParams(strings(body)))
      : await send(
        name,
        {
          method,
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        },
        via,
        new URLSearchParams(),
      );
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(502, `${name} is unreachable: ${(error as Error).message}`);
  }
  const text = await response.text();
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  const object = typeof answer === "object" && answer !== null && !Array.isArray(answer)
    ? answer as Record<string, unknown>
    : undefined;
  if (response.ok && object) return object as T;
  // x-qfaas-worker: the function answered, not the gateway (e.g. 404 for an unknown function).
  const fromFunction = response.headers.has("x-qfaas-worker");
  if (response.status >= 400 && response.status < 500 && fromFunction && object) {
    const { error, ...details } = object;
    throw new HttpError(response.status, String(error ?? `${name} refused`), details);
  }
  const reason = typeof object?.error === "string" ? object.error : text.slice(0, 200);
  throw new HttpError(502, `${name} failed (${response.status}): ${reason}`);
}

function strings(body: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(body).flatMap(([key, value]) =>
      value === undefined || value === null ? [] : [[key, String(value)]]
    ),
  );
}
