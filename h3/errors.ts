/**
 * HTTP/3 (RFC 9114 §8.1) and QPACK (RFC 9204 §6) error codes, and the typed
 * errors the h3 room raises.
 *
 * @module
 */

/** HTTP/3 and QPACK application error codes, by name. */
export const H3ErrorCode = {
  H3_NO_ERROR: 0x100,
  H3_GENERAL_PROTOCOL_ERROR: 0x101,
  H3_INTERNAL_ERROR: 0x102,
  H3_STREAM_CREATION_ERROR: 0x103,
  H3_CLOSED_CRITICAL_STREAM: 0x104,
  H3_FRAME_UNEXPECTED: 0x105,
  H3_FRAME_ERROR: 0x106,
  H3_EXCESSIVE_LOAD: 0x107,
  H3_ID_ERROR: 0x108,
  H3_SETTINGS_ERROR: 0x109,
  H3_MISSING_SETTINGS: 0x10a,
  H3_REQUEST_REJECTED: 0x10b,
  H3_REQUEST_CANCELLED: 0x10c,
  H3_REQUEST_INCOMPLETE: 0x10d,
  H3_MESSAGE_ERROR: 0x10e,
  H3_CONNECT_ERROR: 0x10f,
  H3_VERSION_FALLBACK: 0x110,
  QPACK_DECOMPRESSION_FAILED: 0x200,
  QPACK_ENCODER_STREAM_ERROR: 0x201,
  QPACK_DECODER_STREAM_ERROR: 0x202,
} as const;

/** One of the codes in `H3ErrorCode`. */
export type H3ErrorCodeValue = typeof H3ErrorCode[keyof typeof H3ErrorCode];

/** The name of an HTTP/3 or QPACK error code, or its hex value. */
export function h3ErrorName(code: number): string {
  for (const [name, value] of Object.entries(H3ErrorCode)) if (value === code) return name;
  return `0x${code.toString(16)}`;
}

/**
 * A protocol error found while parsing or processing HTTP/3. `scope` says
 * what must be torn down: the request stream, or the whole connection.
 */
export class H3Error extends Error {
  /** The HTTP/3 or QPACK error code to send. */
  readonly code: number;
  /** "stream": reset the request stream; "connection": close the connection. */
  readonly scope: "stream" | "connection";

  /** Creates the error with its code, scope and a message for humans. */
  constructor(
    code: number,
    scope: "stream" | "connection",
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${h3ErrorName(code)}: ${message}`, options);
    this.name = "H3Error";
    this.code = code;
    this.scope = scope;
  }
}

/** A field section that failed to decode (RFC 9204 §2.2.3): QPACK_DECOMPRESSION_FAILED. */
export class QpackError extends H3Error {
  /** Creates the error; a decompression failure closes the connection. */
  constructor(message: string, options?: ErrorOptions) {
    super(H3ErrorCode.QPACK_DECOMPRESSION_FAILED, "connection", message, options);
    this.name = "QpackError";
  }
}
