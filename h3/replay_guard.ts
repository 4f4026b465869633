/**
 * Anti-replay for 0-RTT (RFC 8470, RFC 9001 §9.2): quiche accepts the same
 * ticket more than once, so freshness is ours to prove. A request in early
 * data must carry a single-use nonce; a nonce seen before, or a
 * non-idempotent request without one, gets 425 Too Early and is retried by
 * the client after the handshake, when replay is no longer possible.
 *
 * @module
 */

/** The header carrying a request's single-use nonce. */
export const NONCE_HEADER = "x-qfaas-nonce";

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** Remembers early-data nonces for a window (the ticket lifetime), with a bound on memory. */
export class ReplayGuard {
  #seen = new Map<string, number>();
  #windowMs: number;
  #maxEntries: number;

  /** `windowMs`: how long a nonce is remembered; `maxEntries` bounds memory. */
  constructor(options: { windowMs: number; maxEntries?: number }) {
    this.#windowMs = options.windowMs;
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  /**
   * True if a request may be processed: not in early data, or in early data
   * and provably fresh. Records the nonce when it accepts one.
   */
  admit(
    request: { method: string; headers: Headers },
    earlyData: boolean,
    now = Date.now(),
  ): boolean {
    if (!earlyData) return true;
    const nonce = request.headers.get(NONCE_HEADER);
    if (nonce === null || nonce.length < 16) {
      return IDEMPOTENT.has(request.method) && nonce === null;
    }
    this.#expire(now);
    if (this.#seen.has(nonce)) return false;
    // Full: refuse rather than forget a nonce that might still be replayed.
    if (this.#seen.size >= this.#maxEntries) return false;
    this.#seen.set(nonce, now + this.#windowMs);
    return true;
  }

  /** Nonces remembered now. */
  get size(): number {
    return this.#seen.size;
  }

  #expire(now: number): void {
    // Insertion order is expiry order (one window for all).
    for (const [nonce, expiry] of this.#seen) {
      if (expiry > now) break;
      this.#seen.delete(nonce);
    }
  }
}
