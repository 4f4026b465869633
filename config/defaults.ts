/**
 * The one set of defaults for a function's settings, used by discovery, the
 * invoker, the watchdog and the gateway alike.
 *
 * @module
 */

/** What a function gets for a setting it does not make. */
export const DEFAULTS = {
  /** Workers kept warm when idle: scale to zero. */
  min: 0,
  /** Most workers at once. */
  max: 4,
  /** A worker idle this long (beyond `min`) is stopped. */
  idleMs: 300_000,
  /** A request running longer gets 504 from the watchdog. */
  execTimeoutMs: 10_000,
  /** V8 old-space limit of a worker, MiB. */
  memoryMiB: 128,
  /** Largest request body, bytes; larger gets 413. */
  maxBodyBytes: 16 * 1024 * 1024,
} as const;
