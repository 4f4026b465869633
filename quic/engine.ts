/**
 * The QUIC engine interface: what the rest of QFaaS may rely on. It is
 * narrow on purpose, in the shape of Deno's built-in QUIC API, so that a
 * second engine (Deno's quinn-based QUIC, which cannot pre-seed sessions)
 * can sit beside the quiche one.
 *
 * @module
 */
import type { QuicClientTls, QuicLimits, QuicServerTls } from "./config.ts";
import type { QuicCloseInfo } from "./errors.ts";

/** A UDP address. */
export interface QuicAddr {
  host: string;
  port: number;
}

/** One stream: web streams in each direction it has. */
export interface QuicStreamLike {
  /** The QUIC stream ID. */
  readonly id: number;
  /** The stream's first bytes travel as 0-RTT: sent so (client) or received so (server). */
  readonly earlyData: boolean;
  /** Null on a unidirectional stream we opened. */
  readonly readable: ReadableStream<Uint8Array> | null;
  /** Null on a unidirectional stream the peer opened. */
  readonly writable: WritableStream<Uint8Array> | null;
}

/** One connection, client or server side. */
export interface QuicConn {
  readonly remote: QuicAddr;
  /** Resolves when the handshake completes; rejects with `QuicHandshakeError`. */
  readonly handshake: Promise<void>;
  /** Resolves when the connection is closed, with why. */
  readonly closed: Promise<QuicCloseInfo>;
  /** The negotiated ALPN protocol. */
  readonly protocol: string;
  /** True while traffic travels as 0-RTT early data. */
  readonly earlyData: boolean;
  /** True when a session was resumed. */
  readonly resumed: boolean;
  /** True once the handshake has completed. */
  readonly established: boolean;
  /** Client: null before the handshake; then whether the offered 0-RTT data was accepted. */
  readonly earlyDataAccepted: boolean | null;
  readonly incomingBidirectionalStreams: ReadableStream<QuicStreamLike>;
  readonly incomingUnidirectionalStreams: ReadableStream<QuicStreamLike>;
  createBidirectionalStream(): Promise<QuicStreamLike>;
  createUnidirectionalStream(): Promise<QuicStreamLike>;
  /** Client: the latest resumable session, or null. */
  session(): Uint8Array | null;
  close(options?: { code?: number; reason?: string }): Promise<QuicCloseInfo>;
}

/** Counters every listener reports. */
export interface ListenerCounters {
  datagramsIn: number;
  datagramsDropped: number;
  connectionsAccepted: number;
  connectionsRefused: number;
}

/** Options of `QuicEngine.listen`. */
export interface QuicListenOptions {
  /** Address to bind; IPv4 or IPv6. Default "127.0.0.1". */
  hostname?: string;
  /** UDP port; 0 picks a free one. */
  port?: number;
  tls: QuicServerTls;
  alpn: readonly string[];
  limits?: QuicLimits;
  /** Retry-based address validation; on for user-facing listeners, off for internal links. */
  validateAddress?: boolean;
}

/** A server socket accepting connections. */
export interface QuicListener extends AsyncIterable<QuicConn> {
  readonly addr: QuicAddr;
  readonly counters: Readonly<ListenerCounters>;
  /** The next connection, or null once the listener is closed. */
  accept(): Promise<QuicConn | null>;
  close(): Promise<void>;
}

/** Options of `QuicClient.connect`. */
export interface QuicConnectOptions {
  /** Host name or IP address to reach. */
  hostname: string;
  port: number;
  /** Name to verify in the certificate (and send as SNI); defaults to `hostname`. */
  serverName?: string;
  tls: QuicClientTls;
  alpn: readonly string[];
  limits?: QuicLimits;
  /** Session to resume; streams opened right away go out as 0-RTT. */
  session?: Uint8Array;
  /** Called with every new resumable session. */
  onSession?: (session: Uint8Array) => void;
}

/** A client that owns its UDP sockets; closing it closes its connections. */
export interface QuicClient {
  /** Starts a connection and returns it before the handshake completes. */
  connect(options: QuicConnectOptions): Promise<QuicConn>;
  close(): Promise<void>;
}

/** What an engine can do, so callers can pick a strategy. */
export interface EngineCapabilities {
  /** Can a client offer a session minted elsewhere (pre-seeded 0-RTT)? */
  importSessions: boolean;
  /** Can servers share a ticket key across processes? */
  ticketKeys: boolean;
}

/** A QUIC implementation. */
export interface QuicEngine {
  readonly name: string;
  readonly capabilities: EngineCapabilities;
  listen(options: QuicListenOptions): Promise<QuicListener>;
  createClient(): QuicClient;
}
