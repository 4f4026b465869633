/**
 * The part of client authentication BoringSSL does not do: on a listener that
 * requires client certificates, BoringSSL verifies a presented chain (against
 * the CA, with the TLS client purpose) and refuses a full handshake without
 * one, but it resumes a session whatever certificate the session recorded —
 * none at all, if it was minted without one (measured). So every connection,
 * resumed or not, is checked here on the certificate it carries (a resumed
 * one's comes from its session), and for the extended key usage that names
 * the client's role.
 *
 * @module
 */
import { encodeOid, hasExtendedKeyUsage } from "./ext_key_usage.ts";
import type { QuicClientAuth } from "./config.ts";

/** TLS alerts a refused client gets, as CRYPTO_ERROR 0x100 + alert (RFC 9001 §4.8). */
export const CLIENT_AUTH_ALERT = {
  /** RFC 8446 §6.2: no certificate where one is required. */
  certificateRequired: 116,
  /** RFC 8446 §6.2: a valid certificate, refused by access control. */
  accessDenied: 49,
} as const;

/** Why a client was refused: the TLS alert to close with and a reason phrase. */
export interface ClientAuthRefusal {
  /** TLS alert number. */
  alert: number;
  /** Reason phrase of the CONNECTION_CLOSE. */
  reason: string;
}

/** A listener's client-certificate rule, compiled once. */
export class ClientAuthPolicy {
  /** The rule it enforces. */
  readonly options: QuicClientAuth;
  #usage: Uint8Array | null;

  /** Compiles `options`; throws TypeError for an `extKeyUsage` that is not an OID. */
  constructor(options: QuicClientAuth) {
    this.options = options;
    this.#usage = options.extKeyUsage ? encodeOid(options.extKeyUsage) : null;
  }

  /**
   * Checks the peer's chain (DER, leaf first; null when it has none), which
   * BoringSSL has already verified against the CA if it came in this
   * handshake. Returns null to admit the client, else why not.
   */
  check(chain: readonly Uint8Array[] | null): ClientAuthRefusal | null {
    const leaf = chain?.[0];
    if (!leaf) {
      return {
        alert: CLIENT_AUTH_ALERT.certificateRequired,
        reason: "client certificate required",
      };
    }
    if (this.#usage && !hasExtendedKeyUsage(leaf, this.#usage)) {
      return {
        alert: CLIENT_AUTH_ALERT.accessDenied,
        reason: "client certificate lacks the extended key usage this listener requires",
      };
    }
    return null;
  }
}
