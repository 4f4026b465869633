/**
 * A request on its way to a function, as its parts. The gateway builds one
 * straight from the request it received, and the invoker hands the parts to
 * the worker's transport: no `Request`, `URL` or `Headers` is made, copied
 * and taken apart again per request (each costs microseconds in Deno;
 * docs/results/throughput.md).
 *
 * @module
 */

import { type FieldLine, headerLines } from "../h3/mod.ts";

/** What the invoker sends to a function. */
export interface Invocation {
  /** The request method. */
  method: string;
  /** The path and query the function sees: what follows the function's name ("/a?b", "/"). */
  target: string;
  /** Header fields, lowercase names, hop-by-hop ones already dropped (`headerLines`, `isForwardable`). */
  fields: FieldLine[];
  /** The body, or null. */
  body: ReadableStream<Uint8Array> | null;
}

/** An invocation of `request`, its target the URL's path and query. */
export function invocationOf(request: Request): Invocation {
  const url = new URL(request.url);
  return {
    method: request.method,
    target: `${url.pathname}${url.search}`,
    fields: headerLines(request.headers),
    body: request.body,
  };
}
