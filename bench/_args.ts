/**
 * The values `qfaas bench`'s options take, parsed: a mistake throws a
 * TypeError whose message the command prints as a usage error.
 *
 * @module
 */

/** `value` of `--name` as a whole number of at least 1. */
export function positiveInteger(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new TypeError(
      `Cannot run the benchmark: --${name} must be a positive integer, received "${value}"`,
    );
  }
  return n;
}

/** The `--rtt` value in ms, from 0 to 50; with `--loopback` only 0, its default. */
export function rttArg(value: string | undefined, loopback: boolean, fallback: number): number {
  const ms = value === undefined ? (loopback ? 0 : fallback) : Number(value);
  if (!(ms >= 0 && ms <= 50)) {
    throw new TypeError(`--rtt must be a number of ms from 0 to 50, received "${value}"`);
  }
  if (loopback && ms !== 0) throw new TypeError("--loopback has no delay: use --rtt 0");
  return ms;
}
