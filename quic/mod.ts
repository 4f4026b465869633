/**
 * The QUIC room: a QUIC engine over quiche with pre-seeded 0-RTT. Other rooms
 * import only this module.
 *
 * @example
 * ```ts
 * import { quicheEngine } from "./quic/mod.ts";
 * const client = quicheEngine.createClient();
 * const conn = await client.connect({ hostname: "127.0.0.1", port, tls: { ca }, alpn: ["h3"], session });
 * const stream = await conn.createBidirectionalStream(); // 0-RTT when `session` is accepted
 * ```
 *
 * @module
 */
export type {
  EngineCapabilities,
  ListenerCounters,
  QuicAddr,
  QuicClient,
  QuicConn,
  QuicConnectOptions,
  QuicConnStats,
  QuicEngine,
  QuicListener,
  QuicListenOptions,
  QuicStreamLike,
} from "./engine.ts";
export type {
  QuicClientAuth,
  QuicClientTls,
  QuicIdentity,
  QuicLimits,
  QuicServerTls,
} from "./config.ts";
export { encodeOid, hasExtendedKeyUsage } from "./ext_key_usage.ts";
export { openSocketBuffers, SOCKET_BUFFER_BYTES, type SocketBuffers } from "./socket_buffers.ts";
export { DATAGRAM_IO_ENV, type DatagramIoMode, datagramIoSupport } from "./datagram_io.ts";
export { TICKET_KEY_LENGTH } from "./config.ts";
export {
  describeClose,
  type QuicCloseInfo,
  QuicConnectionError,
  QuicHandshakeError,
  QuicStreamError,
  TransportErrorCode,
  transportErrorName,
} from "./errors.ts";
export { quicheEngine } from "./quiche_engine.ts";
export { type MintOptions, mintSession } from "./mint.ts";
