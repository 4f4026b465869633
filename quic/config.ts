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
  /**
   * Largest UDP payload to send. Default: 16 KiB to a loopback peer (MTU
   * 64 KiB; per-datagram cost dominates there), else 1452 bytes (an Ethernet
   * MTU of 1500 minus IPv6 and UDP headers).
   */
  maxDatagramSize?: number;
  /**
   * Handshakes from addresses not yet validated that may be in flight at once
   * under `validateAddress: "under-load"`; past it, new clients must first
   * pass a Retry. Default 128 (quic-go's default for the same limit).
   */
  maxUnvalidatedHandshakes?: number;
}

/** Resolved limits; `maxDatagramSize` stays optional (it depends on the peer). */
export type ResolvedLimits = Required<Omit<QuicLimits, "maxDatagramSize">> & {
  maxDatagramSize?: number;
};

/** Fills in the defaults for `limits`. */
export function resolveLimits(limits: QuicLimits = {}): ResolvedLimits {
  return {
    maxConnections: limits.maxConnections ?? 4096,
    maxStreamsBidi: limits.maxStreamsBidi ?? 128,
    maxStreamsUni: limits.maxStreamsUni ?? 16,
    idleTimeoutMs: limits.idleTimeoutMs ?? 30_000,
    connectionWindow: limits.connectionWindow ?? 16 * 1024 * 1024,
    streamWindow: limits.streamWindow ?? 4 * 1024 * 1024,
    maxDatagramSize: limits.maxDatagramSize,
    maxUnvalidatedHandshakes: limits.maxUnvalidatedHandshakes ?? DEFAULT_MAX_UNVALIDATED_HANDSHAKES,
  };
}

/** Default of `QuicLimits.maxUnvalidatedHandshakes`. */
export const DEFAULT_MAX_UNVALIDATED_HANDSHAKES = 128;

/**
 * When a listener makes a new client prove its address with a Retry round
 * trip (RFC 9000 §8.1.2) before it keeps any state for it:
 * - `"always"`: every client without a valid token; costs a round trip, and a
 *   quiche client resends its 0-RTT data only after the handshake then.
 * - `"under-load"`: only while `maxUnvalidatedHandshakes` handshakes from
 *   unvalidated addresses are in flight (a flood of spoofed Initials), as
 *   quic-go does by default. Below that, the anti-amplification limit
 *   (3× what the client sent, RFC 9000 §8.1) is the protection, and 0-RTT
 *   keeps its round trip.
 * - `"never"`: internal links whose peers are known.
 *
 * `true` means `"always"`, `false` means `"never"`.
 */
export type AddressValidation = "always" | "under-load" | "never";

const VALIDATIONS: readonly AddressValidation[] = ["always", "under-load", "never"];

/** The policy `option` names; absent means `"never"`. Throws TypeError on an unknown one. */
export function resolveAddressValidation(
  option: boolean | AddressValidation | undefined,
): AddressValidation {
  if (option === undefined || option === false) return "never";
  if (option === true) return "always";
  if (!VALIDATIONS.includes(option)) {
    throw new TypeError(
      `Cannot validate addresses: received "${option}", expected one of ${VALIDATIONS.join(", ")}`,
    );
  }
  return option;
}

/** A certificate and its key, PEM: a server's, or a client's identity. */
export interface QuicIdentity {
  /** PEM certificate chain, leaf first. */
  cert: string;
  /** PEM private key of the leaf. */
  key: string;
}

/**
 * A listener's demand for client certificates (mutual TLS). BoringSSL
 * verifies the chain against `ca` for the TLS client purpose (the leaf's
 * extended key usages, if any, must include clientAuth) and refuses a full
 * handshake without a certificate. The listener then checks every connection,
 * resumed ones included (their certificate is the one their session
 * recorded), for `extKeyUsage`. A refused client is closed with a TLS alert
 * before the listener hands the connection out, so no stream is ever served.
 */
export interface QuicClientAuth {
  /** PEM bundle of the certificate authorities client certificates must chain to. */
  ca: string;
  /** An extended key usage OID the client's leaf must carry (a role), e.g. "2.25.….1". */
  extKeyUsage?: string;
}

/** What a server needs: its certificate, key and optionally a ticket key. */
export interface QuicServerTls extends QuicIdentity {
  /**
   * 48-byte session ticket key. Servers that share it accept each other's
   * tickets, which is what pre-seeded 0-RTT relies on. Random when absent.
   */
  ticketKey?: Uint8Array;
  /** Require and check client certificates; absent: any client may connect. */
  clientAuth?: QuicClientAuth;
}

