/**
 * QUIC error codes (RFC 9000 §20) and the typed errors the engine raises.
 *
 * @module
 */

/** Transport error codes, RFC 9000 §20.1. */
export const TransportErrorCode = {
  NO_ERROR: 0x0,
  INTERNAL_ERROR: 0x1,
  CONNECTION_REFUSED: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  STREAM_LIMIT_ERROR: 0x4,
  STREAM_STATE_ERROR: 0x5,
  FINAL_SIZE_ERROR: 0x6,
  FRAME_ENCODING_ERROR: 0x7,
  TRANSPORT_PARAMETER_ERROR: 0x8,
  CONNECTION_ID_LIMIT_ERROR: 0x9,
  PROTOCOL_VIOLATION: 0xa,
  INVALID_TOKEN: 0xb,
  APPLICATION_ERROR: 0xc,
  CRYPTO_BUFFER_EXCEEDED: 0xd,
  KEY_UPDATE_ERROR: 0xe,
  AEAD_LIMIT_REACHED: 0xf,
  NO_VIABLE_PATH: 0x10,
} as const;

/** CRYPTO_ERROR range: 0x100 + TLS alert (RFC 9001 §4.8). */
export const CRYPTO_ERROR_BASE = 0x100;

/** TLS alert descriptions worth naming in an error message (RFC 8446 §6). */
const TLS_ALERTS: Record<number, string> = {
  40: "handshake_failure",
  42: "bad_certificate",
  43: "unsupported_certificate",
  45: "certificate_expired",
  46: "certificate_unknown",
  48: "unknown_ca",
  49: "access_denied",
  51: "decrypt_error",
  80: "internal_error",
  116: "certificate_required",
  120: "no_application_protocol",
};

/** A readable name for a transport or crypto error code. */
export function transportErrorName(code: number): string {
  if (code >= CRYPTO_ERROR_BASE && code <= 0x1ff) {
    const alert = code - CRYPTO_ERROR_BASE;
    return `CRYPTO_ERROR(${TLS_ALERTS[alert] ?? `alert ${alert}`})`;
  }
  for (const [name, value] of Object.entries(TransportErrorCode)) {
    if (value === code) return name;
  }
  return `0x${code.toString(16)}`;
}

/** Why a connection ended, as reported by `QuicConnection.closed`. */
export interface QuicCloseInfo {
  /** True when the peer sent the CONNECTION_CLOSE, false when we did or the idle timer fired. */
  remote: boolean;
  /** True for an application close (frame type 0x1d), false for a transport close. */
  app: boolean;
  /** The error code carried by CONNECTION_CLOSE; 0 for a clean close or idle timeout. */
  code: number;
  /** The reason phrase. */
  reason: string;
  /** True when the connection ended because the idle timeout expired. */
  idle: boolean;
}

/** A connection failed or was closed with an error; carries the close details. */
export class QuicConnectionError extends Error {
  /** How the connection ended. */
  readonly info: QuicCloseInfo;

  /** Creates the error with a message and the close details. */
  constructor(message: string, info: QuicCloseInfo, options?: ErrorOptions) {
    super(message, options);
    this.name = "QuicConnectionError";
    this.info = info;
  }
}

/** The TLS handshake failed, for example because the certificate did not verify. */
export class QuicHandshakeError extends QuicConnectionError {
  /** Creates the error with a message and the close details. */
  constructor(message: string, info: QuicCloseInfo) {
    super(message, info);
    this.name = "QuicHandshakeError";
  }
}

/** A stream was reset (RESET_STREAM) or stopped (STOP_SENDING) by the peer. */
export class QuicStreamError extends Error {
  /** The stream the error belongs to. */
  readonly streamId: number;
  /** The application error code the peer sent. */
  readonly code: number;
  /** "reset" when the peer abandoned sending, "stopped" when it will not read. */
  readonly kind: "reset" | "stopped";

  /** Creates the error for `streamId`, reset or stopped with `code`. */
  constructor(streamId: number, kind: "reset" | "stopped", code: number) {
    super(`Stream ${streamId} ${kind} by peer with code 0x${code.toString(16)}`);
    this.name = "QuicStreamError";
    this.streamId = streamId;
    this.kind = kind;
    this.code = code;
  }
}

/** Describes a close for humans: "remote transport close CRYPTO_ERROR(unknown_ca): …". */
export function describeClose(info: QuicCloseInfo): string {
  if (info.idle) return "idle timeout";
  const who = info.remote ? "peer" : "local";
  const code = info.app
    ? `application code 0x${info.code.toString(16)}`
    : transportErrorName(info.code);
  return `${who} closed the connection: ${code}${info.reason ? ` (${info.reason})` : ""}`;
}
