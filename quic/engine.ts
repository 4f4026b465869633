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
import type { SocketBuffers } from "./socket_buffers.ts";

/** A UDP address. */
export interface QuicAddr {
  /** IP address (or host name where accepted). */
  host: string;
  /** UDP port. */
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
  /**
   * Reads the next chunk without the web stream (the hot path of protocol
   * code); null once the peer finished, or once we called `stopSending()`.
   * The chunk is the caller's to keep. Use either this (or `readInto`) or
   * `readable`.
   */
  read(): Promise<Uint8Array | null>;
  /**
   * Reads the next bytes into `buffer`, at its start, without the web stream
   * and without a copy of its own: resolves with how many (at least 1), or
   * null once the peer finished, or once we called `stopSending()`. Rejects
   * with a `RangeError` for an empty buffer. A reused buffer makes a long
   * stream cost no garbage. Mixes with `read()`, not with `readable`.
   */
  readInto(buffer: Uint8Array): Promise<number | null>;
  /**
   * Writes without the web stream; `fin` ends the stream. Use either this or
   * `writable`. Rejects with `QuicStreamError` ("stopped") once the peer sent
   * STOP_SENDING, including a write that was waiting for flow-control credit.
   */
  write(data: Uint8Array, fin?: boolean): Promise<void>;
  /**
   * Stops reading: STOP_SENDING with an application error code. A pending
   * `read()`/`readInto()` resolves null and the readable closes, as a
   * cancelled web stream resolves its pending reads as done.
   */
  stopSending(code: number): void;
  /** Abandons sending: RESET_STREAM with an application error code. */
  reset(code: number): void;
}

/** One connection, client or server side. */
export interface QuicConn {
  /** The peer's address. */
  readonly remote: QuicAddr;
  /** Resolves when the handshake completes; rejects with `QuicHandshakeError`. */
  readonly handshake: Promise<void>;
  /** Resolves when the connection is closed, with why. */
  readonly closed: Promise<QuicCloseInfo>;
  /** Resolves as soon as a CONNECTION_CLOSE is sent or received (before draining ends). */
  readonly closing: Promise<QuicCloseInfo>;
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
  /** Bidirectional streams the peer opens. */
  readonly incomingBidirectionalStreams: ReadableStream<QuicStreamLike>;
  /** Unidirectional streams the peer opens. */
  readonly incomingUnidirectionalStreams: ReadableStream<QuicStreamLike>;
  /** Opens a bidirectional stream; in 0-RTT if the connection is in early data. */
  createBidirectionalStream(): Promise<QuicStreamLike>;
  /** Opens a unidirectional stream. */
  createUnidirectionalStream(): Promise<QuicStreamLike>;
  /** Client: the latest resumable session, or null. */
  session(): Uint8Array | null;
  /**
   * The certificate chain the peer authenticated with (DER, leaf first), or
   * null if it sent none (a client of a listener without `clientAuth`). On a
   * resumed connection, the chain recorded in its session.
   */
  peerCertificates(): Uint8Array[] | null;
  /** Packet and byte counters, for diagnostics and benchmarks. */
  stats(): QuicConnStats;
  /** Closes with an application error code and reason; resolves when closed. */
  close(options?: { code?: number; reason?: string }): Promise<QuicCloseInfo>;
}

/** Packet and byte counters of one connection. */
export interface QuicConnStats {
  /** Packets sent. */
  sent: number;
  /** Packets received. */
  recv: number;
  /** Packets declared lost. */
  lost: number;
  /** Bytes sent. */
  sentBytes: number;
  /** Bytes received. */
  recvBytes: number;
}

/** Counters every listener reports; they only ever grow. */
export interface ListenerCounters {
  /** Datagrams received. */
  datagramsIn: number;
  /** Datagrams sent. */
  datagramsOut: number;
  /** Datagrams that failed to parse, addressed no connection, or that QUIC refused. */
  datagramsDropped: number;
  /** Connections created from a valid Initial. */
  connectionsAccepted: number;
  /** Initials refused: the listener was at `maxConnections`, or the handshake failed at once. */
  connectionsRefused: number;
  /** Version Negotiation packets sent. */
  versionNegotiations: number;
  /** Retry packets sent. */
  retriesSent: number;
  /** Initials whose Retry token did not validate. */
  invalidTokens: number;
  /** 0-RTT datagrams held until their Initial arrived. */
  earlyDatagramsHeld: number;
  /**
   * With `tls.clientAuth`: connections that ended before their client was
   * admitted (no certificate, one the CA did not sign, one without the
   * required usage, or a handshake abandoned). They were never handed out.
   */
  clientsRefused: number;
  /**
   * Connections dropped because, closing, they kept making CONNECTION_CLOSE
   * datagrams past any need (a quiche 0.18 fault seen under load; endpoint.ts).
   */
  closesCut: number;
  /** Batched sends (one `sendmmsg` each, for one or more datagrams); 0 on Deno's ops. */
  batchedSends: number;
  /** Batched receives that brought datagrams (one `recvmmsg` each); 0 on Deno's ops. */
  batchedReceives: number;
}

/** Options of `QuicEngine.listen`. */
export interface QuicListenOptions {
  /** Address to bind; IPv4 or IPv6. Default "127.0.0.1". */
  hostname?: string;
  /** UDP port; 0 picks a free one. */
  port?: number;
  /** Certificate, key and ticket key; `clientAuth` to accept only clients with certificates. */
  tls: QuicServerTls;
  /** ALPN protocols, in order of preference. */
  alpn: readonly string[];
  /** Connection, stream, idle and window limits. */
  limits?: QuicLimits;
  /**
   * Retry-based address validation (RFC 9000 §8.1.2): `"under-load"` for
   * user-facing listeners (a Retry only while many handshakes from unvalidated
   * addresses are in flight, see `QuicLimits.maxUnvalidatedHandshakes`),
   * `"never"` for internal links, `"always"` to force it. `true` is
   * `"always"`, `false` is `"never"`. Default `"never"`.
   */
  validateAddress?: boolean | "always" | "under-load" | "never";
}

/** A server socket accepting connections. */
export interface QuicListener extends AsyncIterable<QuicConn> {
  /** The bound address. */
  readonly addr: QuicAddr;
  /** Datagram and connection counters. */
  readonly counters: Readonly<ListenerCounters>;
  /** Connections currently open (including those draining). */
  readonly connections: number;
  /**
   * The socket's kernel buffers as granted (Linux reports twice the size set),
   * or null where the engine could not raise them.
   */
  readonly socketBuffers: SocketBuffers | null;
  /** The next connection, or null once the listener is closed. */
  accept(): Promise<QuicConn | null>;
  /** Closes every connection and the socket. */
  close(): Promise<void>;
}

/** Options of `QuicClient.connect`. */
export interface QuicConnectOptions {
  /** Host name or IP address to reach. */
  hostname: string;
  /** UDP port. */
  port: number;
  /** Name to verify in the certificate (and send as SNI); defaults to `hostname`. */
  serverName?: string;
  /** The CA to verify the server against, and the identity to present if the server asks. */
  tls: QuicClientTls;
  /** ALPN protocols, in order of preference. */
  alpn: readonly string[];
  /** Connection, stream, idle and window limits. */
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
  /** Closes every connection and the socket. */
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
  /** Engine name, for logs and reports. */
  readonly name: string;
  /** What the engine supports. */
  readonly capabilities: EngineCapabilities;
  /** Binds a UDP socket and accepts connections. */
  listen(options: QuicListenOptions): Promise<QuicListener>;
  /** Creates a client owning its own sockets. */
  createClient(): QuicClient;
}
