/**
 * The h3 room: HTTP/3 (RFC 9114) and QPACK (RFC 9204) over the QUIC engine —
 * a server with a `Deno.serve`-shaped handler, and a pooled client with 0-RTT.
 *
 * @example
 * ```ts
 * import { serveH3, H3Client } from "./h3/mod.ts";
 * const server = serveH3(listener, (req) => new Response(`hello ${new URL(req.url).pathname}`));
 * const client = new H3Client({ ca });
 * const res = await client.fetch(`https://localhost:${listener.addr.port}/x`);
 * ```
 *
 * @module
 */
export {
  DEFAULT_REPLAY_WINDOW,
  type EarlyDataPolicy,
  H3Client,
  type H3ClientOptions,
  type H3Message,
  type H3Refusal,
  H3RefusedError,
  type H3Reply,
  type H3Result,
  type SessionStore,
} from "./client.ts";
export {
  type H3Handler,
  type H3RequestInfo,
  type H3Server,
  type H3ServerCounters,
  type H3ServerOptions,
  serveH3,
} from "./server.ts";
export { H3Error, H3ErrorCode, h3ErrorName, QpackError } from "./errors.ts";
export { type H3SessionOptions } from "./session.ts";
export { newNonce, NONCE_HEADER, nonceTarget, ReplayGuard } from "./replay_guard.ts";
export type { FieldLine } from "./qpack.ts";
export { headerLines, isForwardable } from "./message.ts";
