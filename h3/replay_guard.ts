/**
 * Anti-replay for 0-RTT (RFC 8470, RFC 9001 §9.2): quiche accepts the same
 * ticket more than once, so freshness is ours to prove. A request in early
 * data must carry a single-use nonce; a nonce seen before, or a
 * non-idempotent request without one, gets 425 Too Early and is retried by
 * the client after the handshake, when replay is no longer possible.
 *
 * Memory alone is not enough where the ticket key outlives the process (the
 * dev gateway keeps its key on disk, so that clients resume across restarts):
 * a flight recorded before a restart would find a guard that has seen nothing.
 * So a nonce says when it was made (`newNonce`), and a guard admits only
 * nonces made since it started, and not after now (a small allowance for
 * clocks ahead): the same rule as Google QUIC's strike register. Expired
 * nonces can then be forgotten safely too.
 *
 * Nor is it enough where several servers share a ticket key (a function's
 * replicas on a cluster, issue 16): a flight sent to one replica and
 * replayed to another finds a guard that has not seen it. So a client that
 * knows which replica it dialed binds the nonce to that address
 * (`<made>.<random>@<host>:<port>`), and a guard told its own addresses
 * (`replica`) admits only nonces bound to one of them.
 *
 * @module
 */

/** The header carrying a request's single-use nonce. */
export const NONCE_HEADER = "x-qfaas-nonce";

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** How far ahead of ours a client's clock may be (another host's); same host: none. */
const CLOCK_ALLOWANCE_MS = 5_000;

/** `<ms since the epoch, base 36>.<96 random bits, hex>`, then `@<host>:<port>` when bound. */
const NONCE = /^([0-9a-z]{1,11})\.[0-9a-f]{24,64}(?:@([^\s@]{1,300}))?$/;

/**
 * A single-use nonce for a request sent in 0-RTT: when it was made, and 96
 * random bits; bound to `target` (`host:port`, the server dialed) if given.
 */
export function newNonce(now = Date.now(), target?: string): string {
  const random = crypto.getRandomValues(new Uint8Array(12));
  const nonce = `${now.toString(36)}.${
    Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("")
  }`;
  return target === undefined ? nonce : `${nonce}@${target}`;
}

/** `host:port` as nonces name a server (an IPv6 host in brackets). */
export function nonceTarget(host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare.includes(":") ? `[${bare}]:${port}` : `${bare}:${port}`;
}

/** When `nonce` was made and what it is bound to, or null if it is not one of ours. */
function parseNonce(nonce: string): { made: number; target: string | null } | null {
  const match = NONCE.exec(nonce);
  return match ? { made: parseInt(match[1], 36), target: match[2] ?? null } : null;
}

/** Remembers early-data nonces for a window (the ticket lifetime), with a bound on memory. */
export class ReplayGuard {
  #seen = new Map<string, number>();
  #windowMs: number;
  #maxEntries: number;
  #since: number;
  #replica: ReadonlySet<string> | null;

  /**
   * `windowMs`: how long a nonce is remembered (and how old one may be);
   * `maxEntries` bounds memory; `since`: the earliest nonce admitted (default:
   * now); `replica`: this server's own addresses (`nonceTarget`), where
   * others share its ticket key: early data must then carry a nonce bound to
   * one of them.
   */
  constructor(
    options: { windowMs: number; maxEntries?: number; since?: number; replica?: readonly string[] },
  ) {
    this.#windowMs = options.windowMs;
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#since = options.since ?? Date.now();
    this.#replica = options.replica ? new Set(options.replica) : null;
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
    // A replica admits no early data it cannot tell was meant for it, idempotent or not.
    if (nonce === null) return this.#replica === null && IDEMPOTENT.has(request.method);
    const parsed = parseNonce(nonce);
    if (parsed === null) return false;
    if (this.#replica && (parsed.target === null || !this.#replica.has(parsed.target))) {
      return false;
    }
    const made = parsed.made;
    // Made before this guard started (a flight recorded before a restart), too old
    // to be remembered still, or in the future.
    const earliest = Math.max(this.#since, now - this.#windowMs);
    if (made < earliest || made > now + CLOCK_ALLOWANCE_MS) return false;
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
