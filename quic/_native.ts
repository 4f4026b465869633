/**
 * The one module that loads the quiche N-API binding from
 * `@matrixai/quic-linux-x64` and gives it precise types. Nothing outside
 * `quic/` imports it, and inside `quic/` only this file holds `any`.
 *
 * @module
 */
import { createRequire } from "node:module";

/** A UDP host and port as the binding sees it. */
export interface HostPort {
  host: string;
  port: number;
}

/** Where a datagram came from and went to (quiche `RecvInfo`). */
export interface RecvInfo {
  from: HostPort;
  to: HostPort;
}

/** Where quiche wants a datagram sent (quiche `SendInfo`; `at` is a pacing hint). */
export interface SendInfo {
  from: HostPort;
  to: HostPort;
  at: unknown;
}

/** A CONNECTION_CLOSE as quiche reports it. */
export interface NativeConnectionError {
  isApp: boolean;
  errorCode: number;
  reason: Uint8Array;
}

/** Counters quiche keeps per connection. */
export interface NativeStats {
  recv: number;
  sent: number;
  lost: number;
  retrans: number;
  sentBytes: number;
  recvBytes: number;
  lostBytes: number;
  peerMaxIdleTimeout: number;
}

/** Packet types of a QUIC long or short header (RFC 9000 §17). */
export const PacketType = {
  Initial: 0,
  Retry: 1,
  Handshake: 2,
  ZeroRTT: 3,
  VersionNegotiation: 4,
  Short: 5,
} as const;

/** A parsed packet header. */
export interface NativeHeader {
  ty: number;
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  token?: Uint8Array;
}

/** quiche `Config`: TLS context and transport parameters. */
export interface NativeConfig {
  setTicketKey(key: Uint8Array): void;
  enableEarlyData(): void;
  grease(grease: boolean): void;
  setApplicationProtos(protos: string[]): void;
  setMaxIdleTimeout(ms: number): void;
  setMaxRecvUdpPayloadSize(size: number): void;
  setMaxSendUdpPayloadSize(size: number): void;
  setInitialMaxData(v: number): void;
  setInitialMaxStreamDataBidiLocal(v: number): void;
  setInitialMaxStreamDataBidiRemote(v: number): void;
  setInitialMaxStreamDataUni(v: number): void;
  setInitialMaxStreamsBidi(v: number): void;
  setInitialMaxStreamsUni(v: number): void;
  setMaxStreamWindow(v: number): void;
  setMaxConnectionWindow(v: number): void;
  setDisableActiveMigration(v: boolean): void;
  setCcAlgorithmName(name: string): void;
  enablePacing(v: boolean): void;
}

/** quiche `Connection`: one QUIC connection's state machine. */
export interface NativeConnection {
  setSession(session: Uint8Array): void;
  recv(data: Uint8Array, info: RecvInfo): number;
  send(out: Uint8Array): [number, SendInfo] | null;
  streamRecv(id: number, out: Uint8Array): [number, boolean] | null;
  streamSend(id: number, data: Uint8Array, fin: boolean): number | null;
  streamShutdown(id: number, direction: number, err: number): void | null;
  streamCapacity(id: number): number;
  streamFinished(id: number): boolean;
  streamReadable(id: number): boolean;
  peerStreamsLeftBidi(): number;
  peerStreamsLeftUni(): number;
  readable(): Iterable<number>;
  writable(): Iterable<number>;
  timeout(): number | null;
  onTimeout(): void;
  close(app: boolean, err: number, reason: Uint8Array): void | null;
  applicationProto(): Uint8Array;
  peerCertChain(): Uint8Array[] | null;
  session(): Uint8Array | null;
  sourceId(): Uint8Array;
  destinationId(): Uint8Array;
  isEstablished(): boolean;
  isResumed(): boolean;
  isInEarlyData(): boolean;
  isReadable(): boolean;
  isDraining(): boolean;
  isClosed(): boolean;
  isTimedOut(): boolean;
  peerError(): NativeConnectionError | null;
  localError(): NativeConnectionError | null;
  stats(): NativeStats;
  sendAckEliciting(): void;
}

/** Direction argument of `streamShutdown`. */
export const Shutdown = { Read: 0, Write: 1 } as const;

/** The typed surface of the binding that QFaaS uses. */
export interface Quiche {
  Config: {
    new (): NativeConfig;
    /**
     * A config over a BoringSSL context built by the binding (js-quic
     * `src/native/napi/config.rs`): `verifyPeer` sets SSL_VERIFY_PEER |
     * SSL_VERIFY_FAIL_IF_NO_PEER_CERT (false: SSL_VERIFY_NONE, so a server
     * sends no CertificateRequest); `verifyAllowFail` makes the verify
     * callback accept any chain (we never set it); `ca` is the verify store;
     * the first `key` and `cert` (chain, leaf first) are this side's identity,
     * a client's included. quiche keeps this verify mode (it calls
     * SSL_CTX_set_verify only from `Config.verify_peer`, which we never call).
     */
    withBoringSslCtx(
      verifyPeer: boolean,
      verifyAllowFail: boolean,
      ca: Uint8Array | null,
      key: Uint8Array[] | null,
      cert: Uint8Array[] | null,
      sigalgs: string | null,
    ): NativeConfig;
  };
  Connection: {
    connect(
      serverName: string | null,
      scid: Uint8Array,
      local: HostPort,
      remote: HostPort,
      config: NativeConfig,
    ): NativeConnection;
    accept(
      scid: Uint8Array,
      odcid: Uint8Array | null,
      local: HostPort,
      remote: HostPort,
      config: NativeConfig,
    ): NativeConnection;
  };
  Header: { fromSlice(data: Uint8Array, dcidLen: number): NativeHeader };
  negotiateVersion(scid: Uint8Array, dcid: Uint8Array, out: Uint8Array): number;
  retry(
    scid: Uint8Array,
    dcid: Uint8Array,
    newScid: Uint8Array,
    token: Uint8Array,
    version: number,
    out: Uint8Array,
  ): number;
  versionIsSupported(version: number): boolean;
  PROTOCOL_VERSION: number;
  MAX_CONN_ID_LEN: number;
  MIN_CLIENT_INITIAL_LEN: number;
}

// deno-lint-ignore no-explicit-any
const binding: any = createRequire(import.meta.url)("@matrixai/quic-linux-x64");

/** The loaded quiche binding (linux-x64 only at 2.0.9). */
export const quiche: Quiche = binding;
