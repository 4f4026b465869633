/**
 * A bounded holding area for 0-RTT datagrams that arrive before the Initial
 * that creates their connection (UDP may reorder them; RFC 9000 §5.2.2 lets
 * a server buffer them). They are replayed once the connection exists.
 *
 * @module
 */
import type { HostPort } from "./_native.ts";

/** A held datagram and its source. */
export interface HeldDatagram {
  data: Uint8Array;
  from: HostPort;
}

/** Holds early datagrams per destination connection ID, with bounds on count and age. */
export class EarlyDatagrams {
  #held = new Map<string, { at: number; datagrams: HeldDatagram[] }>();
  #maxKeys: number;
  #maxPerKey: number;
  #maxAgeMs: number;

  constructor(options: { maxKeys?: number; maxPerKey?: number; maxAgeMs?: number } = {}) {
    this.#maxKeys = options.maxKeys ?? 256;
    this.#maxPerKey = options.maxPerKey ?? 8;
    this.#maxAgeMs = options.maxAgeMs ?? 1000;
  }

  /** Number of connection IDs with held datagrams. */
  get size(): number {
    return this.#held.size;
  }

  /** Holds a copy of `data`; returns false when it was refused by a bound. */
  hold(key: string, data: Uint8Array, from: HostPort, now = Date.now()): boolean {
    this.#expire(now);
    let entry = this.#held.get(key);
    if (!entry) {
      if (this.#held.size >= this.#maxKeys) return false;
      entry = { at: now, datagrams: [] };
      this.#held.set(key, entry);
    }
    if (entry.datagrams.length >= this.#maxPerKey) return false;
    entry.datagrams.push({ data: data.slice(), from });
    return true;
  }

  /** Removes and returns what is held for `key`. */
  take(key: string): HeldDatagram[] {
    const entry = this.#held.get(key);
    if (!entry) return [];
    this.#held.delete(key);
    return entry.datagrams;
  }

  #expire(now: number): void {
    // Map order is insertion order, so the oldest entries come first.
    for (const [key, entry] of this.#held) {
      if (now - entry.at <= this.#maxAgeMs) break;
      this.#held.delete(key);
    }
  }
}
