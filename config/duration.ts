/**
 * The one duration parser: "10s", "500ms", "2m", "1h" and Go-style "1m30s",
 * as OpenFaaS settings are written. A bare number has no unit of its own:
 * each source says what it means (of-watchdog's `exec_timeout=10` is seconds).
 *
 * @module
 */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Options of `parseDuration`. */
export interface DurationOptions {
  /** What a bare number means; without it a bare number is not a duration. */
  bare?: "ms" | "s";
}

/**
 * Milliseconds in `text`, or null if it is not a duration.
 *
 * @example
 * ```ts
 * parseDuration("1m30s"); // 90_000
 * parseDuration("10", { bare: "s" }); // 10_000
 * parseDuration("10"); // null
 * ```
 */
export function parseDuration(text: string, options: DurationOptions = {}): number | null {
  const t = text.trim();
  if (options.bare && /^\d+(?:\.\d+)?$/.test(t)) return Math.round(Number(t) * UNITS[options.bare]);
  if (!/^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(t)) return null;
  let ms = 0;
  for (const [, n, unit] of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(n) * UNITS[unit];
  return Math.round(ms);
}

/** `parseDuration`, throwing a TypeError that names the setting (`name`) when `text` is not one. */
export function requireDuration(text: string, name: string, options: DurationOptions = {}): number {
  const ms = parseDuration(text, options);
  if (ms === null) {
    throw new TypeError(`Cannot read ${name}: expected a duration like 10s, received "${text}"`);
  }
  return ms;
}
