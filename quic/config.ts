/**
 * Options for QUIC endpoints and their translation into a quiche `Config`.
 *
 * @module
 */
import { type NativeConfig, quiche } from "./_native.ts";

/** Limits a listener or client enforces; every field has a safe default. */
export interface QuicLimits {
  /** Most connections a listener keeps at once; further Initials are dropped. Default 4096. */
  maxConnections?: number;
  /** Concurrent bidirectional streams the peer may open. Default 128. */
  maxStreamsBidi?: number;
  /** Concurrent unidirectional streams the peer may open. Default 16. */
  maxStreamsUni?: number;
  /** Idle timeout in milliseconds (RFC 9000 §10.1). Default 30000. */
  idleTimeoutMs?: number;
  /** Connection-level flow-control window in bytes. Default 16 MiB. */
  connectionWindow?: number;
  /** Per-stream flow-control window in bytes. Default 4 MiB. */
  streamWindow?: number;
}

/** Resolved limits with no optional fields. */
export type ResolvedLimits = Required<QuicLimits>;

/** Fills in the defaults for `limits`. */
export function resolveLimits(limits: QuicLimits = {}): ResolvedLimits {
  return {
    maxConnections: limits.maxConnections ?? 4096,
    maxStreamsBidi: limits.maxStreamsBidi ?? 128,
    maxStreamsUni: limits.maxStreamsUni ?? 16,
    idleTimeoutMs: limits.idleTimeoutMs ?? 30_000,
    connectionWindow: limits.connectionWindow ?? 16 * 1024 * 1024,
    streamWindow: limits.streamWindow ?? 4 * 1024 * 1024,
  };
}

/** What a server needs: its certificate, key and optionally a ticket key. */
export interface QuicServerTls {
  /** PEM certificate chain, leaf first. */
  cert: string;
  /** PEM private key of the leaf. */
  key: string;
  /**
   * 48-byte session ticket key. Servers that share it accept each other's
   * tickets, which is what pre-seeded 0-RTT relies on. Random when absent.
   */
  ticketKey?: Uint8Array;
}

/** What a client needs to verify its peer. */
export interface QuicClientTls {
  /** PEM bundle of the certificate authorities the client trusts. */
  ca: string;
}

/** Length of a session ticket key for BoringSSL. */
export const TICKET_KEY_LENGTH = 48;

/** Largest UDP payload we send: 1500-byte Ethernet minus IPv6 and UDP headers. */
export const MAX_SEND_UDP_PAYLOAD = 1452;

const encoder = new TextEncoder();

function applyLimits(config: NativeConfig, limits: ResolvedLimits): void {
  config.setMaxIdleTimeout(limits.idleTimeoutMs);
  config.setMaxRecvUdpPayloadSize(65527);
  config.setMaxSendUdpPayloadSize(MAX_SEND_UDP_PAYLOAD);
  config.setInitialMaxData(limits.connectionWindow);
  config.setInitialMaxStreamDataBidiLocal(limits.streamWindow);
  config.setInitialMaxStreamDataBidiRemote(limits.streamWindow);
  config.setInitialMaxStreamDataUni(limits.streamWindow);
  config.setInitialMaxStreamsBidi(limits.maxStreamsBidi);
  config.setInitialMaxStreamsUni(limits.maxStreamsUni);
  config.setMaxStreamWindow(limits.streamWindow);
  config.setMaxConnectionWindow(limits.connectionWindow);
  config.setDisableActiveMigration(true);
  config.enableEarlyData();
}

function checkAlpn(alpn: readonly string[]): void {
  if (alpn.length === 0) throw new TypeError("Cannot configure QUIC: received an empty ALPN list");
}

/** Builds the quiche config of a server endpoint. */
export function serverConfig(
  tls: QuicServerTls,
  alpn: readonly string[],
  limits: ResolvedLimits,
): NativeConfig {
  checkAlpn(alpn);
  let config: NativeConfig;
  try {
    config = quiche.Config.withBoringSslCtx(false, false, null, [encoder.encode(tls.key)], [
      encoder.encode(tls.cert),
    ], null);
  } catch (cause) {
    throw new TypeError(`Cannot configure QUIC server: certificate or key rejected (${cause})`, {
      cause,
    });
  }
  if (tls.ticketKey) {
    if (tls.ticketKey.byteLength !== TICKET_KEY_LENGTH) {
      throw new RangeError(
        `Cannot set ticket key: received ${tls.ticketKey.byteLength} bytes, need ${TICKET_KEY_LENGTH}`,
      );
    }
    config.setTicketKey(tls.ticketKey);
  }
  config.setApplicationProtos([...alpn]);
  applyLimits(config, limits);
  return config;
}

/** Builds the quiche config of a client that verifies its peer against `tls.ca`. */
export function clientConfig(
  tls: QuicClientTls,
  alpn: readonly string[],
  limits: ResolvedLimits,
): NativeConfig {
  checkAlpn(alpn);
  if (!tls.ca || !tls.ca.includes("-----BEGIN CERTIFICATE-----")) {
    throw new TypeError(
      "Cannot configure QUIC client: received no PEM CA certificate to verify with",
    );
  }
  let config: NativeConfig;
  try {
    config = quiche.Config.withBoringSslCtx(true, false, encoder.encode(tls.ca), null, null, null);
  } catch (cause) {
    throw new TypeError(`Cannot configure QUIC client: CA bundle rejected (${cause})`, { cause });
  }
  config.setApplicationProtos([...alpn]);
  applyLimits(config, limits);
  return config;
}
