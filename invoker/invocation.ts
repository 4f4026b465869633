/**
 * A request on its way to a function, as its parts. The gateway builds one
 * straight from the request it received, and the invoker hands the parts to
 * the worker's transport: no `Request`, `URL` or `Headers` is made, copied
 * and taken apart again per request (each costs microseconds in Deno;
 * docs/results/throughput.md).
 *
 * @module
 */

import type { FieldLine } from "../h3/mod.ts";

/** What the invoker sends to a function. */
export interface Invocation {
  /** The request method. */
  method: string;
  /** The path and query the function sees: what follows the function's name ("/a?b", "/"). */
  target: string;
  /** Header fields, lowercase names, hop-by-hop ones already dropped (`isHopByHop`). */
  fields: FieldLine[];
  /** The body, or null. */
  body: ReadableStream<Uint8Array> | null;
}

/** Hop-by-hop fields (RFC 9110 §7.6.1): a proxy does not forward them. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

/** Is `name` (lowercase) a hop-by-hop field, which a proxy does not forward? */
export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name);
}

/** An invocation of `request`, its target the URL's path and query. */
export function invocationOf(request: Request): Invocation {
  const url = new URL(request.url);
  const fields: FieldLine[] = [];
  for (const field of request.headers) if (!isHopByHop(field[0])) fields.push(field);
  return {
    method: request.method,
    target: `${url.pathname}${url.search}`,
    fields,
    body: request.body,
  };
}
