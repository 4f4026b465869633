/**
 * Stateless, authenticated address-validation tokens for Retry packets
 * (RFC 9000 §8.1.2–8.1.4). A token binds the client's address, the original
 * destination connection ID and the Retry's source connection ID, and expires.
 *
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { HostPort } from "./_native.ts";

const MAC_LENGTH = 16;
const encoder = new TextEncoder();

/** Mints and checks Retry tokens with a per-listener secret. */
export class RetryTokens {
  #key: Uint8Array;
  #lifetimeMs: number;

  /** `lifetimeMs` bounds how long a token stays valid; the key is random unless given. */
  constructor(options: { key?: Uint8Array; lifetimeMs?: number } = {}) {
    this.#key = options.key ?? randomBytes(32);
    this.#lifetimeMs = options.lifetimeMs ?? 10_000;
  }

  /** Creates the token for a Retry sent to `peer` with `retryScid`, for an Initial to `odcid`. */
  mint(peer: HostPort, odcid: Uint8Array, retryScid: Uint8Array, now = Date.now()): Uint8Array {
    const body = new Uint8Array(8 + 1 + odcid.byteLength);
    new DataView(body.buffer).setBigUint64(0, BigInt(now + this.#lifetimeMs));
    body[8] = odcid.byteLength;
    body.set(odcid, 9);
    const mac = this.#mac(body, peer, retryScid);
    const token = new Uint8Array(body.byteLength + MAC_LENGTH);
    token.set(body);
    token.set(mac, body.byteLength);
    return token;
  }

  /**
   * Checks a token from an Initial sent by `peer` to `dcid` (our Retry SCID).
   * Returns the original destination connection ID, or null if the token is
   * forged, expired, or was issued to another address.
   */
  validate(
    token: Uint8Array,
    peer: HostPort,
    dcid: Uint8Array,
    now = Date.now(),
  ): Uint8Array | null {
    if (token.byteLength < 9 + MAC_LENGTH) return null;
    const odcidLength = token[8];
    const bodyLength = 9 + odcidLength;
    if (odcidLength > 20 || token.byteLength !== bodyLength + MAC_LENGTH) return null;
    const body = token.subarray(0, bodyLength);
    const expected = this.#mac(body, peer, dcid);
    if (!timingSafeEqual(expected, token.subarray(bodyLength))) return null;
    const expiry = new DataView(token.buffer, token.byteOffset).getBigUint64(0);
    if (BigInt(now) > expiry) return null;
    return token.slice(9, bodyLength);
  }

  #mac(body: Uint8Array, peer: HostPort, scid: Uint8Array): Uint8Array {
    return createHmac("sha256", this.#key)
      .update(body)
      .update(scid)
      .update(encoder.encode(`${peer.host}|${peer.port}`))
      .digest()
      .subarray(0, MAC_LENGTH);
  }
}