/** What a client needs to verify its peer, and the identity it presents if asked. */
export interface QuicClientTls {
  /** PEM bundle of the certificate authorities the client trusts. */
  ca: string;
  /**
   * The client's certificate and key, sent to a server that asks for one
   * (a listener with `clientAuth`). A resumed session sends none: the server
   * sees the certificate the session was first made with.
   */
  identity?: QuicIdentity;
}

/** Length of a session ticket key for BoringSSL. */
export const TICKET_KEY_LENGTH = 48;

/** Largest UDP payload we send on a network path: 1500-byte Ethernet minus IPv6 and UDP headers. */
export const NETWORK_DATAGRAM_SIZE = 1452;

/**
 * Largest UDP payload we send to a loopback peer. Measured here (1 MB over
 * one stream): 23 ms at 1452 bytes, 7.4 ms at 16 KiB. Asking for more changes
 * nothing: quiche 0.18 still builds packets of at most 16383 bytes (a 1 MB
 * response takes 66 packets at a 64 KiB setting too, measured).
 */
export const LOOPBACK_DATAGRAM_SIZE = 16 * 1024;

/** True for 127.0.0.0/8 and ::1 (also IPv4-mapped). */
export function isLoopback(host: string): boolean {
  return host.startsWith("127.") || host === "::1" || host.startsWith("::ffff:127.");
}

/** The datagram size to use towards `host` under `limits`. */
export function datagramSize(limits: ResolvedLimits, host: string): number {
  return limits.maxDatagramSize ??
    (isLoopback(host) ? LOOPBACK_DATAGRAM_SIZE : NETWORK_DATAGRAM_SIZE);
}

const encoder = new TextEncoder();

function applyLimits(config: NativeConfig, limits: ResolvedLimits, datagram: number): void {
  config.setMaxIdleTimeout(limits.idleTimeoutMs);
  config.setMaxRecvUdpPayloadSize(65527);
  config.setMaxSendUdpPayloadSize(datagram);
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

function isPemCertificate(text: string | undefined): text is string {
  return typeof text === "string" && text.includes("-----BEGIN CERTIFICATE-----");
}

/** Builds the quiche config of a server endpoint. */
export function serverConfig(
  tls: QuicServerTls,
  alpn: readonly string[],
  limits: ResolvedLimits,
  datagram = NETWORK_DATAGRAM_SIZE,
): NativeConfig {
  checkAlpn(alpn);
  const clientAuth = tls.clientAuth;
  if (clientAuth && !isPemCertificate(clientAuth.ca)) {
    throw new TypeError(
      "Cannot configure QUIC server: clientAuth received no PEM CA certificate to verify clients with",
    );
  }
  let config: NativeConfig;
  try {
    // verifyPeer on a server: the binding sets SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
    // and verifies against `ca`; false: no CertificateRequest at all.
    config = quiche.Config.withBoringSslCtx(
      clientAuth !== undefined,
      false,
      clientAuth ? encoder.encode(clientAuth.ca) : null,
      [encoder.encode(tls.key)],
      [encoder.encode(tls.cert)],
      null,
    );
  } catch (cause) {
    throw new TypeError(
      `Cannot configure QUIC server: certificate or key${
        clientAuth ? " or client CA" : ""
      } rejected (${cause})`,
      { cause },
    );
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
  applyLimits(config, limits, datagram);
  return config;
}

/**
 * Builds the quiche config of a client that verifies its peer against
 * `tls.ca`, and presents `tls.identity` to a server that asks for a certificate.
 */
export function clientConfig(
  tls: QuicClientTls,
  alpn: readonly string[],
  limits: ResolvedLimits,
  datagram = NETWORK_DATAGRAM_SIZE,
): NativeConfig {
  checkAlpn(alpn);
  if (!isPemCertificate(tls.ca)) {
    throw new TypeError(
      "Cannot configure QUIC client: received no PEM CA certificate to verify with",
    );
  }
  const identity = tls.identity;
  let config: NativeConfig;
  try {
    config = quiche.Config.withBoringSslCtx(
      true,
      false,
      encoder.encode(tls.ca),
      identity ? [encoder.encode(identity.key)] : null,
      identity ? [encoder.encode(identity.cert)] : null,
      null,
    );
  } catch (cause) {
    throw new TypeError(
      `Cannot configure QUIC client: CA bundle${
        identity ? ", certificate or key" : ""
      } rejected (${cause})`,
      { cause },
    );
  }
  config.setApplicationProtos([...alpn]);
  applyLimits(config, limits, datagram);
  return config;
}
